"""Keeping the store's table small and fast, as the worker's `store` job: the change sets small
batches appended folded into their months, compaction of the small files many batches leave, a
checkpoint of the log, and a vacuum of the files no version inside the retention window reads.

Retention: a page pins a version for its run and a superseded cached generation is read at most
READ_GRACE_SECONDS (15 min) after a newer one; the window (COVENANT_STORE_RETENTION_HOURS, default
1 h) is longer than that, and short enough that a store taking a batch every few minutes does not
keep a day of rewritten month partitions. Time travel further back than the window is not kept."""

from __future__ import annotations

from dataclasses import dataclass

from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

import config
from sla_engine.errors import StoreError
from sla_engine.sqlfiles import connect
from sla_engine.store.core import READ_GRACE_SECONDS, Store
from sla_engine.store.table import (
    MONTH_SQL,
    TOMBSTONE,
    Conflict,
    quoted,
    reader,
    relation,
    resolved_tickets_sql,
    ticket_parts,
)

DEFAULT_RETENTION_HOURS = 1
TARGET_FILE_BYTES = 64 << 20


@dataclass(frozen=True)
class Maintenance:
    """What one pass did."""

    version: int
    files_compacted: int
    files_written: int
    files_removed: int
    compaction_deferred: bool
    change_sets_folded: int = 0

    def text(self) -> str:
        if self.compaction_deferred:
            done = "compaction deferred (a batch committed meanwhile: next turn)"
        else:
            done = (
                f"{self.change_sets_folded} change sets folded into their months, "
                f"{self.files_compacted} small files compacted into {self.files_written}"
            )
        return f"version {self.version}: {done}; {self.files_removed} unread files removed"


def retention_hours() -> int:
    raw = config.get("COVENANT_STORE_RETENTION_HOURS") or str(DEFAULT_RETENTION_HOURS)
    try:
        hours = int(raw)
    except ValueError as e:
        raise StoreError(f"COVENANT_STORE_RETENTION_HOURS={raw[:20]!r} is not whole hours") from e
    if hours * 3600 <= READ_GRACE_SECONDS:
        raise StoreError(
            f"COVENANT_STORE_RETENTION_HOURS={hours} is shorter than a page may read an old "
            f"version ({READ_GRACE_SECONDS // 60} min): give at least 1"
        )
    return hours


def maintain(store: Store, hours: int | None = None) -> Maintenance | None:
    """One pass over the table (None: nothing stored yet). Safe beside writers on any host: the
    compaction is an ordinary commit that yields to a batch committed meanwhile."""
    hours = retention_hours() if hours is None else hours
    dt = store.table.open()
    if dt is None:
        return None
    deferred, compacted, written, folded = False, 0, 0, 0
    try:
        folded = fold_change_sets(store, dt)
        dt = store.table.open() or dt
        metrics = dt.optimize.compact(target_size=TARGET_FILE_BYTES)
        compacted = int(metrics.get("numFilesRemoved", 0))
        written = int(metrics.get("numFilesAdded", 0))
    except (CommitFailedError, Conflict):
        deferred = True
        dt = store.table.open()
        assert dt is not None
    dt.create_checkpoint()
    removed = dt.vacuum(retention_hours=hours, dry_run=False, enforce_retention_duration=False)
    dt.cleanup_metadata()
    return Maintenance(int(dt.version()), compacted, written, len(removed), deferred, folded)


FOLD_MEMORY = "256MB"  # the fold's DuckDB spills beyond this: one month at a time, flat memory


def fold_change_sets(store: Store, dt: DeltaTable) -> int:
    """Rewrite each month the change sets touch with its tickets' current rows — one commit per
    month, so memory holds one month whatever the store's size —, then drop the change sets in a
    last commit (Conflict when a batch committed meanwhile: the next turn goes on). Between the
    commits every reader sees the same tickets: a folded month row and its change set row are the
    same version (store_table.resolved_tickets_sql). Returns how many change sets were folded."""
    _months, deltas = ticket_parts(dt)
    if not deltas:
        return 0
    loc = store.table.location
    month = MONTH_SQL.format(col="created_us")
    con = connect()
    try:
        con.execute(f"SET memory_limit = '{FOLD_MEMORY}'")
        con.execute("SET preserve_insertion_order = false")
        if loc.local:
            con.execute("SET temp_directory = ?", [str(store.root / ".fold-spill")])
        relation(con, dt, loc, "ticket", deltas).create_view("_facts_deltas", replace=True)
        touched = [
            str(r[0])
            for r in con.execute(
                f"SELECT DISTINCT {month} FROM _facts_deltas"
                f" WHERE payload IS DISTINCT FROM '{TOMBSTONE}' ORDER BY 1"
            ).fetchall()
        ]
        # months holding an older row of a changed ticket (its creation moved, or it was deleted)
        months, _ = ticket_parts(dt)
        relation(con, dt, loc, "ticket", months).create_view("_facts_months", replace=True)
        touched = sorted(
            set(touched)
            | {
                str(r[0])
                for r in con.execute(
                    f"SELECT DISTINCT {month} FROM _facts_months"
                    " WHERE ticket_id IN (SELECT ticket_id FROM _facts_deltas)"
                    " AND (contract_id, ticket_id) IN"
                    " (SELECT contract_id, ticket_id FROM _facts_deltas)"
                ).fetchall()
            }
        )
        for m in touched:
            dt = store.table.open() or dt
            relation(con, dt, loc, "ticket", [m]).create_view("_facts_month", replace=True)
            current = resolved_tickets_sql("_facts_month", "_facts_deltas")
            con.execute("SET VARIABLE fold_month = ?", [m])
            rows = reader(
                con,
                f"SELECT 'ticket' AS kind, {month} AS part, contract_id, ticket_id, severity,"
                " created_us, first_response_us, resolved_us, content_hash, batch_id, notes,"
                f" history, NULL::VARCHAR AS payload FROM ({current})"
                f" WHERE {month} = getvariable('fold_month')",
            )
            store.table.commit(dt, rows, f"kind = 'ticket' AND part IN {quoted([m])}")
        dt = store.table.open() or dt
        store.table.commit(
            dt, reader(con, _NO_ROWS), f"kind = 'ticket' AND part IN {quoted(deltas)}"
        )
    finally:
        con.close()
    return len(deltas)


_NO_ROWS = (
    "SELECT NULL::VARCHAR AS kind, NULL::VARCHAR AS part, NULL::VARCHAR AS contract_id,"
    " NULL::VARCHAR AS ticket_id, NULL::VARCHAR AS severity, NULL::BIGINT AS created_us,"
    " NULL::BIGINT AS first_response_us, NULL::BIGINT AS resolved_us,"
    " NULL::VARCHAR AS content_hash, NULL::BIGINT AS batch_id, NULL::VARCHAR AS notes,"
    " NULL::STRUCT(changed_us BIGINT, field VARCHAR, value VARCHAR, seq BIGINT)[] AS history,"
    " NULL::VARCHAR AS payload WHERE false"
)
