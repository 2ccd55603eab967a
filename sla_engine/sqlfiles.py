"""Load the .sql files that live beside the engine's modules."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from .errors import EvaluationError

_HERE = Path(__file__).parent


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that never draws a progress bar (on a terminal it would
    write into the CLI's output, on a pipe into whatever reads it)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


@cache
def sql(name: str) -> str:
    """Text of sla_engine/<name>.sql (read once)."""
    return (_HERE / f"{name}.sql").read_text(encoding="utf-8")


def one_row(
    con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None
) -> tuple[Any, ...]:
    """The single row an aggregate query returns (an aggregate always returns one)."""
    rows = con.execute(query, params or []).fetchall()  # read to the end: the result is done
    row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise EvaluationError(f"expected one row from: {query[:80]}")
    return row
