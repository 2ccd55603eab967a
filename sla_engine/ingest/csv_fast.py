"""A CSV export read by Arrow's multi-threaded parser straight into Arrow-backed text columns.

Why: pandas' C parser makes one Python string per cell before the columns become Arrow text; at 10M
tickets that is tens of millions of objects, most of the ingest's read time and memory. Arrow reads
the bytes into Arrow text directly. It is used only where it reads the file exactly as pandas
does (tests/test_csv_fast.py compares the two on awkward files and on the real logs); whenever the
file is outside that (a short or long row, a blank or repeated column name, anything Arrow
refuses) this returns None and the caller reads it with pandas, as before.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

_BOM = b"\xef\xbb\xbf"


def first_line(raw: bytes, codec: str, errors: str = "strict") -> str:
    """The file's first line (its header), looked for within the first MiB."""
    end = raw.find(b"\n", 0, 1 << 20)
    return raw[: end if end >= 0 else 1 << 20].decode(codec, errors=errors)


def header_names(raw: bytes, codec: str, sep: str) -> list[str] | None:
    """The column names as pandas reads them, or None when pandas would rename any."""
    try:
        first = first_line(raw, codec)
    except UnicodeDecodeError:
        return None
    rows = list(csv.reader([first.rstrip("\r\n")], delimiter=sep))
    if len(rows) != 1:
        return None
    names = rows[0]
    if not names or any(n == "" or '"' in n for n in names):
        return None  # pandas calls a blank name "Unnamed: k": leave it to pandas
    # a repeated name becomes "name.1", "name.2", as pandas names it
    out = [
        n if names[:i].count(n) == 0 else f"{n}.{names[:i].count(n)}" for i, n in enumerate(names)
    ]
    renamed = [o for o, n in zip(out, names, strict=True) if o != n]
    if len(set(out)) != len(out) or any(o in names for o in renamed):
        return None  # a renamed column would collide with a real one: leave it to pandas
    return out


def read(raw: bytes, codec: str, sep: str) -> pd.DataFrame | None:
    """Every column as text (empty cells as ""), or None to let pandas read the file."""
    names = header_names(raw, codec, sep)
    if names is None:
        return None
    if codec == "utf-8-sig":
        data, encoding = (raw[len(_BOM) :] if raw.startswith(_BOM) else raw), "utf8"
    else:
        data, encoding = raw, codec
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                encoding=encoding, block_size=16 << 20, column_names=names, skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, LookupError):
        return None
    if table.column_names != names:
        return None
    return table.to_pandas(
        types_mapper=lambda t: (
            pd.StringDtype("pyarrow")
            if pa.types.is_string(t) or pa.types.is_large_string(t)
            else None
        )
    )
