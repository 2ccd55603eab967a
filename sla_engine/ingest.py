"""Ingest one export into the store: read -> profile -> validate -> merge -> new generation."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import csv_stream, ledger, memory_guard, parked
from .coverage import uncovered
from .errors import IngestError
from .normalize import derive
from .profiles.base import Extract
from .profiles.registry import read_profile
from .routing import Routing
from .spill import spill_folder
from .sqlfiles import connect, one_row, sql
from .store import Store, require_terms
from .validate import Valid, fetch, validate

Progress = Callable[[str, float], None]
# each phase with the share of an ingest's time spent before it starts (measured at 1M tickets)
PHASES = {"read": 0.0, "validate": 0.12, "merge": 0.45, "ledger": 0.82}
# beyond this the ingest's DuckDB tables spill to the store's disk (COVENANT_INGEST_MEMORY)
MEMORY_LIMIT = os.environ.get("COVENANT_INGEST_MEMORY", "1GB")

EMPTY_BASE = (
    "CREATE TEMP TABLE old_base (contract_id VARCHAR, ticket_id VARCHAR, severity VARCHAR, "
    "created_us BIGINT,"
    " first_response_us BIGINT, resolved_us BIGINT, content_hash VARCHAR, batch_id BIGINT,"
    " notes VARCHAR)"
)
EMPTY_EVENTS = (
    "CREATE TEMP TABLE old_events (contract_id VARCHAR, ticket_id VARCHAR, changed_us BIGINT,"
    " field VARCHAR, value VARCHAR, seq BIGINT)"
)
EMPTY_Q = (
    "CREATE TEMP TABLE old_quarantine"
    ' (batch_id BIGINT, file VARCHAR, row BIGINT, "column" VARCHAR, reason VARCHAR)'
)


@dataclass
class IngestReport:
    file: str
    profile: str
    batch_id: int
    input_rows: int
    loaded_rows: int = 0
    updated_rows: int = 0
    unchanged_rows: int = 0
    quarantined_rows: int = 0
    tickets_loaded: int = 0
    tickets_updated: int = 0
    tickets_unchanged: int = 0
    history_rows: int = 0
    history_quarantined: int = 0
    noop_of: int | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def adds_up(self) -> bool:
        return (
            self.loaded_rows + self.updated_rows + self.unchanged_rows + self.quarantined_rows
            == self.input_rows
        )

    def text(self) -> str:
        if self.noop_of is not None:
            return (
                f"{self.file}: already ingested as batch {self.noop_of} (same bytes, profile and "
                f"options);"
                f" nothing changed ({self.input_rows} rows unchanged)"
            )
        lines = [
            f"ingest report: {self.file} (profile {self.profile}, batch {self.batch_id})",
            f"  rows: {self.input_rows} in = {self.loaded_rows} loaded + {self.updated_rows} "
            f"updated"
            f" + {self.unchanged_rows} unchanged + {self.quarantined_rows} quarantined"
            + ("" if self.adds_up else "  (DOES NOT ADD UP)"),
            f"  distinct tickets: {self.tickets_loaded} loaded, {self.tickets_updated} updated,"
            f" {self.tickets_unchanged} unchanged",
        ]
        if self.history_rows:
            lines.append(
                f"  history rows: {self.history_rows} in, {self.history_quarantined} quarantined"
            )
        for why, n in sorted(self.reasons.items(), key=lambda kv: -kv[1])[:10]:
            lines.append(f"  quarantined {n:>7} x {why}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def sha256_file(path: Path | None) -> str:
    if path is None:
        return ""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _reason_kind(reason: str) -> str:
    """Group reasons for the summary ('unknown severity X' -> 'unknown severity')."""
    for prefix in (
        "unparseable time",
        "unknown severity",
        "unknown contract",
        "duplicate ticket id",
        "invalid state",
    ):
        if reason.startswith(prefix):
            return prefix
    return reason


def ingest_file(store_root: Path, args: argparse.Namespace) -> IngestReport:
    options = {
        k: getattr(args, k.replace("-", "_"), None)
        for k in (
            "mapping",
            "case",
            "status",
            "time",
            "severity",
            "contract_col",
            "response_status",
            "date_order",
        )
    }
    columns = {}
    for pair in getattr(args, "column", None) or []:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise IngestError(f"--column {pair!r}: write FIELD=COLUMN, e.g. resolved_at=Solved at")
        columns[field_name.strip()] = column.strip()
    if columns:
        options["columns"] = columns
    return ingest(
        Store(store_root),
        Path(args.file),
        args.profile,
        tz=args.tz,
        contract=args.contract,
        history=Path(args.history) if args.history else None,
        options=options,
    )


def dry_run(
    store: Store,
    path: Path,
    profile: str,
    tz: str | None = None,
    contract: str | None = None,
    history: Path | None = None,
    options: dict | None = None,
    display_name: str | None = None,
    routing: Routing | None = None,
    history_name: str | None = None,
) -> tuple[Extract, Valid]:
    """Read and validate without loading: what an ingest would load and quarantine, and why."""
    by_contract = require_terms(store, contract)
    ex, _ = read_profile(profile, path, history, options or {}, tz)
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
    options: dict | None = None,
    display_name: str | None = None,
    routing: Routing | None = None,
    history_name: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Load one export; all-or-nothing. Returns the report (rows and tickets accounted).

    `progress(phase, done)` is told as each phase starts (PHASES: read, validate, merge, ledger),
    with the share of the work done before it, so a page's bar follows the real work.

    `display_name` and `history_name` name the files in the report, the quarantine and the batch
    list (an upload's own name, not the temporary copy the page reads).
    """
    label = display_name or str(path)
    hlabel = (history_name or str(history)) if history else None
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    fingerprint = "|".join(
        [
            sha256_file(path),
            profile,
            tz or "",
            contract or "",
            sha256_file(history),
            repr(sorted((options or {}).items())),
        ]
        + ([routing.fingerprint()] if routing is not None else [])
    )
    by_contract = require_terms(store, contract)
    done = _already(store.batches(), fingerprint)
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
        ex, hist_rows = read_profile(profile, path, history, options or {}, tz, con=con)
        step("validate", PHASES["validate"])
        # validation leaves the checked batch in `con`, for the merge to read
        valid = validate(ex, label, tz, contract, by_contract, hlabel, routing, con=con)
        return _merge(
            store,
            con,
            ex,
            valid,
            fingerprint,
            label,
            hlabel,
            profile,
            tz,
            contract,
            hist_rows,
            step,
        )


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


