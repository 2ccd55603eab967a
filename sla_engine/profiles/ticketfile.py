"""Profiles for one-row-per-ticket exports: zendesk, jsm, servicenow (incident table), freshdesk.

Each maps the product's column names (UI CSV export and API JSON names,
matched case-insensitively) to the engine's fields. What marks the first
response and the resolution, per profile, is stated in README "Profiles".
"""

from __future__ import annotations

import pandas as pd

from .base import Extract, empty_events, find_column, ticket_frame, with_rows

# engine field -> candidate column names, per profile
COLUMNS: dict[str, dict[str, list[str]]] = {
    "zendesk": {
        "ticket_id": ["id", "Id", "Ticket ID"],
        "contract_id": ["contract_id", "organization_name", "Organization"],
        "severity": ["priority", "Priority"],
        "created_at": ["created_at", "Created at"],
        "first_response_at": ["first_response_at", "metric_set.replied_at", "replied_at"],
        "reply_minutes": [
            "metric_set.reply_time_in_minutes.calendar",
            "reply_time_in_minutes.calendar",
            "First reply time in minutes",
            "reply_time_in_minutes",
        ],
        "resolved_at": ["metric_set.solved_at", "solved_at", "Solved at"],
        "status": ["status", "Status"],
        "updated_at": ["updated_at", "Updated at", "metric_set.status_updated_at"],
    },
    "jsm": {
        "ticket_id": ["Issue key", "key", "Issue id"],
        "contract_id": ["contract_id", "Organizations", "Customer Request Type"],
        "severity": ["Priority", "fields.priority.name"],
        "created_at": ["Created", "fields.created"],
        "first_response_at": [
            "Date of First Response",
            "Custom field (Date of First Response)",
            "fields.customfield_10021",
        ],
        "resolved_at": ["Resolved", "fields.resolutiondate"],
        "status": ["Status", "fields.status.name"],
        "updated_at": ["Updated", "fields.updated", "Status Category Changed"],
    },
    "servicenow": {
        "ticket_id": ["number"],
        "contract_id": ["contract_id", "contract", "company"],
        "severity": ["priority"],
        "created_at": ["opened_at", "sys_created_on"],
        "first_response_at": [
            "u_first_response",
            "first_response_at",
            "work_start",
            "u_responded_at",
        ],
        "resolved_at": ["resolved_at"],
        "status": ["state", "incident_state"],
        "closed_at": ["closed_at"],
        "updated_at": ["sys_updated_on", "sys_updated_at"],
    },
    "freshdesk": {
        "ticket_id": ["Ticket ID", "id"],
        "contract_id": ["contract_id", "Company Name", "Company"],
        "severity": ["Priority", "priority"],
        "created_at": ["Created time", "created_at"],
        "first_response_at": [
            "Initial response time",
            "First responded at",
            "stats.first_responded_at",
        ],
        "resolved_at": ["Resolved time", "stats.resolved_at"],
        "status": ["Status", "status"],
        "closed_at": ["Closed time", "stats.closed_at", "closed_at"],
        "pending_since": ["stats.pending_since", "pending_since"],
        "updated_at": ["Last update time", "stats.status_updated_at", "updated_at"],
    },
}

# What each product's statuses mean (lower-cased; ServiceNow and Freshdesk also send codes).
# solved: the ticket is done; paused: the clock waits (when the export carries no status history).
STATUS_MEANING: dict[str, dict[str, set[str]]] = {
    "zendesk": {
        "solved": {"solved", "closed"},
        "paused": {"pending", "hold", "on-hold"},
        "deleted": {"deleted"},
    },
    "jsm": {
        "solved": {"resolved", "closed", "done", "canceled", "cancelled"},
        "paused": {"pending", "waiting for customer", "waiting for support"},
        "deleted": set(),
    },
    "servicenow": {
        "solved": {
            "resolved",
            "closed",
            "canceled",
            "6",
            "7",
            "8",
            "6 - resolved",
            "7 - closed",
            "8 - canceled",
        },
        "paused": {"on hold", "awaiting user info", "3", "3 - on hold"},
        "deleted": set(),
    },
    "freshdesk": {
        "solved": {"resolved", "closed", "4", "5"},
        "paused": {"pending", "3"},
        "deleted": {"deleted", "spam"},
    },
}

TIME_FORMATS = {
    "jsm": ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%Y-%m-%d %H:%M"),
    "servicenow": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S"),
    "freshdesk": ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"),
    "zendesk": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"),
}

# Freshdesk's API gives numbers
FRESHDESK_PRIORITY = {"1": "Low", "2": "Medium", "3": "High", "4": "Urgent"}


