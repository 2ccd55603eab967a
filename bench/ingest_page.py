"""Benchmark: what the Ingest page computes before a load, on a real export, against its floor.

The page reads an upload once (ui/resources.raw_export), then shows how the profile reads it (the
read plan) and what a load would keep and quarantine (the dry run). The floor is reading the file.
Default file: the UCI ServiceNow incident event log in ../shared/data (141,712 events, times with
no offset, day-first).
Usage: python bench/ingest_page.py [FILE PROFILE ZONE TERMS]   (prints a markdown row)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UCI = ROOT.parent / "shared" / "data" / "uci-incident-event-log" / "incident_event_log.csv.gz"
REPEATS = 3


def main(path: Path, profile: str, zone: str, terms_file: Path) -> None:
    from flows.ingest import export_plan
    from sla_engine.ingest.options import ReadOptions
    from sla_engine.ingest.readers import read_raw
    from sla_engine.ingest.run import dry_run
    from sla_engine.rulebook.terms import load_terms
    from sla_engine.store.core import Store

    store = Store(Path(tempfile.mkdtemp(prefix="covenant-bench-page-")) / "store")
    store.add_terms(load_terms(terms_file))
    contract = store.terms()[0].contract_id
    runs: dict[str, list[float]] = {"read": [], "plan": [], "dry run": []}
    for _ in range(REPEATS):
        t = time.perf_counter()
        raw = read_raw(path)
        runs["read"].append(time.perf_counter() - t)
        t = time.perf_counter()
        export_plan(path, profile, ReadOptions(), None, raw=raw)
        runs["plan"].append(time.perf_counter() - t)
        t = time.perf_counter()
        _ex, valid = dry_run(store, path, profile, tz=zone, contract=contract, raw=raw)
        runs["dry run"].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in runs.items()}
    total = sum(med.values())
    print(
        "| file | rows | read: the floor (s) | read plan (s) | dry run (s) | before a load (s) "
        "| × floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {path.name} | {len(raw.table):,} | {med['read']:.2f} | {med['plan']:.2f} | "
        f"{med['dry run']:.2f} | {total:.2f} | {total / med['read']:.1f}× |"
    )


if __name__ == "__main__":
    if len(sys.argv) == 5:
        main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        main(UCI, "servicenow", "Europe/Rome", ROOT / "tests" / "fixtures" / "terms_uci.json")
