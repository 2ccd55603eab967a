"""A CSV export streamed into a DuckDB table in Arrow blocks: the file is never held whole.

Why: reading a 10M-ticket export into memory (its bytes, then its columns) is what made the
ingest's memory grow with the file. Here Arrow's streaming reader parses 16 MiB at a time, with
the same parser and options as csv_fast (so the same rows and cells as pandas wherever csv_fast
is used), and each block goes into a table of the ingest's DuckDB connection, which spills to disk
under its memory limit. Where csv_fast would not read the file (gzip, UTF-16, an odd header, a
short or long row), this returns None and the caller reads it as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from sla_engine.ingest import csv_fast
from sla_engine.ingest.readers import CHUNK, codec_of, delimiter_of, file_kind

BLOCK = 16 << 20


@dataclass(frozen=True)
class Layout:
    """How a streamable file is read: its codec, delimiter and column names."""

    codec: str
    encoding_name: str
    sep: str
    names: list[str]


def layout(path: Path) -> Layout | None:
    """The file's layout when it can be streamed, else None (read it whole, as before)."""
    kind, gz = file_kind(path)
    if kind != "csv" or gz:
        return None
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    codec, name = _encoding_of(path)
    sep = delimiter_of(path, csv_fast.first_line(head, codec, errors="replace"))
    names = csv_fast.header_names(head, codec, sep)
    if names is None:
        return None
    stripped = [n.strip() for n in names]  # as read_table strips them
    if len(set(stripped)) != len(stripped):
        return None
    return Layout(codec, name, sep, stripped)


def _encoding_of(path: Path) -> tuple[str, str]:
    """readers.codec_of over the file read in chunks, instead of holding it."""

    def chunks() -> Iterator[bytes]:
        with open(path, "rb") as f:
            yield from iter(lambda: f.read(CHUNK * 16), b"")

    return codec_of(chunks)


def load(con: duckdb.DuckDBPyConnection, path: Path, found: Layout, table: str) -> int | None:
    """Every row of the file into `table` (its columns as text, plus `_row`, 1 = the first data
    row); returns the number of rows, or None (and no table) when Arrow refuses the file."""
    encoding = "utf8" if found.codec == "utf-8-sig" else found.codec
    rows = 0
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, block_size=BLOCK, column_names=found.names, skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(delimiter=found.sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in found.names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
        for batch in reader:
            rows_here = np.arange(rows + 1, rows + batch.num_rows + 1, dtype=np.int64)
            block = pa.Table.from_batches([batch]).append_column("_row", pa.array(rows_here))
            con.register("_block", block)
            if rows == 0:
                con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _block")
            else:
                con.execute(f"INSERT INTO {table} SELECT * FROM _block")
            con.unregister("_block")
            rows += batch.num_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, LookupError):
        con.execute(f"DROP TABLE IF EXISTS {table}")
        return None
    if rows == 0:
        return 0
    return rows