def read(profile: str, df: pd.DataFrame, file: str) -> Extract:
    df = with_rows(df)
    spec = COLUMNS[profile]
    required = ("ticket_id", "severity", "created_at")
    cols = {
        name: find_column(df, cands, name, file, required=name in required)
        for name, cands in spec.items()
    }
    notes = []
    reply_minutes = None
    if profile == "zendesk" and not cols.get("first_response_at") and cols.get("reply_minutes"):
        # Zendesk gives the first reply as minutes after creation; validation rebuilds the instant
        reply_minutes = df[cols["reply_minutes"]]
        notes.append(f"first response = created_at + {cols['reply_minutes']}")
    if profile == "freshdesk":
        df[cols["severity"]] = df[cols["severity"]].replace(FRESHDESK_PRIORITY)
    if not cols.get("first_response_at") and reply_minutes is None:
        notes.append(
            "no first-response column: a resolved ticket's response counts as fulfilled at "
            "resolution;"
            " open tickets stay pending for response"
        )
    tickets = ticket_frame(df, cols)
    if reply_minutes is not None:
        tickets["first_response_minutes"] = reply_minutes
    rejected: list[tuple[int, str, str]] = []
    events = empty_events()
    if cols.get("status"):
        tickets, events, rejected = status_evidence(profile, df, cols, tickets, notes)
    src = {k: v for k, v in cols.items() if v and k in tickets.columns}
    if reply_minutes is not None and cols["reply_minutes"]:
        src["first_response_at"] = cols["reply_minutes"]
    return Extract(
        tickets=tickets,
        events=events,
        rejected=rejected,
        row_ticket=ticket_frame(df, cols)[["_row", "ticket_id"]],
        source_columns=src,
        time_formats=TIME_FORMATS.get(profile, ()),
        notes=notes,
    )


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype("string").str.strip() == "")


def _first_filled(
    df: pd.DataFrame, cols: dict[str, str | None], names: list[str]
) -> tuple[pd.Series, pd.Series]:
    """Per row, the first non-blank of the named columns, and which column it came from."""
    value = pd.Series(pd.NA, index=df.index, dtype="string")
    source = pd.Series(pd.NA, index=df.index, dtype="string")
    for name in names:
        col = cols.get(name)
        if not col:
            continue
        take = _blank(value) & ~_blank(df[col])
        value[take] = df.loc[take, col]
        source[take] = col
    return value, source


def status_evidence(
    profile: str,
    df: pd.DataFrame,
    cols: dict[str, str | None],
    tickets: pd.DataFrame,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[int, str, str]]]:
    """The status column is evidence: a solved ticket is never evaluated as open (its resolution
    is the best recorded instant), a deleted one is left out with the reason named, and one
    waiting in a pause status is paused from the best recorded instant. Each inference is
    counted in the ingest report."""
    meaning = STATUS_MEANING[profile]
    col = str(cols["status"])
    status = df[col].astype("string").str.strip().str.lower()
    rejected: list[tuple[int, str, str]] = []

    deleted = status.isin(meaning["deleted"])
    for r, v in zip(df.loc[deleted, "_row"], df.loc[deleted, col], strict=False):
        rejected.append((int(r), col, f"status {v}: deleted in the help desk, left out"))

    solved = status.isin(meaning["solved"]) & _blank(tickets["resolved_at"]) & ~deleted
    when, source = _first_filled(df, cols, ["closed_at", "updated_at"])
    inferred = solved & ~_blank(when)
    tickets.loc[inferred, "resolved_at"] = when[inferred]
    for src, n in source[inferred].value_counts().items():
        notes.append(f"{n} resolutions inferred from the status (solved or closed) at {src}")
    untimed = solved & _blank(when)
    for r, v in zip(df.loc[untimed, "_row"], df.loc[untimed, col], strict=False):
        rejected.append(
            (int(r), col, f"status {v} but no resolution, close or update time: cannot say when")
        )

    paused = status.isin(meaning["paused"]) & ~deleted
    since, psource = _first_filled(df, cols, ["pending_since", "updated_at"])
    timed = paused & ~_blank(since)
    events = pd.DataFrame(
        {
            "ticket_id": tickets.loc[timed, "ticket_id"],
            "changed_at": since[timed],
            "field": "status",
            "value": status[timed],
            "_row": df.loc[timed, "_row"],
        }
    )
    for src, n in psource[timed].value_counts().items():
        notes.append(f"{n} tickets in a pause status, paused since {src}")
    if (paused & _blank(since)).any():
        notes.append(
            f"{int((paused & _blank(since)).sum())} tickets in a pause status with no time to "
            "pause from: their clock runs"
        )
    keep = ~deleted & ~untimed
    return tickets[keep].copy(), events.astype({"ticket_id": "string"}), rejected
