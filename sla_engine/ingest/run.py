"""Ingest one export into the store: read -> profile -> validate -> merge -> new generation.

The entry points (CLI, pages, parked rows routed again) and what an ingest holds while it runs: its
DuckDB connection under a memory limit. The merge is merge.py; the report is ingest_report.py."""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

import config
from sla_engine.errors import IngestError
from sla_engine.ingest import csv_stream, memory_guard
from sla_engine.ingest.input_limits import check_shape
from sla_engine.ingest.merge import Batch, merge
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.profiles.base import Extract
from sla_engine.ingest.profiles.registry import read_profile
from sla_engine.ingest.readers import RawExport
from sla_engine.ingest.report import PHASES, IngestReport, Progress, already
from sla_engine.ingest.routing import Routing
from sla_engine.ingest.validate import Valid, validate
from sla_engine.sqlfiles import connect
from sla_engine.store import parked_files
from sla_engine.store.core import Store, require_terms
from sla_engine.store.spill import spill_folder

__all__ = ["PHASES", "IngestReport", "dry_run", "ingest", "ingest_file", "parked_count", "reroute"]

# beyond this the ingest's DuckDB tables spill to the store's disk (COVENANT_INGEST_MEMORY)
MEMORY_LIMIT = config.get("COVENANT_INGEST_MEMORY") or "1GB"


def sha256_file(path: Path | None) -> str:
    if path is None:
        return ""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest_file(store_root: Path, args: argparse.Namespace) -> IngestReport:
    columns: dict[str, str | list[str]] = {}
    for pair in getattr(args, "column", None) or []:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise IngestError(f"--column {pair!r}: write FIELD=COLUMN, e.g. resolved_at=Solved at")
        columns[field_name.strip()] = column.strip()
    options = ReadOptions(
        mapping_file=getattr(args, "mapping", None),
        case=getattr(args, "case", None),
        status=getattr(args, "status", None),
        time=getattr(args, "time", None),
        severity=getattr(args, "severity", None),
        contract_col=getattr(args, "contract_col", None),
        response_status=tuple(getattr(args, "response_status", None) or ()),
        date_order=getattr(args, "date_order", None),
        columns=columns,
    )
    profile = args.profile
    if getattr(args, "recipe", None):
        from sla_engine.ingest.recipes import load

        recipe = load(args.recipe)
        profile = profile or recipe.profile
        args.tz = args.tz or recipe.timezone
        options = options.over(recipe.options())
    if not profile:
        raise IngestError("say how to read the file: --recipe NAME|FILE or --profile NAME")

    def say_waiting(phase: str, done: float) -> None:  # the other phases pass unsaid on a terminal
        if phase == "waiting":
            print("another ingest committed to the store first: merging onto it…", file=sys.stderr)

    return ingest(
        Store(store_root),
        Path(args.file),
        profile,
        tz=args.tz,
        contract=args.contract,
        history=Path(args.history) if args.history else None,
        options=options,
        progress=say_waiting,
    )


def dry_run(
    store: Store,
    path: Path,
    profile: str,
    tz: str | None = None,
    contract: str | None = None,
    history: Path | None = None,
    options: ReadOptions | None = None,
    display_name: str | None = None,
    routing: Routing | None = None,
    history_name: str | None = None,
    raw: RawExport | None = None,
    raw_history: RawExport | None = None,
) -> tuple[Extract, Valid]:
    """Read and validate without loading: what an ingest would load and quarantine, and why."""
    for p, name in ((path, display_name), (history, history_name)):
        if p is not None:
            check_shape(p, name)
    by_contract = require_terms(store, contract)
    ex, _ = read_profile(
        profile, path, history, options or ReadOptions(), tz, raw=raw, raw_history=raw_history
    )
    label = display_name or str(path)
    hlabel = (history_name or str(history)) if history else None
    return ex, validate(ex, label, tz, contract, by_contract, hlabel, routing)


