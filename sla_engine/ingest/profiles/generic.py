"""`generic`: the documented columns (also the `evaluate` command's files).

Tickets: ticket_id, [contract_id], severity, created_at, first_response_at, resolved_at.
History (optional second file): ticket_id, changed_at, field (status|severity), value.
First response = first_response_at; resolution = resolved_at, or the status history when given.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest.profiles.base import (
    TICKET_FIELDS,
    Extract,
    empty_events,
    find_column,
    ticket_frame,
    with_rows,
)

NAME = "generic"
WORDS = {
    "ticket_id": "ticket id",
    "contract_id": "contract",
    "severity": "severity",
    "created_at": "creation time",
    "first_response_at": "first response",
    "resolved_at": "resolution",
}


def read(df: pd.DataFrame, file: str, overrides: dict | None = None) -> Extract:
    """The documented columns, or the ones a column mapping names instead."""
    df = with_rows(df)
    names = {**{n: n for n in TICKET_FIELDS}, **(overrides or {})}
    unknown = set(names) - set(TICKET_FIELDS)
    if unknown:
        raise IngestError(
            f"{file}: the column mapping names {sorted(unknown)}, which are not fields; fields "
            f"are {', '.join(TICKET_FIELDS)}"
        )
    optional = ("contract_id", "first_response_at", "resolved_at")
    cols = {
        n: find_column(
            df,
            names[n] if isinstance(names[n], list) else [names[n]],
            WORDS[n],
            file,
            required=n not in optional or n in (overrides or {}),
        )
        for n in TICKET_FIELDS
    }
    tickets = ticket_frame(df, cols)
    notes = []
    if not cols.get("first_response_at"):
        notes.append(
            "no first-response column: a resolved ticket's response counts as fulfilled at "
            "resolution; open tickets stay pending for response"
        )
    if not cols.get("resolved_at"):
        notes.append(
            "no resolution or status column: every ticket is open (map a resolution, a status "
            "or a closed time if the export has one)"
        )
    return Extract(
        tickets=tickets,
        events=empty_events(),
        row_ticket=tickets[["_row", "ticket_id"]],
        source_columns={k: v for k, v in cols.items() if v},
        notes=notes,
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def in_database(con: duckdb.DuckDBPyConnection, ex: Extract, raw: str) -> Extract:
    """The streamed export (table `raw`) as the views _ex_t and _ex_rows the validation reads,
    with the columns `read` chose; the frames of `ex` stay empty."""
    picked = ", ".join(
        f"{_quoted(ex.source_columns[n])} AS {n}" if n in ex.source_columns else f"NULL AS {n}"
        for n in TICKET_FIELDS
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _ex_t AS SELECT _row, {picked}, NULL::VARCHAR AS notes,"
        f" NULL::VARCHAR AS first_response_minutes, _row - 1 AS _pos FROM {raw}"
    )
    con.execute("CREATE OR REPLACE TEMP VIEW _ex_rows AS SELECT _row, ticket_id, _pos FROM _ex_t")
    ex.in_database = True
    return ex
