"""Spill folders left by a killed ingest are removed by the next one; a live ingest's never are."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sla_engine.store import spill


def _folder(root: Path, name: str, lock: bool = True) -> Path:
    folder = root / (spill.PREFIX + name)
    folder.mkdir(parents=True)
    (folder / "spilled.tmp").write_bytes(b"x" * 1024)
    if lock:
        (folder / spill.LOCK).write_text("")
    return folder


def test_a_folder_left_by_a_killed_ingest_is_removed_and_a_live_ones_kept(tmp_path):
    dead = _folder(tmp_path, "dead")  # its lock file exists but nobody holds it
    live = _folder(tmp_path, "live")
    holder = subprocess.Popen(  # another process holds the live folder's lock, as an ingest does
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "fh = open(sys.argv[1]); fcntl.flock(fh, fcntl.LOCK_EX); print('held', flush=True)\n"
            "time.sleep(60)",
            str(live / spill.LOCK),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with spill.spill_folder(tmp_path) as mine:
            assert mine.is_dir() and mine.name.startswith(spill.PREFIX)
            assert not dead.exists()
            assert live.exists()
            assert spill.sweep(tmp_path) == []  # neither mine nor the live one is taken
        assert not mine.exists()
    finally:
        holder.kill()
        holder.communicate()
    assert spill.sweep(tmp_path) == [live]  # its holder died: the lock is free


def test_a_folder_without_a_lock_is_left_alone_until_it_is_old(tmp_path):
    young = _folder(tmp_path, "young", lock=False)  # may be one being made this instant
    old = _folder(tmp_path, "old", lock=False)  # from before spill folders had locks
    past = time.time() - spill.UNLOCKED_GRACE_SECONDS - 60
    os.utime(old, (past, past))
    assert spill.sweep(tmp_path) == [old]
    assert young.exists() and not old.exists()
