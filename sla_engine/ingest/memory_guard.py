"""Refuse an ingest that cannot fit in this machine's memory, before reading it.

Why: ingest holds an export read whole in memory (pandas) while it validates, at about BYTES_FACTOR
times the export's size (measured: 86 MB of CSV peaked at 1.4 GiB, 880 MB at 10.0 GiB). On a
server the kernel's answer to an export too large is to kill the process, which is the app every
user is on; a refusal that says how much is needed, and what to do, is better.
"""

from __future__ import annotations

import struct
from pathlib import Path

from sla_engine.errors import IngestError

BYTES_FACTOR = 14  # peak memory per byte of export read whole (measured at 1M and 10M tickets)
# a streamed export (csv_stream) needs no more than the ingest's DuckDB memory limit and the SLA
# ledger build's, whatever its size: what is beyond them goes to disk
STREAMED_NEED = 2 * 2**30
MEMINFO = Path("/proc/meminfo")
# a container's own limit and use (cgroup v2, then v1): inside one, /proc/meminfo is the host's
CGROUP_LIMITS = (
    (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")),
    (
        Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
        Path("/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ),
)
UNLIMITED = 1 << 60  # cgroup v1 writes "no limit" as a number near 2**63


def _meminfo_available() -> int | None:
    try:
        for line in MEMINFO.read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def _cgroup_headroom() -> int | None:
    """What the container's memory limit leaves free, or None when there is no limit."""
    for limit_file, usage_file in CGROUP_LIMITS:
        try:
            limit = limit_file.read_text(encoding="ascii").strip()
            usage = int(usage_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or not limit.isdigit() or int(limit) >= UNLIMITED:
            return None
        return max(int(limit) - usage, 0)
    return None


def available_bytes() -> int | None:
    """Free memory for this process: the machine's MemAvailable (Linux), lowered to what a
    container's memory limit leaves; None where neither is known."""
    known = [b for b in (_meminfo_available(), _cgroup_headroom()) if b is not None]
    return min(known) if known else None


def expanded_size(path: Path) -> int:
    """Bytes the reader will hold: a gzip file's recorded original size, else the file's size."""
    size = path.stat().st_size
    if path.name.lower().endswith(".gz") and size >= 18:
        with open(path, "rb") as f:
            f.seek(-4, 2)
            (isize,) = struct.unpack("<I", f.read(4))  # original size mod 4 GiB (RFC 1952)
        return max(size, isize)
    return size


def check(paths: list[Path], label: str, streamed: bool = False) -> None:
    """IngestError when reading `paths` whole (and, if `streamed`, streaming the export into
    DuckDB) would need more memory than the machine has free."""
    free = available_bytes()
    if free is None:
        return
    need = BYTES_FACTOR * sum(expanded_size(p) for p in paths) + (STREAMED_NEED if streamed else 0)
    if need > free:
        raise IngestError(
            f"{label}: too large to load on this server now: about {need / 2**30:.1f} GiB of "
            f"memory is needed and {free / 2**30:.1f} GiB is free. Split the export by date "
            "(each part is merged into the store), or load it on a machine with more free memory."
        )
