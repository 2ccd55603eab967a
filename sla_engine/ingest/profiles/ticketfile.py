"""Profiles for one-row-per-ticket exports: zendesk, jsm, servicenow (incident table), freshdesk.

Each maps the product's column names (UI CSV export and API JSON names,
matched case-insensitively) to the engine's fields. What marks the first
response and the resolution, per profile, is stated in docs/ingest.md (the profiles table).
"""

from __future__ import annotations

import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest.profiles import jira, status_evidence
from sla_engine.ingest.profiles.base import (
    Extract,
    empty_events,
    find_column,
    named_severities,
    ticket_frame,
    with_rows,
)

# engine field -> candidate column names, per profile
COLUMNS: dict[str, dict[str, list[str]]] = {
    # the documented names; any other column is named with a column mapping (--column FIELD=COL)
    "generic": {
        "ticket_id": ["ticket_id"],
        "contract_id": ["contract_id"],
        "severity": ["severity"],
        "created_at": ["created_at"],
        "first_response_at": ["first_response_at"],
        "reply_minutes": [],
        "resolved_at": ["resolved_at"],
        "status": ["status"],
        "closed_at": ["closed_at"],
        "pending_since": ["pending_since"],
        "updated_at": ["updated_at"],
    },
    "zendesk": {
        "ticket_id": ["id", "Id", "Ticket ID"],
        "contract_id": ["contract_id", "organization_name", "Organization"],
        "severity": ["priority", "Priority"],
        "created_at": ["created_at", "Created at"],
        "first_response_at": [
            "first_response_at",
            "reply_time fulfilled (ticket_metric_events)",
            "metric_set.replied_at",
            "replied_at",
        ],
        "reply_minutes": [
            "metric_set.reply_time_in_minutes.calendar",
            "reply_time_in_minutes.calendar",
            "First reply time in minutes",
            "reply_time_in_minutes",
        ],
        "resolved_at": ["metric_set.solved_at", "solved_at", "Solved at"],
        "status": ["status", "Status"],
        "pending_since": ["metric_set.status_updated_at"],
        "updated_at": ["updated_at", "Updated at", "metric_set.status_updated_at"],
    },
    "jsm": {
        "ticket_id": ["Issue key", "key", "Issue id"],
        "contract_id": [
            "contract_id",
            "Organizations",
            "Custom field (Organizations)",
            "fields.customfield_10002",
        ],
        "severity": ["Priority", "fields.priority.name"],
        "created_at": ["Created", "fields.created"],
        "first_response_at": [
            "Date of First Response",
            "[CHART] Date of First Response",
            "Custom field ([CHART] Date of First Response)",
            "Custom field (Date of First Response)",
            "fields.customfield_10021",
        ],
        "resolved_at": ["Resolved", "fields.resolutiondate"],
        "status": ["Status", "fields.status.name"],
        "updated_at": ["Updated", "fields.updated", "Status Category Changed"],
    },
    "servicenow": {
        "ticket_id": ["number", "number.display_value", "number.value"],
        "contract_id": ["contract_id", "contract", "company", "company.display_value"],
        "severity": ["priority", "priority.display_value"],
        "created_at": ["opened_at", "sys_created_on", "opened_at.display_value"],
        "first_response_at": [
            "u_first_response",
            "first_response_at",
            "work_start",
            "u_responded_at",
        ],
        "resolved_at": ["resolved_at", "resolved_at.display_value"],
        "status": ["state", "incident_state", "state.display_value"],
        "closed_at": ["closed_at", "closed_at.display_value"],
        "updated_at": ["sys_updated_on", "sys_updated_at", "sys_updated_on.display_value"],
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

TIME_FORMATS = {
    "jsm": ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%Y-%m-%d %H:%M"),
    "servicenow": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S"),
    "freshdesk": ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"),
    "zendesk": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"),
}

# the codes a help desk writes for its severities, by profile (a recipe's severity_names are
# added to these): Freshdesk's API gives numbers
SEVERITY_NAMES = {"freshdesk": {"1": "Low", "2": "Medium", "3": "High", "4": "Urgent"}}


FIELDS = (
    "ticket_id",
    "contract_id",
    "severity",
    "created_at",
    "first_response_at",
    "reply_minutes",
    "resolved_at",
    "status",
    "closed_at",
    "pending_since",
    "updated_at",
)
# the columns that are evidence of a ticket's status (status_evidence.py reads them)
STATUS_FACTS = ("status", "closed_at", "pending_since", "updated_at")


def columns_of(profile: str, overrides: dict | None, file: str) -> dict[str, list[str]]:
    """The profile's candidates, with the mapping's column first for each field it names."""
    spec = {k: list(v) for k, v in COLUMNS[profile].items()}
    for name, col in (overrides or {}).items():
        if name not in FIELDS:
            raise IngestError(
                f"{file}: the column mapping names {name!r}, which is not a field; fields are "
                f"{', '.join(FIELDS)}"
            )
        # a named column (or one of a recipe's named candidates) must exist: no silent fallback
        spec[name] = [str(c) for c in col] if isinstance(col, list) else [str(col)]
    return spec


def read(
    profile: str,
    df: pd.DataFrame,
    file: str,
    mapping: dict | None = None,
    history_ids: set[str] | None = None,
) -> Extract:
    mapping = mapping or {}
    df = with_rows(df)
    overrides = mapping.get("columns") or {}
    spec = columns_of(profile, overrides, file)
    required = ("ticket_id", "severity", "created_at")
    cols = {
        name: find_column(df, cands, name, file, required=name in required or name in overrides)
        for name, cands in spec.items()
    }
    notes: list[str] = []
    events = empty_events()
    if profile == "jsm":
        cols, events = jira.enrich(df, cols, notes)
    reply_minutes = None
    if profile == "zendesk" and not cols.get("first_response_at") and cols.get("reply_minutes"):
        # Zendesk gives the first reply as minutes after creation; validation rebuilds the instant
        reply_minutes = df[cols["reply_minutes"]]
        notes.append(f"first response = created_at + {cols['reply_minutes']}")
    severity_names = {**SEVERITY_NAMES.get(profile, {}), **(mapping.get("severity_names") or {})}
    if severity_names:
        sev = df[cols["severity"]]
        df[cols["severity"]] = named_severities(sev, severity_names)
        if mapping.get("severity_names"):
            named = int(sev.astype("string").str.strip().str.lower().isin(severity_names).sum())
            notes.append(
                f"{named:,} severities written as codes, read by the recipe's names ("
                + ", ".join(f"{k} = {v}" for k, v in list(severity_names.items())[:8])
                + ")"
            )
    if not cols.get("first_response_at") and reply_minutes is None:
        notes.append(
            "no first-response column: a resolved ticket's response counts as fulfilled at "
            "resolution;"
            " open tickets stay pending for response"
        )
    tickets = ticket_frame(df, cols)
    tickets["notes"] = pd.Series(pd.NA, index=tickets.index, dtype="string")
    if reply_minutes is not None:
        tickets["first_response_minutes"] = reply_minutes
        tickets["notes"] = "first response = creation + " + str(cols["reply_minutes"])
    if profile == "jsm" and "_severity_at_creation" in df.columns:
        at_creation = df["_severity_at_creation"]
        tickets.loc[at_creation.notna(), "severity"] = at_creation[at_creation.notna()]
    rejected: list[tuple[int, str, str]] = []
    deleted: list[str] = []
    if profile == "freshdesk" and not history_ids and not len(events):
        notes.append(
            "Freshdesk records carry no status history: a ticket pending now is paused from its "
            "pending_since, but waits on the customer that already ended are not known, so their "
            "time is counted (upload a status history as the second file to count it right)"
        )
    if cols.get("status"):
        meaning = status_evidence.meaning_of(profile, mapping.get("statuses"))
        known = set(history_ids or ()) | set(events["ticket_id"].astype("string").str.strip())
        tickets, pause_events, rejected, deleted = status_evidence.apply(
            profile, meaning, df, cols, tickets, notes, known, mapping.get("status_names")
        )
        events = pd.concat([events, pause_events], ignore_index=True)
    # every column read (the status facts too: the page's mapping table, validate's counts)
    src = {k: v for k, v in cols.items() if v and (k in tickets.columns or k in STATUS_FACTS)}
    if reply_minutes is not None and cols["reply_minutes"]:
        src["first_response_at"] = cols["reply_minutes"]
    if len(events) and "changed_at" not in src:
        src["changed_at"] = str(cols.get("changed_at") or "changelog")
    return Extract(
        tickets=tickets,
        events=events,
        rejected=rejected,
        row_ticket=ticket_frame(df, cols)[["_row", "ticket_id"]],
        source_columns=src,
        time_formats=TIME_FORMATS.get(profile, ()),
        notes=notes,
        deleted_ids=deleted,
    )
