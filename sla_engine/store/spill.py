"""The ingest's spill folders in the store: one per ingest, held by a lock while it runs, so a
later ingest can tell a folder left by a killed one (its lock is free) from a live one's."""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = ".spill-"
LOCK = "owner.lock"
# a folder with no lock file yet may be one being made this instant: left alone until this old
UNLOCKED_GRACE_SECONDS = 3600


@contextmanager
def spill_folder(root: Path) -> Iterator[Path]:
    """A fresh spill folder in `root`, locked for as long as the caller uses it, then removed.
    Folders that killed ingests left behind are removed first."""
    root.mkdir(parents=True, exist_ok=True)
    sweep(root)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    try:
        with open(folder / LOCK, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # released by the OS if this process dies
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(root: Path) -> list[Path]:
    """Remove the spill folders no live ingest holds; returns those removed."""
    removed = []
    for folder in root.glob(PREFIX + "*"):
        if folder.is_dir() and _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _abandoned(folder: Path) -> bool:
    lock = folder / LOCK
    if not lock.exists():
        return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE_SECONDS
    with open(lock) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live ingest holds it
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True