def _merge(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    ex: Extract,
    valid: Valid,
    fingerprint: str,
    label: str,
    hlabel: str | None,
    profile: str,
    tz: str | None,
    contract: str | None,
    hist_rows: int,
    step: Progress,
) -> IngestReport:
    """Merge the checked batch into a new generation, publish it with its SLA ledger."""

    step("merge", PHASES["merge"])
    with store.write_lock():
        prev = store.batches()
        done = _already(prev, fingerprint)
        if done is not None:  # another process ingested the same file while we validated
            return IngestReport(
                label, profile, done[0], done[1], unchanged_rows=done[1], noop_of=done[0]
            )
        batch_id = int(prev["batch_id"].max()) + 1 if len(prev) else 1
        con.execute("SET VARIABLE batch_id = ?", [batch_id])
        old = store.current()
        if old is not None:
            store.attach(con)
            con.execute("CREATE TEMP TABLE old_base AS SELECT * FROM base")
            con.execute("CREATE TEMP TABLE old_events AS SELECT * FROM events")
            con.execute("CREATE TEMP TABLE old_quarantine AS SELECT * FROM quarantine")
            con.execute("CREATE TEMP TABLE old_batches AS SELECT * FROM batches")
        else:
            con.execute(EMPTY_BASE)
            con.execute(EMPTY_EVENTS)
            con.execute(EMPTY_Q)
        con.execute(
            "CREATE TEMP TABLE nb_t AS SELECT contract_id, ticket_id, severity, created_us,"
            " first_response_us, resolved_us, notes FROM v_tickets"
        )
        # events keep the file's order within a ticket (seq)
        con.execute(
            "CREATE TEMP TABLE nb_e AS SELECT contract_id, ticket_id, changed_us, field, value,"
            " row_number() OVER (ORDER BY _pos) - 1 AS seq FROM v_events"
        )
        # each kept input row's ticket, counted (unless each row is its own ticket); then the
        # validation's tables are let go
        if not valid.rows_are_tickets:
            con.execute(
                "CREATE TEMP TABLE nb_rows AS SELECT contract_id, ticket_id, count(*) AS n"
                " FROM v_rows GROUP BY ALL"
            )
        parked_now = parked.park(ex, valid, tz, contract)
        valid.release()
        history_given = one_row(con, "SELECT count(*) FROM nb_e")[0] > 0
        if (
            old is not None
        ):  # events continue the old sequence numbers so order within a ticket is kept
            con.execute(
                "UPDATE nb_e SET seq = seq + (SELECT coalesce(max(seq), 0) + 1 FROM old_events)"
            )
        kept_history = _keep_stored_history(con) if old is not None and not history_given else 0
        con.execute(sql("ingest"))
        if old is None:  # a first load: the merged tickets are the batch's
            con.execute("ALTER TABLE nb RENAME TO t_in")
        else:
            con.execute(sql("ingest_carry"))
        ticket_outcomes = dict(
            con.execute("SELECT outcome, count(*) FROM nb_class GROUP BY ALL").fetchall()
        )
        # every kept input row counted by what happened to its ticket
        row_outcomes = (
            ticket_outcomes
            if valid.rows_are_tickets
            else dict(
                con.execute(
                    "SELECT c.outcome, sum(r.n)::BIGINT FROM nb_rows r LEFT JOIN nb_class c "
                    "USING (contract_id, ticket_id) GROUP BY ALL"
                ).fetchall()
            )
        )
        derive(con, keep_numbered=True)
        # the store's tickets that no terms version judges: stored, and the report says how many
        terms = store.terms()  # read once: the coverage note and the ledger build use them
        not_measured = uncovered(con, "tickets", terms)

        notes = list(ex.notes) + [u.note() for u in not_measured]
        if kept_history:
            notes.append(
                f"this export carries no status or field history: the history already stored for "
                f"{kept_history:,} of its tickets was kept (upload the history file to replace it)"
            )
        report = _account(
            valid, row_outcomes, ticket_outcomes, label, profile, batch_id, hist_rows, notes
        )
        q = valid.quarantine.copy()
        q.insert(0, "batch_id", batch_id)
        con.register("_q", q)
        batch_row = pd.DataFrame(
            [
                {
                    "batch_id": batch_id,
                    "file": label,
                    "history_file": hlabel,
                    "profile": profile,
                    "tz": tz,
                    "contract": contract,
                    "fingerprint": fingerprint,
                    "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "input_rows": report.input_rows,
                    "loaded_rows": report.loaded_rows,
                    "updated_rows": report.updated_rows,
                    "unchanged_rows": report.unchanged_rows,
                    "quarantined_rows": report.quarantined_rows,
                    "tickets_loaded": report.tickets_loaded,
                    "tickets_updated": report.tickets_updated,
                    "tickets_unchanged": report.tickets_unchanged,
                }
            ]
        )
        con.register("_b", batch_row)
        gen = store.new_generation_dir()
        try:
            outputs = {
                # n_t is held in tid order, which is (contract_id, ticket_id) order (normalize.sql)
                "base": "SELECT * EXCLUDE (tid) FROM n_t",
                "events": "SELECT * FROM e_in ORDER BY contract_id, ticket_id, changed_us, seq",
                "tickets": "SELECT * FROM tickets ORDER BY tid",
                "status_log": "SELECT * FROM status_log ORDER BY tid, start_us",
                "severity_log": "SELECT * FROM severity_log ORDER BY tid, start_us",
                "quarantine": "SELECT * FROM old_quarantine UNION ALL BY NAME"
                " SELECT batch_id::BIGINT batch_id, file, row::BIGINT row,"
                ' "column", reason FROM _q',
                "batches": (
                    "SELECT * FROM old_batches UNION ALL BY NAME SELECT * FROM _b"
                    if old is not None
                    else "SELECT * FROM _b"
                ),
            }
            for name, query in outputs.items():
                target = str(gen / (name + ".parquet")).replace(
                    "'", "''"
                )  # COPY takes no bound path
                con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet)")

            def loaded() -> set[str]:  # asked only when earlier batches left rows parked
                return {str(r[0]) for r in con.execute("SELECT ticket_id FROM nb_class").fetchall()}

            parked.write(gen, parked.carry(old, loaded, parked_now))
            # published together with its SLA ledger, so the first report needs no full evaluation
            if terms:
                step("ledger", PHASES["ledger"])
                # judged incrementally: only what this batch changed or added, and the open tickets
                prev = ledger.latest(old) if old is not None else None
                # (asked only when there is a ledger to build on; Arrow text, not Python strings)
                changed = (
                    fetch(
                        con,
                        "SELECT contract_id, ticket_id FROM nb_class WHERE outcome <> 'unchanged'",
                    )
                    if prev is not None
                    else None
                )
                # the batch is written: its memory goes back before the ledger build takes its own
                con.close()
                ledger.build(gen, terms, prev, changed)
            store.publish(gen)
        except BaseException:
            # never leave a half-written generation behind; CURRENT still names the old one
            shutil.rmtree(gen, ignore_errors=True)
            raise
        return report


