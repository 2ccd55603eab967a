"""Benchmark: full `report` vs a plain DuckDB scan-and-group-by of the same Parquet, side by side.

Each measurement runs in its own process (so peak RSS is its own), three times; the table shows the median.
Usage: python bench/run.py [N ...]   (default 1000000 10000000)
"""
from __future__ import annotations

import json
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

REPORT = """
import duckdb, sys, time
sys.path.insert(0, sys.argv[2])
from sla_engine import analysis
from sla_engine.terms import load_terms
d = sys.argv[1]
terms = load_terms(d + '/terms.json')
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
t = time.perf_counter()
for name in ('tickets', 'status_log', 'severity_log'):
    con.read_parquet(f'{d}/{name}.parquet').create_view(name)
rep = analysis.monthly_report(con, terms, 1_767_225_600_000_000)  # as of 2026-01-01, as `report` does
print(time.perf_counter() - t)
import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def measure(code: str, data: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB), both as the child measured itself."""
    proc = subprocess.run([sys.executable, "-c", code, str(data), str(ROOT.parent)],
                          capture_output=True, text=True, check=True)
    seconds, peak = proc.stdout.strip().splitlines()[-2:]
    return float(seconds), float(peak)


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        data = OUT / str(n)
        if not (data / "terms.json").exists():
            t = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "generate.py"), str(n), str(data)], check=True)
            print(f"generated {n:,} tickets in {time.perf_counter() - t:.1f} s", flush=True)
        base, rep, base_mem, rep_mem = [], [], 0.0, 0.0
        for _ in range(REPEATS):  # interleaved so both see the same machine state
            s, m = measure(BASELINE, data)
            base.append(s)
            base_mem = max(base_mem, m)
            s, m = measure(REPORT, data)
            rep.append(s)
            rep_mem = max(rep_mem, m)
        b, r = statistics.median(base), statistics.median(rep)
        rows.append({"tickets": n, "scan_s": round(b, 3), "report_s": round(r, 3), "ratio": round(r / b, 2),
                     "report_peak_mib": round(rep_mem), "scan_peak_mib": round(base_mem)})
        print(json.dumps(rows[-1]), flush=True)
    print("\n| tickets | plain scan + group-by (s) | full report (s) | ratio | report peak RSS (MiB) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['tickets']:,} | {r['scan_s']} | {r['report_s']} | {r['ratio']}× | {r['report_peak_mib']} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000])
