"""Benchmark: one alert tick at scale, against the floor of reading the open tickets' results.

A store of N generated tickets (3 % open: 300k at 10M) with its SLA ledger, three alert rules
(every contract at 75 %, 60 minutes before and at breach, both metrics; one contract's P1 at
breach; another's resolution at 50 %), all with an e-mail recipient, in a fresh SQLite contracts
database. Measured in one child process as the worker runs it (one process ticking every minute):

- floor: the open metrics evaluated from the ledger (`sla_engine.reports.at_risk.open_metrics`),
what any
  tick must read;
- first tick: the rules meet the backlog (storms summarised, every crossing recorded);
- steady tick: the next minute, nothing new to say (the usual tick);
- tick with news: 1,000 of the open tickets' metrics cross a threshold they had not (their
  records removed), so the tick alerts up to 200 per rule and summarises the rest.

Usage: python bench/alerts.py [N ...]   (default 1000000 10000000)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

AS_OF = 1_798_761_600_000_000  # 2027-01-01, after every generated fact

CHILD = """
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[2])
store_root, db = sys.argv[1], sys.argv[3]
os.environ.setdefault('COVENANT_SECRET_KEY', 'bench-only-key-0123456789abcdef0123456789abcdef')
from sqlalchemy import delete, select, func
from contracts.adapters.orm import AlertSentRow, make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import alert_rules
from flows import alerts
from sla_engine.reports.at_risk import open_metrics
from sla_engine.store.core import Store

AS_OF = int(sys.argv[4])
store = Store(store_root)
engine = make_engine('sqlite:///' + db)
contracts = sorted(t.contract_id for t in store.terms())
for args in (
    dict(name='all', thresholds=['75%', '60m', 'breach'], metrics=['response', 'resolution']),
    dict(name='p1', thresholds=['breach'], metrics=['response'], contract_id=contracts[0],
         tiers=['P1']),
    dict(name='half', thresholds=['50%'], metrics=['resolution'], contract_id=contracts[1]),
):
    alert_rules.create_rule(UnitOfWork(engine), actor='bench', emails=['ops@example.com'], **args)
out = {}
open_metrics(store, AS_OF)  # warm: calendars and imports, as in a running worker
t = time.perf_counter(); m = open_metrics(store, AS_OF); out['floor_s'] = time.perf_counter() - t
out['open_metrics'] = len(m)
out['open_tickets'] = int(m['ticket_id'].nunique())
nothing = lambda s: None
t = time.perf_counter(); r = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=nothing)
out['first_s'] = time.perf_counter() - t
out['first_alerts'], out['first_suppressed'] = r.alerts, r.suppressed
steady = []
for _ in range(3):
    t = time.perf_counter(); r = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=nothing)
    steady.append(time.perf_counter() - t)
    assert r.alerts == 0 and r.suppressed == 0, r
out['steady_s'] = sorted(steady)[1]
with engine.begin() as c:  # 1,000 crossings become news: their records removed
    ids = [i for (i,) in c.execute(select(AlertSentRow.id).order_by(AlertSentRow.id.desc())
                                   .limit(1000))]
    c.execute(delete(AlertSentRow).where(AlertSentRow.id.in_(ids)))
alerts._RECORDED.clear()  # a fresh worker: its cache cannot know what was deleted
t = time.perf_counter(); r = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=nothing)
out['news_cold_s'] = time.perf_counter() - t
out['news_alerts'], out['news_suppressed'] = r.alerts, r.suppressed
with engine.connect() as c:
    out['records'] = c.execute(select(func.count()).select_from(AlertSentRow)).scalar()
out['peak_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def main(sizes: list[int]) -> None:
    from browser import make_store  # the same store the browser benchmark measures

    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = make_store(n, Path(tmp))
            proc = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str(store),
                    str(ROOT),
                    str(Path(tmp) / "contracts.sqlite"),
                    str(AS_OF),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode:
                raise SystemExit(proc.stderr[-3000:])
            row = {"tickets": n, **json.loads(proc.stdout.strip().splitlines()[-1])}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(
        "\n| tickets | open tickets | open metrics | floor: open metrics read (s) "
        "| steady tick (s) | ratio | first tick over the backlog (s) | alerts / suppressed "
        "| fresh worker, 1,000 news (s) | alerts / suppressed | records | peak RSS (MiB) |"
    )
    print("|" + "---:|" * 12)
    for r in rows:
        print(
            f"| {r['tickets']:,} | {r['open_tickets']:,} | {r['open_metrics']:,} "
            f"| {r['floor_s']:.2f} | {r['steady_s']:.2f} | {r['steady_s'] / r['floor_s']:.1f}× "
            f"| {r['first_s']:.2f} | {r['first_alerts']} / {r['first_suppressed']:,} "
            f"| {r['news_cold_s']:.2f} | {r['news_alerts']} / {r['news_suppressed']:,} "
            f"| {r['records']:,} | {r['peak_mib']:,.0f} |"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000])
