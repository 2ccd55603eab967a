"""What every source profile produces: text columns in the engine's vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, overload

import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest.dateorder import Order

TICKET_FIELDS = [
    "ticket_id",
    "contract_id",
    "severity",
    "created_at",
    "first_response_at",
    "resolved_at",
]
EVENT_FIELDS = ["ticket_id", "changed_at", "field", "value"]


@dataclass
class Extract:
    """A profile's reading of one file, before validation.

    tickets: one row per ticket, `_row` = the source row (1-based, header excluded)
    events:  status/severity changes, `_row` = source row of the change
    row_ticket: every source row -> the ticket it belongs to (for the row accounting)
    source_columns: engine field -> the export's column name (for error messages)
    """

    tickets: pd.DataFrame
    events: pd.DataFrame
    row_ticket: pd.DataFrame
    source_columns: dict[str, str]
    time_formats: tuple[str, ...] = ()
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, reason)
    notes: list[str] = field(default_factory=list)
    date_order: Order | None = None  # as the user stated it; else each column's values decide
    layouts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> as decided
    history_rejected: list[tuple[int, str, str]] = field(default_factory=list)  # second file's
    # the tickets and rows are the tables _ex_t and _ex_rows of the ingest's DuckDB connection
    # (a streamed export; `tickets` and `row_ticket` are then empty frames naming the columns)
    in_database: bool = False
    # tickets the export says were deleted (or spam, merged away) in the help desk: left out of
    # the load, and removed from the store when the load names its contract (merge.py)
    deleted_ids: list[str] = field(default_factory=list)
    # tickets with no resolution that nothing in the export explains (no status, close time or
    # history): treated as open, counted by validate.py
    open_unexplained: int = 0


@overload
def find_column(
    df: pd.DataFrame, candidates: list[str], what: str, file: str, required: Literal[True] = True
) -> str: ...


@overload
def find_column(
    df: pd.DataFrame, candidates: list[str], what: str, file: str, required: bool
) -> str | None: ...


def find_column(
    df: pd.DataFrame, candidates: list[str], what: str, file: str, required: bool = True
) -> str | None:
    """First column whose name matches a candidate (case-insensitive)."""
    lowered = {c.lower(): c for c in df.columns}
    for cand in candidates:
        if cand.lower() in lowered:
            return lowered[cand.lower()]
    if required:
        raise IngestError(
            f"{file}: no column for {what}; expected one of {candidates}; the file has "
            f"{[c for c in df.columns if c != '_row'][:20]}"
        )
    return None


def empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="string") for c in EVENT_FIELDS} | {"_row": pd.Series(dtype="int64")}
    )


def with_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Add `_row`: the 1-based data row number as a person sees it (header is row 0)."""
    out = df.copy()
    out["_row"] = range(1, len(df) + 1)
    return out


def ticket_frame(df: pd.DataFrame, cols: dict[str, str | None]) -> pd.DataFrame:
    """Pick the mapped columns (missing ones become NA) under the engine's names."""
    out = pd.DataFrame({"_row": df["_row"]})
    for name in TICKET_FIELDS:
        src = cols.get(name)
        out[name] = df[src] if src else pd.Series(pd.NA, index=df.index, dtype="string")
    return out


def events_from_columns(
    df: pd.DataFrame, case: str, time_col: str, fields: dict[str, str]
) -> pd.DataFrame:
    """Event-log rows -> status/severity change events (one per row and field)."""
    parts = []
    for field_name, col in fields.items():
        parts.append(
            pd.DataFrame(
                {
                    "ticket_id": df[case],
                    "changed_at": df[time_col],
                    "field": field_name,
                    "value": df[col],
                    "_row": df["_row"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else empty_events()


def named_severities(values: pd.Series, names: dict[str, str]) -> pd.Series:
    """Severity codes replaced by the recipe's names (GLPI's priority 5 is "very high"); a
    value the recipe does not name is kept as written."""
    key = values.astype("string").str.strip().str.lower()
    return key.map(names).fillna(values.astype("string")).astype("string")
