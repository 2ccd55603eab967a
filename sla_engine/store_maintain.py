"""Keeping the store's table small and fast, as the worker's `store` job: compaction of the small
files many small batches leave, a checkpoint of the log, and a vacuum of the files no version
inside the retention window reads.

Retention: a page pins a version for its run and a superseded cached generation is read at most
READ_GRACE_SECONDS (15 min) after a newer one; the window (COVENANT_STORE_RETENTION_HOURS, default
1 h) is longer than that, and short enough that a store taking a batch every few minutes does not
keep a day of rewritten month partitions. Time travel further back than the window is not kept."""

from __future__ import annotations

import os
from dataclasses import dataclass

from deltalake.exceptions import CommitFailedError

from .errors import StoreError
from .store import READ_GRACE_SECONDS, Store

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

    def text(self) -> str:
        if self.compaction_deferred:
            done = "compaction deferred (a batch committed meanwhile: next turn)"
        else:
            done = f"{self.files_compacted} small files compacted into {self.files_written}"
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
    deferred, compacted, written = False, 0, 0
    try:
        metrics = dt.optimize.compact(target_size=TARGET_FILE_BYTES)
        compacted = int(metrics.get("numFilesRemoved", 0))
        written = int(metrics.get("numFilesAdded", 0))
    except CommitFailedError:
        deferred = True
        dt = store.table.open()
        assert dt is not None
    dt.create_checkpoint()
    removed = dt.vacuum(retention_hours=hours, dry_run=False, enforce_retention_duration=False)
    dt.cleanup_metadata()
    return Maintenance(int(dt.version()), compacted, written, len(removed), deferred)
