"""Limits a stranger's file must meet before anything parses it, checked in one streaming pass
(seconds even for gigabytes, no memory held): no physical line longer than MAX_LINE_BYTES, no more
than MAX_COLUMNS columns, and no column named twice. A file over a limit is refused naming the
limit, the line or the columns; nothing is read into the store and no lock is taken.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sla_engine.errors import IngestError
from sla_engine.ingest.readers import codec_of, delimiter_of, file_kind

MAX_LINE_BYTES = 4 * 1024**2  # a ticket with a long description is ~100 kB; 4 MiB is no export
MAX_COLUMNS = 1_000  # the widest real export seen (ServiceNow, all fields) has ~300
CHUNK = 8 * 1024**2


def check_shape(path: Path, label: str | None = None) -> None:
    """Refuse a delimited text file whose lines or header break the limits (other kinds pass:
    their readers bound themselves)."""
    name = label or path.name
    kind, gz = file_kind(path)
    if kind != "csv" or gz:
        return
    header = _first_line(path, name)
    _check_lines(path, name)
    try:
        codec, _ = codec_of(lambda: [header])
    except UnicodeDecodeError:
        return  # the reader reports the encoding
    text = header.decode(codec, errors="replace").rstrip("\r\n")
    sep = delimiter_of(path, text)
    names = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    if len(names) > MAX_COLUMNS:
        raise IngestError(
            f"{name}: refused: the header has {len(names):,} columns, more than the limit of "
            f"{MAX_COLUMNS:,}; export only the ticket fields"
        )
    seen: dict[str, int] = {}
    twice: list[str] = []
    for i, n in enumerate(names, start=1):
        key = n.strip().lower()
        if key in seen and key:
            twice.append(f"{n.strip()!r} (columns {seen[key]} and {i})")
        seen.setdefault(key, i)
    if twice:
        raise IngestError(
            f"{name}: refused: columns named twice: {'; '.join(twice[:5])}; the file cannot say "
            "which one holds the value. Rename or remove one of each."
        )


def _first_line(path: Path, name: str) -> bytes:
    with open(path, "rb") as f:
        head = f.read(MAX_LINE_BYTES + 1)
    end = head.find(b"\n")
    if end < 0 and len(head) > MAX_LINE_BYTES:
        raise _too_long(name, 1)
    return head if end < 0 else head[: end + 1]


def _check_lines(path: Path, name: str) -> None:
    line, run = 1, 0  # the line being read, and its length so far
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            start = 0
            while (nl := chunk.find(b"\n", start)) >= 0:
                if run + nl - start > MAX_LINE_BYTES:
                    raise _too_long(name, line)
                line, run, start = line + 1, 0, nl + 1
            run += len(chunk) - start
            if run > MAX_LINE_BYTES:
                raise _too_long(name, line)


def _too_long(name: str, line: int) -> IngestError:
    return IngestError(
        f"{name}: refused: line {line:,} is longer than {MAX_LINE_BYTES // 1024**2} MiB (the "
        "limit for one line of an export); is this a help-desk export?"
    )