def _keep_stored_history(con: duckdb.DuckDBPyConnection) -> int:
    """An export with no history at all (a tickets file alone) says nothing about the tickets'
    histories: the stored one of each of its tickets is carried into the batch, so re-uploading
    the tickets file never drops pauses and reopenings loaded earlier. Returns how many tickets."""
    con.execute(
        "INSERT INTO nb_e SELECT o.contract_id, o.ticket_id, o.changed_us, o.field, o.value, o.seq"
        " FROM old_events o SEMI JOIN nb_t n USING (contract_id, ticket_id)"
    )
    return int(one_row(con, "SELECT count(DISTINCT (contract_id, ticket_id)) FROM nb_e")[0])


def reroute(store: Store, routing: Routing) -> IngestReport | None:
    """Load the parked rows that the contracts' customer keys and priority labels now route
    (the rest stay parked); None when nothing is parked."""
    gen = store.current()
    files = parked.as_files(gen) if gen is not None else None
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
    return len(parked.read(store.current())[0])


def _already(prev: pd.DataFrame, fingerprint: str) -> tuple[int, int] | None:
    """(batch_id, input_rows) of an earlier ingest of exactly this file and options."""
    if len(prev) == 0:
        return None
    hit = prev[prev["fingerprint"] == fingerprint]
    return (int(hit["batch_id"].iloc[0]), int(hit["input_rows"].iloc[0])) if len(hit) else None


