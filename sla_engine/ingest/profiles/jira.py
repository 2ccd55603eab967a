"""Jira Service Management specifics: the REST changelog and JSM's own SLA fields.

- REST JSON with `expand=changelog`: every status change becomes a status event and every
  priority change a severity event, at the history's `created` instant. The severity at creation
  is the `fromString` of the first priority change (the issue's `priority` is today's).
- JSM SLA fields in REST JSON (`{name: "Time to first response", completedCycles: [...]}`): when
  the export has no first-response date, the stop of the first completed cycle of "Time to first
  response" is the first response. JSM's own `breached` verdicts are never used: Covenant
  measures the signed terms.
- SLA columns of the CSV export (remaining-time text) are named in the report and not used.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from sla_engine.ingest.profiles.base import empty_events

FIRST_RESPONSE_SLA = "time to first response"
SLA_COLUMNS = (
    "time to first response",
    "time to resolution",
    "custom field (time to first response)",
    "custom field (time to resolution)",
)
SLA_FIRST_RESPONSE = "Time to first response (end of its first completed cycle)"


def _histories(cell: Any) -> list[dict]:
    if cell is None or (isinstance(cell, float) and cell != cell) or pd.isna(cell):
        return []
    try:
        value = json.loads(str(cell))
    except ValueError:
        return []
    return [h for h in value if isinstance(h, dict)] if isinstance(value, list) else []


def changelog_events(df: pd.DataFrame, id_col: str, notes: list[str]) -> pd.DataFrame:
    """Status and priority changes of `changelog.histories`; sets `_severity_at_creation`."""
    rows: list[dict] = []
    at_creation: dict[int, str] = {}
    for idx, ticket, cell, r in zip(
        df.index, df[id_col], df["changelog.histories"], df["_row"], strict=False
    ):
        changes = []
        for h in _histories(cell):
            for item in h.get("items") or []:
                field = str(item.get("field", "")).lower()
                if field in ("status", "priority") and h.get("created"):
                    changes.append((str(h["created"]), field, item))
        for created, field, item in sorted(changes, key=lambda c: c[0]):
            if field == "priority" and idx not in at_creation and item.get("fromString"):
                at_creation[idx] = str(item["fromString"])
            rows.append(
                {
                    "ticket_id": ticket,
                    "changed_at": created,
                    "field": "status" if field == "status" else "severity",
                    "value": item.get("toString"),
                    "_row": int(r),
                }
            )
    df["_severity_at_creation"] = pd.Series(at_creation, dtype="string").reindex(df.index)
    if rows:
        notes.append(
            f"{len(rows)} status and priority changes read from the changelog; "
            f"{len(at_creation)} tickets take their severity at creation from the first "
            "priority change's old value"
        )
        return pd.DataFrame(rows).astype({"ticket_id": "string"})
    return empty_events()


def _first_stop(cell: Any) -> str | None:
    for cycle in _histories(cell):
        stop = cycle.get("stopTime") or {}
        if isinstance(stop, dict) and stop.get("iso8601"):
            return str(stop["iso8601"])
    return None


def sla_first_response(df: pd.DataFrame, notes: list[str]) -> str | None:
    """Add the first-response instant from a JSM SLA field, returning its column name."""
    for name_col in [c for c in df.columns if c.endswith(".name")]:
        names = df[name_col].dropna().astype("string").str.strip().str.lower()
        if len(names) and (names == FIRST_RESPONSE_SLA).all():
            cycles = name_col[: -len(".name")] + ".completedCycles"
            if cycles in df.columns:
                df[SLA_FIRST_RESPONSE] = df[cycles].map(_first_stop).astype("string")
                notes.append(
                    f"first response = end of the first completed cycle of JSM's "
                    f"'Time to first response' ({cycles}); JSM's own breach verdicts are not used"
                )
                return SLA_FIRST_RESPONSE
    return None


def enrich(
    df: pd.DataFrame, cols: dict[str, str | None], notes: list[str]
) -> tuple[dict[str, str | None], pd.DataFrame]:
    """Columns and events Jira holds beyond its flat fields."""
    cols = dict(cols)
    events = empty_events()
    if "changelog.histories" in df.columns:
        events = changelog_events(df, str(cols["ticket_id"]), notes)
    if not cols.get("first_response_at"):
        cols["first_response_at"] = sla_first_response(df, notes)
    sla_cols = [c for c in df.columns if c.strip().lower() in SLA_COLUMNS]
    if sla_cols:
        notes.append(
            f"JSM's own SLA columns ({', '.join(sla_cols)}) are its verdicts under its own "
            "calendars: shown in the export, not used; Covenant measures the signed terms"
        )
    return cols, events
