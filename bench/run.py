"""Benchmark: `report` (from the ledger, and with no ledger) vs a plain DuckDB scan-and-group-by of
the same Parquet.

Each measurement runs in its own process (so peak RSS is its own), three times; the table shows the
median.
Usage: python bench/run.py [N ...]   (default 1000000 10000000)
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
REPEATS = 3

BASELINE = """
import duckdb, sys, time
d = sys.argv[1]
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
t = time.perf_counter()
con.execute(f\"\"\"SELECT date_trunc('month', make_timestamp(created_us)) AS month, severity,
       count(*), avg(resolved_us - created_us)
FROM read_parquet('{d}/tickets.parquet') GROUP BY ALL\"\"\").fetchall()
print(time.perf_counter() - t)
import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

AS_OF = (
    1_798_761_600_000_000  # 2027-01-01: after every generated fact, like `report`'s default "now"
)

SETUP = """
import sys, time
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from sla_engine.reports import analysis
from sla_engine.store import gen_files
from sla_engine.ledger import core as ledger
from sla_engine.rulebook.terms import load_terms
d = Path(sys.argv[1])
terms = load_terms(d / 'terms.json')
"""

TAIL = """
print(time.perf_counter() - t)
import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def timed(body: str, before: str = "") -> str:
    """A child program: set up, run `before` untimed, then time `body` and print seconds and peak
    RSS."""
    return SETUP + before + "t = time.perf_counter()\n" + body + TAIL


# what `report` does on a store: final tickets from the generation's SLA ledger, open ones evaluated
# now
REPORT = timed(f"""
rep, how = analysis.generation_report(d, terms, {AS_OF}, build_ledger=False)
assert how == 'ledger', how
""")

# the same report with no ledger: every ticket evaluated from scratch (calendars, business time,
# aggregation)
FULL = timed(f"""
rep = analysis.monthly_report(gen_files.open_inputs(d), terms, {AS_OF})
""")

# what an ingest adds: judging every ticket once and writing the ledger beside the generation
BUILD = timed(
    "led = ledger.build(d, terms)\n",
    before="import shutil\nfor old in d.glob('sla-*'): shutil.rmtree(old)\n",
)


# what a re-ingest that changed 1 % of the tickets adds: the generation's ledger built on the
# previous one, judging only the changed and the open tickets (the previous ledger is built first)
INCREMENTAL = timed(
    "led = ledger.build(d2, terms, prev, changed)\nassert led.built == 'incremental', led.built\n",
    before=(
        "import shutil\nfrom sla_engine.ledger.core import latest\n"
        "d2 = d.parent / (d.name + '-1pct')\n"
        "for old in d2.glob('sla-*'): shutil.rmtree(old)\nprev = latest(d)\n"
        "import pandas as pd\nchanged = pd.read_parquet(d2 / 'changed.parquet')\n"
    ),
)

ONE_PERCENT = """
COPY (SELECT * REPLACE (CASE WHEN tid % 100 = 7 AND resolved_us IS NOT NULL
                             THEN resolved_us + 3 * 86400000000 ELSE resolved_us END AS resolved_us)
      FROM read_parquet('{d}/tickets.parquet') ORDER BY tid) TO '{d2}/tickets.parquet';
COPY (SELECT contract_id, ticket_id FROM read_parquet('{d}/tickets.parquet')
      WHERE tid % 100 = 7 AND resolved_us IS NOT NULL) TO '{d2}/changed.parquet';
"""


def one_percent_changed(data: Path) -> None:
    """data-1pct/: the same generation with 1 % of the resolved tickets resolved 3 days later."""
    d2 = data.parent / (data.name + "-1pct")
    if (d2 / "changed.parquet").exists():
        return
    d2.mkdir(exist_ok=True)
    for name in ("status_log", "severity_log", "terms"):
        src = next(data.glob(name + ".*"))
        shutil.copy(src, d2 / src.name)
    # in a child: a parent's peak RSS would be inherited by the measured children
    code = f"import duckdb; duckdb.connect().execute({ONE_PERCENT.format(d=data, d2=d2)!r})"
    subprocess.run([sys.executable, "-c", code], check=True)


def measure(code: str, data: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB), both as the child measured itself."""
    proc = subprocess.run(
        [sys.executable, "-c", code, str(data), str(ROOT.parent)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak = proc.stdout.strip().splitlines()[-2:]
    return float(seconds), float(peak)


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        data = OUT / str(n)
        if not (data / "terms.json").exists():
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, str(ROOT / "generate.py"), str(n), str(data)], check=True
            )
            print(f"generated {n:,} tickets in {time.perf_counter() - t:.1f} s", flush=True)
        build_s, build_mem = measure(BUILD, data)  # once: the cost an ingest pays
        one_percent_changed(data)
        inc_s, inc_mem = measure(INCREMENTAL, data)  # once: a re-ingest with 1 % changed
        runs: dict[str, list[tuple[float, float]]] = {"scan": [], "report": [], "full": []}
        for _ in range(REPEATS):  # interleaved so all see the same machine state
            for key, code in (("scan", BASELINE), ("report", REPORT), ("full", FULL)):
                runs[key].append(measure(code, data))
        med = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
        peak = {k: max(m for _, m in v) for k, v in runs.items()}
        live = json.loads(next(data.glob("sla-*/meta.json")).read_text())["live_tickets"]
        rows.append(
            {
                "tickets": n,
                "scan_s": round(med["scan"], 3),
                "report_s": round(med["report"], 3),
                "ratio": round(med["report"] / med["scan"], 2),
                "report_peak_mib": round(peak["report"]),
                "full_s": round(med["full"], 3),
                "full_ratio": round(med["full"] / med["scan"], 2),
                "full_peak_mib": round(peak["full"]),
                "ledger_build_s": round(build_s, 3),
                "ledger_build_peak_mib": round(build_mem),
                "incremental_s": round(inc_s, 3),
                "incremental_share": round(inc_s / build_s, 3),
                "incremental_peak_mib": round(inc_mem),
                "live_tickets": live,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print(
        "\n| tickets | scan + group-by (s) | `report` from the store (s) | ratio | peak RSS (MiB) "
        "| no ledger: full evaluation (s) | ratio | peak RSS (MiB) | ledger build at ingest (s) | "
        "peak RSS (MiB) | 1 % changed: incremental build (s) | share of full build "
        "| peak RSS (MiB) | open tickets |"
    )
    print("|" + "---:|" * 14)
    for r in rows:
        print(
            f"| {r['tickets']:,} | {r['scan_s']} | {r['report_s']} | {r['ratio']}× | "
            f"{r['report_peak_mib']:,} "
            f"| {r['full_s']} | {r['full_ratio']}× | {r['full_peak_mib']:,} | "
            f"{r['ledger_build_s']} | {r['ledger_build_peak_mib']:,} | {r['incremental_s']} | "
            f"{r['incremental_share']:.0%} | {r['incremental_peak_mib']:,} "
            f"| {r['live_tickets']:,} |"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000])