def ingest(
    store: Store,
    path: Path,
    profile: str,
    tz: str | None = None,
    contract: str | None = None,
    history: Path | None = None,
    options: ReadOptions | None = None,
    display_name: str | None = None,
    routing: Routing | None = None,
    history_name: str | None = None,
    progress: Progress | None = None,
    history_appends: bool = False,
) -> IngestReport:
    """Load one export; all-or-nothing. Returns the report (rows and tickets accounted).

    `progress(phase, done)` is told as each phase starts (PHASES: read, validate, merge, ledger),
    with the share of the work done before it, so a page's bar follows the real work.

    `display_name` and `history_name` name the files in the report, the quarantine and the batch
    list (an upload's own name, not the temporary copy the page reads).

    `history_appends`: the history holds only new changes, added to the stored ones (a connector's
    event stream); by default a ticket's history in the batch replaces its stored one.
    """
    label = display_name or str(path)
    hlabel = (history_name or str(history)) if history else None
    if not path.exists():
        raise IngestError(f"{label}: no such file")
    if path.is_dir():
        raise IngestError(f"{label}: is a folder; name one export file")
    for p, name in ((path, label), (history, hlabel)):
        if p is not None:
            check_shape(p, name)  # limits first: before any read, lock or work
    fingerprint = "|".join(
        [
            sha256_file(path),
            profile,
            tz or "",
            contract or "",
            sha256_file(history),
            (options or ReadOptions()).to_json(),
        ]
        + (["history appends"] if history_appends else [])
        + ([routing.fingerprint()] if routing is not None else [])
    )
    by_contract = require_terms(store, contract)
    done = already(store.batches(), fingerprint)
    if done is not None:  # same bytes and options: a no-op, without reading the file again
        return IngestReport(
            label, profile, done[0], done[1], unchanged_rows=done[1], noop_of=done[0]
        )
    # a generic CSV export is streamed into DuckDB (csv_stream), not held: only the rest counts
    streamed = profile == "generic" and csv_stream.layout(path) is not None
    memory_guard.check(
        [p for p in (path, history) if p is not None and not (streamed and p == path)],
        label,
        streamed=streamed,
    )
    step = progress or (lambda phase, done: None)
    with _spilling_connection(store) as con:
        step("read", PHASES["read"])
        ex, hist_rows = read_profile(profile, path, history, options or ReadOptions(), tz, con=con)
        step("validate", PHASES["validate"])
        # validation leaves the checked batch in `con`, for the merge to read
        valid = validate(ex, label, tz, contract, by_contract, hlabel, routing, con=con)
        batch = Batch(
            ex, valid, fingerprint, label, hlabel, profile, tz, contract, hist_rows, history_appends
        )
        return merge(store, con, batch, step)


@contextmanager
def _spilling_connection(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """The ingest's DuckDB connection: a memory limit, and its own spill folder in the store
    (spill.py), so an export larger than memory goes to disk instead of growing the process."""
    with spill_folder(store.root) as folder:
        con = connect()
        try:
            con.execute("SET memory_limit = ?", [MEMORY_LIMIT])
            con.execute("SET temp_directory = ?", [str(folder / "duckdb")])
            yield con
        finally:
            con.close()


def reroute(store: Store, routing: Routing) -> IngestReport | None:
    """Load the parked rows that the contracts' customer keys and priority labels now route
    (the rest stay parked); None when nothing is parked."""
    gen = store.current()
    files = parked_files.as_files(gen) if gen is not None else None
    if files is None:
        return None
    tickets, history = files
    try:
        return ingest(
            store,
            tickets,
            "generic",
            history=history,
            routing=routing,
            display_name="rows parked earlier, routed again",
        )
    finally:
        shutil.rmtree(tickets.parent, ignore_errors=True)


def parked_count(store: Store) -> int:
    """How many parked tickets wait for a customer key or a priority label."""
    return len(parked_files.read(store.current())[0])
