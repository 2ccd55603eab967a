"""Benchmark: `ingest` of a generic CSV export (N tickets in six contracts, status history for a
fifth of them) vs DuckDB reading the same two CSVs with parsed timestamps into Parquet, side by side
in one run, each in its own process (peak RSS is its own), three times; the table shows medians.

Usage: python bench/ingest.py [N ...]   (default 1000000)
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from generate import terms  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))  # 1 for a quick look at 10M
WRITE_EXPORT = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute("SET VARIABLE n = ?", [int(sys.argv[1])])
for stmt in sys.argv[2].split(";"):
    if stmt.strip():
        con.execute(stmt)
"""


EXPORT = (ROOT / "ingest_export.sql").read_text()

BASELINE = """
import duckdb, sys, time, resource
t, h, out = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
start = time.perf_counter()
con.execute(f"COPY (SELECT * FROM read_csv('{t}', timestampformat='%Y-%m-%dT%H:%M:%SZ')) "
            f"TO '{out}/t.parquet'")
con.execute(f"COPY (SELECT * FROM read_csv('{h}', timestampformat='%Y-%m-%dT%H:%M:%SZ')) "
            f"TO '{out}/h.parquet'")
print(time.perf_counter() - start)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

INGEST = """
import sys, time, resource
sys.path.insert(0, sys.argv[4])
from pathlib import Path
from sla_engine.ingest.run import ingest
from sla_engine.store.core import Store
t, h, store = Path(sys.argv[1]), Path(sys.argv[2]), Store(Path(sys.argv[3]))
start = time.perf_counter()
rep = ingest(store, t, "generic", history=h)
assert rep.adds_up, rep.text()
print(time.perf_counter() - start)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


ONE_PERCENT = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f\"\"\"COPY (SELECT * REPLACE (
    CASE WHEN hash(ticket_id) % 100 = 7 AND resolved_at IS NOT NULL
    THEN strftime(resolved_at::TIMESTAMP + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ')
    ELSE strftime(resolved_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ') END AS resolved_at)
  FROM read_csv('{sys.argv[1]}', all_varchar = true))
  TO '{sys.argv[2]}' (HEADER, DELIMITER ',')\"\"\")
"""


def print_table(rows: list[dict]) -> None:
    """The rows as a Markdown table (numbers with thousands separators)."""
    cols = list(rows[0])
    print("| " + " | ".join(c.strip() for c in cols) + " |")
    print("|" + "---:|" * len(cols))
    for r in rows:
        print(
            "| "
            + " | ".join(f"{r[c]:,}" if not isinstance(r[c], str) else r[c] for c in cols)
            + " |"
        )


def run(code: str, *args: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def main(sizes: list[int]) -> None:
    from sla_engine.rulebook.terms import parse_terms
    from sla_engine.store.core import Store

    rows = []
    for n in sizes:
        work = Path(tempfile.mkdtemp(prefix="covenant-bench-ingest-"))
        tickets, history = work / "tickets.csv", work / "history.csv"
        # written by a child: a parent's peak RSS would be inherited by the measured children
        subprocess.run(
            [
                sys.executable,
                "-c",
                WRITE_EXPORT,
                str(n),
                EXPORT.format(tickets=tickets, history=history),
            ],
            check=True,
        )
        base, ing = [], []
        for _ in range(REPEATS):
            out = work / "parquet"
            out.mkdir(exist_ok=True)
            base.append(run(BASELINE, str(tickets), str(history), str(out)))
            store = work / "store"
            shutil.rmtree(store, ignore_errors=True)
            Store(store).add_terms([t for d in terms() for t in parse_terms(d)])
            ing.append(run(INGEST, str(tickets), str(history), str(store), str(ROOT.parent)))
        # a newer export of the same tickets: 1 % resolved an hour later, into the last store
        newer = work / "tickets-1pct.csv"
        subprocess.run([sys.executable, "-c", ONE_PERCENT, str(tickets), str(newer)], check=True)
        again = run(INGEST, str(newer), str(history), str(store), str(ROOT.parent))
        b = statistics.median(s for s, _ in base)
        i = statistics.median(s for s, _ in ing)
        rows.append(
            {
                "tickets": n,
                "history rows": n // 5,
                "DuckDB CSV to Parquet (s)": round(b, 2),
                "ingest (s)": round(i, 2),
                "ratio": round(i / b, 1),
                "DuckDB peak RSS (MiB)": round(max(m for _, m in base)),
                "ingest peak RSS (MiB)": round(max(m for _, m in ing)),
                "re-ingest, 1 % changed (s)": round(again[0], 2),
                "share of the ingest": f"{again[0] / i:.0%}",
            }
        )
        shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(rows[-1]), flush=True)
    print_table(rows)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT.parent))
    main([int(a) for a in sys.argv[1:]] or [1_000_000])
