"""Refuse an ingest that cannot fit in this machine's memory, before reading it.

Why: ingest holds the whole export in memory (pandas) while it validates, at about BYTES_FACTOR
times the export's size (measured: 86 MB of CSV peaked at 1.4 GiB, 880 MB at 10.0 GiB). On a
server the kernel's answer to an export too large is to kill the process, which is the app every
user is on; a refusal that says how much is needed, and what to do, is better.
"""

from __future__ import annotations

import struct
from pathlib import Path

from .errors import IngestError

BYTES_FACTOR = 14  # peak memory per byte of export read (measured at 1M and 10M tickets)
MEMINFO = Path("/proc/meminfo")


def available_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux); None where the machine does not say."""
    try:
        for line in MEMINFO.read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def expanded_size(path: Path) -> int:
    """Bytes the reader will hold: a gzip file's recorded original size, else the file's size."""
    size = path.stat().st_size
    if path.name.lower().endswith(".gz") and size >= 18:
        with open(path, "rb") as f:
            f.seek(-4, 2)
            (isize,) = struct.unpack("<I", f.read(4))  # original size mod 4 GiB (RFC 1952)
        return max(size, isize)
    return size


def check(paths: list[Path], label: str) -> None:
    """IngestError when reading `paths` would need more memory than the machine has free."""
    free = available_bytes()
    if free is None:
        return
    need = BYTES_FACTOR * sum(expanded_size(p) for p in paths)
    if need > free:
        raise IngestError(
            f"{label}: too large to load on this server now: about {need / 2**30:.1f} GiB of "
            f"memory is needed and {free / 2**30:.1f} GiB is free. Split the export by date "
            "(each part is merged into the store), or load it on a machine with more free memory."
        )
