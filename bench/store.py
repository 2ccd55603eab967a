"""Benchmark: what a batch costs in the store (issue "a store that takes small batches"), side by
side in one run against a full ingest of the same export and against DuckDB copying the same CSVs
to Parquet. Every measure runs in its own process (peak RSS is its own) and ends when the batch is
committed, its generation cached and its SLA ledger built: visible to reports.

Rows, per size N (one run each; BENCH_REPEATS for the full ingest and the DuckDB copy, median):
  full ingest vs DuckDB CSV→Parquet; a batch holding only the 1 % of tickets that changed; the whole
  export again with 1 % changed; a batch of 1,000 changed tickets; peak RSS of each.

Usage: python bench/store.py [N ...]   (default 1000000)
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
from ingest import BASELINE, EXPORT, INGEST, WRITE_EXPORT, print_table, run  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "1"))

BATCH = """
import sys, time, resource
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from sla_engine.ingest.run import ingest
from sla_engine.store.core import Store
t, store = Path(sys.argv[1]), Store(Path(sys.argv[2]))
start = time.perf_counter()
rep = ingest(store, t, "generic")
assert rep.adds_up, rep.text()
print(time.perf_counter() - start)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

# the export with 1 % of its tickets resolved an hour later: `whole` = every row, else only those
CHANGED = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
src, out, which, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
changed = "hash(ticket_id) % 100 = 7 AND resolved_at IS NOT NULL"
where = "" if which == "whole" else f"WHERE {changed}"
lim = f"LIMIT {limit}" if limit else ""
con.execute(f\"\"\"COPY (SELECT * REPLACE (
    CASE WHEN {changed}
    THEN strftime(resolved_at::TIMESTAMP + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ')
    ELSE strftime(resolved_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ') END AS resolved_at)
  FROM read_csv('{src}', all_varchar = true) {where} ORDER BY ticket_id {lim})
  TO '{out}' (HEADER, DELIMITER ',')\"\"\")
"""


def changed_file(tickets: Path, out: Path, which: str, limit: int = 0) -> Path:
    subprocess.run(
        [sys.executable, "-c", CHANGED, str(tickets), str(out), which, str(limit)], check=True
    )
    return out


def fresh_store(store: Path, tickets: Path, history: Path) -> tuple[float, float]:
    from sla_engine.rulebook.terms import parse_terms
    from sla_engine.store.core import Store

    shutil.rmtree(store, ignore_errors=True)
    Store(store).add_terms([t for d in terms() for t in parse_terms(d)])
    return run(INGEST, str(tickets), str(history), str(store), str(ROOT.parent))


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        work = Path(tempfile.mkdtemp(prefix="covenant-bench-store-"))
        tickets, history = work / "tickets.csv", work / "history.csv"
        export = EXPORT.format(tickets=tickets, history=history)
        subprocess.run([sys.executable, "-c", WRITE_EXPORT, str(n), export], check=True)
        store = work / "store"
        base, full = [], []
        for _ in range(REPEATS):
            out = work / "parquet"
            out.mkdir(exist_ok=True)
            base.append(run(BASELINE, str(tickets), str(history), str(out)))
            full.append(fresh_store(store, tickets, history))
        b = statistics.median(s for s, _ in base)
        f = statistics.median(s for s, _ in full)
        one_pct = changed_file(tickets, work / "only-changed.csv", "changed")
        thousand = changed_file(tickets, work / "thousand.csv", "changed", 1000)
        whole = changed_file(tickets, work / "whole-1pct.csv", "whole")
        measured = {}
        for name, path in (("1 %", one_pct), ("1,000", thousand), ("whole", whole)):
            fresh_store(store, tickets, history)  # each batch onto the same first load
            measured[name] = run(BATCH, str(path), str(store), str(ROOT.parent))
        rows.append(
            {
                "tickets": n,
                "DuckDB CSV→Parquet (s)": round(b, 2),
                "full ingest (s)": round(f, 2),
                "ratio": round(f / b, 1),
                "batch of the 1 % changed (s)": round(measured["1 %"][0], 2),
                "share": f"{measured['1 %'][0] / f:.0%}",
                "whole export, 1 % changed (s)": round(measured["whole"][0], 2),
                "share ": f"{measured['whole'][0] / f:.0%}",
                "batch of 1,000 changed (s)": round(measured["1,000"][0], 2),
                "peak RSS, any ingest or batch (MiB)": round(
                    max(m for _, m in [*full, *measured.values()])
                ),
            }
        )
        shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(rows[-1]), flush=True)
    print_table(rows)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT.parent))
    main([int(a) for a in sys.argv[1:]] or [1_000_000])
