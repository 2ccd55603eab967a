"""Load the .sql files that live beside the engine's modules (in its parts' folders)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from sla_engine.errors import EvaluationError

_HERE = Path(__file__).parent
_PYARROW_TYPES = {
    pa.int64(): pd.Int64Dtype(),
    pa.int32(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype("pyarrow"),
    pa.large_string(): pd.StringDtype("pyarrow"),
}


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that never draws a progress bar (on a terminal it would
    write into the CLI's output, on a pipe into whatever reads it)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def _path(name: str) -> Path:
    """Where <name>.sql lives: beside the modules of the part of the engine that runs it
    (rulebook/, ingest/, ledger/, reports/); names are unique across the engine."""
    found = sorted(_HERE.rglob(f"{name}.sql"))
    if len(found) != 1:
        raise EvaluationError(f"{name}.sql: expected one such file, found {len(found)}")
    return found[0]


_INCLUDE = re.compile(r"^-- @include (\w+)\s*$", re.MULTILINE)


@cache
def sql(name: str) -> str:
    """Text of sla_engine/<name>.sql (read once). A line `-- @include other` is replaced by the
    text of other.sql: a rule's CTEs written once are read by every query that applies it
    (evaluate.sql judges with rulebook_history.sql, explain.sql draws its spans)."""
    text = _path(name).read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: sql(m.group(1)).rstrip("\n"), text)


def one_row(
    con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None
) -> tuple[Any, ...]:
    """The single row an aggregate query returns (an aggregate always returns one)."""
    rows = con.execute(query, params or []).fetchall()  # read to the end: the result is done
    row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise EvaluationError(f"expected one row from: {query[:80]}")
    return row


def fetch(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    """A query's rows with nullable dtypes (Int64, Arrow text), as pandas callers expect."""
    table = con.sql(query).to_arrow_table()
    return table.to_pandas(types_mapper=_PYARROW_TYPES.get)


def quote(path: Path) -> str:
    """A path as a SQL string literal (COPY and read_parquet lists take no bound parameter; the
    names are ours, quotes doubled anyway)."""
    return "'" + str(path).replace("'", "''") + "'"


def file_list(paths: list[Path]) -> str:
    return "[" + ", ".join(quote(p) for p in paths) + "]"
