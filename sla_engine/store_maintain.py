"""Keeping the store's table small and fast, as the worker's `store` job: the change sets small
batches appended folded into their months, compaction of the small files many batches leave, a
checkpoint of the log, and a vacuum of the files no version inside the retention window reads.

Retention: a page pins a version for its run and a superseded cached generation is read at most
READ_GRACE_SECONDS (15 min) after a newer one; the window (COVENANT_STORE_RETENTION_HOURS, default
1 h) is longer than that, and short enough that a store taking a batch every few minutes does not
keep a day of rewritten month partitions. Time travel further back than the window is not kept."""

from __future__ import annotations

import os
from dataclasses import dataclass

from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

from .errors import StoreError
from .sqlfiles import connect
from .store import READ_GRACE_SECONDS, Store
from .store_table import MONTH_SQL, TOMBSTONE, Conflict, quoted, reader, ticket_parts

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
    raw = os.environ.get("COVENANT_STORE_RETENTION_HOURS", "") or str(DEFAULT_RETENTION_HOURS)
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


def fold_change_sets(store: Store, dt: DeltaTable) -> int:
    """Rewrite the months the change sets touch with each ticket's current row, and drop the
    change sets, in one commit (Conflict when a batch committed meanwhile). Returns how many
    change sets were folded."""
    _months, deltas = ticket_parts(dt)
    if not deltas:
        return 0
    con = connect()
    try:
        store.attach_facts(con, dt)  # _facts_ticket: the current rows; _facts_deltas, _facts_months
        month = MONTH_SQL.format(col="created_us")
        touched = [
            str(r[0])
            for r in con.execute(
                f"SELECT DISTINCT {month} FROM _facts_deltas"
                f" WHERE payload IS DISTINCT FROM '{TOMBSTONE}'"
                f" UNION SELECT DISTINCT {month} FROM _facts_months m"
                " SEMI JOIN _facts_deltas d USING (contract_id, ticket_id) ORDER BY 1"
            ).fetchall()
        ]
        con.execute("SET VARIABLE touched = ?", [touched])
        rows = reader(
            con,
            f"SELECT 'ticket' AS kind, {month} AS part, contract_id, ticket_id, severity,"
            " created_us, first_response_us, resolved_us, content_hash, batch_id, notes, history,"
            " NULL::VARCHAR AS payload FROM _facts_ticket"
            f" WHERE list_contains(getvariable('touched'), {month})",
        )
        store.table.commit(dt, rows, f"kind = 'ticket' AND part IN {quoted(touched + deltas)}")
    finally:
        con.close()
    return len(deltas)
