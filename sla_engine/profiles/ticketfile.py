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
    src = {k: v for k, v in cols.items() if v and k in tickets.columns}
    if reply_minutes is not None and cols["reply_minutes"]:
        src["first_response_at"] = cols["reply_minutes"]
    return Extract(
        tickets=tickets,
        events=empty_events(),
        row_ticket=tickets[["_row", "ticket_id"]],
        source_columns=src,
        time_formats=TIME_FORMATS.get(profile, ()),
        notes=notes,
    )
