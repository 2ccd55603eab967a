"""Benchmark: a connector sync that brings 1,000 changed tickets into a store of N tickets (issue
"tickets arrive by themselves": visible on the Compliance and At risk pages within 10 s of the
batch arriving, in proportion to the batch; the worker's peak memory under 1 GiB whatever the
store's size).

Per size N, in one run, each measure in a process of its own (its peak RSS is its own):
  - a full ingest of the generic export (N tickets, six contracts, a status history for a fifth):
    the floor the batch is compared with;
  - `python -m flows sync NAME --once`: a Zendesk connection pulls 1,000 of contract NYC's tickets,
    each now solved an hour later, from a help desk on loopback speaking Zendesk's incremental
    cursor export (tests/helpdesk_server.py) — store, derived files and SLA ledger committed;
  - then, cold, what the two pages compute before they draw: the Compliance page's monthly report
    and its unmeasured-tickets note (ui/resources.py `monthly_report`, `unmeasured`) and the At risk
    page's list (`at_risk_list`).
"Visible within" = the sync plus the slower page.

Usage: python bench/connector.py [N ...]   (default 1000000)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "tests"))
from generate import terms  # noqa: E402
from ingest import EXPORT, INGEST, WRITE_EXPORT, print_table, run  # noqa: E402

CHANGED = 1000
CONTRACT = "NYC"
PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}

# a child's wall time and peak RSS (RUSAGE_CHILDREN of a process that ran only that child)
TIMED = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(time.perf_counter() - start)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
print(done.stdout.strip())
if done.returncode:
    sys.exit(done.stdout + done.stderr)
"""

PAGES = """
import sys, time, resource
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from sla_engine.reports import analysis
from sla_engine.reports.at_risk import at_risk
from sla_engine.reports.coverage import store_uncovered
from sla_engine.store.core import Store
store = Store(Path(sys.argv[1]))
now = analysis.now_us()
start = time.perf_counter()
rep, how = analysis.store_report(store, now // 3_600_000_000 * 3_600_000_000)
store_uncovered(store)
compliance = time.perf_counter() - start
start = time.perf_counter()
risky = at_risk(store, now // 60_000_000 * 60_000_000)
print(compliance)
print(time.perf_counter() - start)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(len(rep), how, len(risky))
"""


def changed_tickets(tickets: Path) -> list:
    """1,000 of the contract's solved tickets, as the help desk now serves them: solved an hour
    later than stored, updated now."""
    import duckdb
    from helpdesk_server import Ticket

    rows = (
        duckdb.connect()
        .execute(
            "SELECT ticket_id::BIGINT, severity, epoch(strptime(created_at, $f)),"
            " epoch(strptime(first_response_at, $f)), epoch(strptime(resolved_at, $f))"
            " FROM read_csv($p, all_varchar = true)"
            " WHERE contract_id = $c AND resolved_at IS NOT NULL ORDER BY 1 LIMIT $n",
            {"f": "%Y-%m-%dT%H:%M:%SZ", "p": str(tickets), "c": CONTRACT, "n": CHANGED},
        )
        .fetchall()
    )
    now = datetime.now(UTC).replace(microsecond=0)

    def at(seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, UTC)

    return [
        Ticket(
            int(i),
            PRIORITY[sev],
            at(created),
            at(responded),
            at(solved) + timedelta(hours=1),
            now - timedelta(minutes=1),
            "solved",
        )
        for i, sev, created, responded, solved in rows
    ]


def main(sizes: list[int]) -> None:
    from helpdesk_server import SECRET, USER, HelpDesk, serve

    from sla_engine.rulebook.terms import parse_terms
    from sla_engine.store.core import Store

    rows = []
    for n in sizes:
        work = Path(tempfile.mkdtemp(prefix="covenant-bench-connector-"))
        tickets, history = work / "tickets.csv", work / "history.csv"
        # ticket ids as Zendesk's (integers), so the help desk's tickets are the stored ones
        export = EXPORT.replace("'T' || i::VARCHAR", "i::VARCHAR").format(
            tickets=tickets, history=history
        )
        subprocess.run([sys.executable, "-c", WRITE_EXPORT, str(n), export], check=True)
        store = work / "store"
        docs = terms()
        for d in docs:  # Zendesk's priority words name the tiers
            d["severity_map"] = {v: k for k, v in PRIORITY.items()}
        Store(store).add_terms([t for d in docs for t in parse_terms(d)])
        full, full_rss = run(INGEST, str(tickets), str(history), str(store), str(ROOT.parent))

        desk = HelpDesk(tickets=changed_tickets(tickets), page_size=1000)
        server, url = serve(desk)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work / 'contracts.db'}",
            "COVENANT_STORE": str(store),
            "COVENANT_SECRET_KEY": os.environ.get(
                "COVENANT_SECRET_KEY", "q3m0w2Jm2c4Jvu6r3mQ9o1bW5t2c0m8h7a6s5d4f3g0="
            ),
            "PYTHONPATH": str(ROOT.parent),
        }
        (work / "secret").write_text(SECRET)
        since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        flows = [sys.executable, "-m", "flows"]
        subprocess.run(
            [*flows, "connections", "add", "zd", "--vendor", "zendesk", "--base-url", url]
            + ["--user", USER, "--secret-file", str(work / "secret"), "--actor", "bench"]
            + ["--contract", CONTRACT, "--since", since],
            check=True,
            env=env,
            cwd=ROOT.parent,
        )
        out = subprocess.run(
            [sys.executable, "-c", TIMED, *flows, "sync", "zd", "--once"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT.parent,
        ).stdout.split("\n")
        sync_s, sync_rss = float(out[0]), float(out[1])
        print(*out[2:], sep="\n", flush=True)  # what the sync said it did
        server.shutdown()
        pages = subprocess.run(
            [sys.executable, "-c", PAGES, str(store), str(ROOT.parent)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split("\n")
        compliance, risk, pages_rss = float(pages[0]), float(pages[1]), float(pages[2])
        rows.append(
            {
                "tickets": n,
                "full ingest (s)": round(full, 2),
                "sync of 1,000 changed (s)": round(sync_s, 2),
                "share": f"{sync_s / full:.1%}",
                "Compliance data, cold (s)": round(compliance, 2),
                "At risk data, cold (s)": round(risk, 2),
                "visible within (s)": round(sync_s + max(compliance, risk), 2),
                "sync peak RSS (MiB)": round(sync_rss),
                "pages peak RSS (MiB)": round(pages_rss),
                "full ingest peak RSS (MiB)": round(full_rss),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    print_table(rows)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT.parent))
    main([int(a) for a in sys.argv[1:]] or [1_000_000])