def _account(
    valid,
    counts: dict[str | None, int],
    tcounts: dict[str, int],
    file: str,
    profile: str,
    batch_id: int,
    hist_rows: int,
    notes: list[str],
) -> IngestReport:
    """Every input row is loaded, updated, unchanged or quarantined; the sums must match."""
    main_q = valid.quarantine[valid.quarantine["file"] == file]
    hist_q = valid.quarantine[valid.quarantine["file"] != file]
    rep = IngestReport(
        file=file,
        profile=profile,
        batch_id=batch_id,
        input_rows=valid.input_rows,
        loaded_rows=int(counts.get("loaded", 0)),
        updated_rows=int(counts.get("updated", 0)),
        unchanged_rows=int(counts.get("unchanged", 0)),
        quarantined_rows=int(main_q["row"].nunique()),
        tickets_loaded=int(tcounts.get("loaded", 0)),
        tickets_updated=int(tcounts.get("updated", 0)),
        tickets_unchanged=int(tcounts.get("unchanged", 0)),
        history_rows=hist_rows,
        history_quarantined=int(hist_q["row"].nunique()),
        notes=list(notes),
    )
    rep.reasons = valid.quarantine["reason"].map(_reason_kind).value_counts().to_dict()
    if not rep.adds_up:
        raise IngestError(f"{file}: internal accounting error: {rep.text()}")
    return rep
