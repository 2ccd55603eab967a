"""The status column of a ticket table is evidence.

A ticket whose current status is solved is never evaluated as open: its resolution is the best
recorded instant (close time, else status-change time, else last update). A deleted ticket is
left out with the reason named. A ticket waiting in a pause status, when the export carries no
status history, is paused from the best recorded instant. Every inference is counted in the
ingest report and written on the ticket (`notes`), so `python -m sla_engine tickets` shows it.

What each product's statuses mean is the table STATUS_MEANING; a column mapping may override it
(`statuses: {solved: [...], paused: [...], deleted: [...]}`), e.g. for Freshdesk custom statuses.
"""

from __future__ import annotations

import pandas as pd

from sla_engine.ingest.membership import member

Rejected = list[tuple[int, str, str]]

# lower-cased names (codes are named first, STATUS_NAMES). `open` lists statuses known to run the
# clock; any other status is counted in the report as not recognised (its clock runs).
STATUS_MEANING: dict[str, dict[str, set[str]]] = {
    "zendesk": {
        "solved": {"solved", "closed"},
        "paused": {"pending", "hold", "on-hold", "on hold"},
        "deleted": {"deleted"},
        "open": {"new", "open"},
    },
    "jsm": {
        "solved": {"resolved", "closed", "done", "canceled", "cancelled", "declined"},
        "paused": {"pending", "waiting for customer"},
        "deleted": set(),
        "open": {
            "open",
            "to do",
            "in progress",
            "waiting for support",
            "escalated",
            "work in progress",
            "reopened",
        },
    },
    "servicenow": {
        "solved": {"resolved", "closed", "canceled", "cancelled"},
        "paused": {"on hold", "awaiting user info", "awaiting caller", "awaiting evidence"},
        # no incident state says deleted: the connector's records from sys_audit_delete do
        "deleted": {"deleted"},
        "open": {"new", "in progress", "active", "assigned", "work in progress"},
    },
    "freshdesk": {
        "solved": {"resolved", "closed"},
        "paused": {"pending", "waiting on customer", "waiting on third party"},
        "deleted": {"deleted", "spam"},
        "open": {"open"},
    },
    # the words help desks commonly use; a mapping's `statuses` names any others
    "generic": {
        "solved": {"solved", "resolved", "closed", "done", "completed", "canceled", "cancelled"},
        "paused": {
            "pending",
            "on hold",
            "on-hold",
            "hold",
            "waiting",
            "waiting for customer",
            "waiting on customer",
            "awaiting customer",
            "awaiting user info",
        },
        "deleted": {"deleted", "spam", "merged", "duplicate"},
        "open": {"new", "open", "in progress", "assigned", "active", "reopened", "escalated"},
    },
}


# codes and display values -> the status names the terms documents use
STATUS_NAMES: dict[str, dict[str, str]] = {
    "servicenow": {
        "1": "new",
        "2": "in progress",
        "3": "on hold",
        "6": "resolved",
        "7": "closed",
        "8": "canceled",
        "1 - new": "new",
        "2 - in progress": "in progress",
        "3 - on hold": "on hold",
        "6 - resolved": "resolved",
        "7 - closed": "closed",
        "8 - canceled": "canceled",
    },
    "freshdesk": {"2": "open", "3": "pending", "4": "resolved", "5": "closed"},
}


def status_names(profile: str, status: pd.Series, extra: dict[str, str] | None = None) -> pd.Series:
    """Lower-cased status names, product codes replaced by their names (a recipe's
    `status_names` first: HubSpot's pipeline stage "2" is "waiting on contact")."""
    s = status.astype("string").str.strip().str.lower()
    return s.replace({**STATUS_NAMES.get(profile, {}), **(extra or {})})


def meaning_of(profile: str, overrides: dict | None) -> dict[str, set[str]]:
    """The profile's table with the mapping's lists in place of its own."""
    base = {k: set(v) for k, v in STATUS_MEANING.get(profile, STATUS_MEANING["generic"]).items()}
    base.setdefault("merged", set())
    for kind, values in (overrides or {}).items():
        base[kind] = {str(v).strip().lower() for v in values}
    return base


def blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype("string").str.strip() == "")


def first_filled(
    df: pd.DataFrame, cols: dict[str, str | None], names: list[str]
) -> tuple[pd.Series, pd.Series]:
    """Per row, the first non-blank of the named columns, and which column it came from."""
    value = pd.Series(pd.NA, index=df.index, dtype="string")
    source = pd.Series(pd.NA, index=df.index, dtype="string")
    for name in names:
        col = cols.get(name)
        if not col:
            continue
        take = blank(value) & ~blank(df[col])
        value[take] = df.loc[take, col]
        source[take] = col
    return value, source


def add_note(tickets: pd.DataFrame, where: pd.Series, text: pd.Series) -> None:
    """Append a per-ticket note (`; ` between notes)."""
    old = tickets.loc[where, "notes"]
    tickets.loc[where, "notes"] = (old + "; ").fillna("") + text[where]


def apply(
    profile: str,
    meaning: dict[str, set[str]],
    df: pd.DataFrame,
    cols: dict[str, str | None],
    tickets: pd.DataFrame,
    notes: list[str],
    history_ids: set[str],
    names: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, Rejected, list[str]]:
    """Tickets with inferred resolutions and per-ticket notes, pause events, rejected rows, and
    the ids of the tickets the export says were deleted.

    Tickets with a status history (`history_ids`) take their resolution and pauses from it:
    nothing is inferred for them from the current status."""
    col = str(cols["status"])
    raw = df[col].astype("string").str.strip()
    status = status_names(profile, raw, names)
    rejected: Rejected = []
    if "notes" not in tickets.columns:
        tickets["notes"] = pd.Series(pd.NA, index=tickets.index, dtype="string")

    merged = status.isin(meaning["merged"])
    deleted = status.isin(meaning["deleted"]) | merged
    for r, v, m in zip(
        df.loc[deleted, "_row"], df.loc[deleted, col], merged[deleted], strict=False
    ):
        why = "merged into another ticket" if m else "deleted in the help desk"
        rejected.append((int(r), col, f"status {v}: {why}, left out"))

    ids = tickets["ticket_id"].astype("string").str.strip()
    known_history = (
        member(ids, history_ids).values if history_ids else pd.Series(False, index=ids.index).values
    )
    solved = (
        status.isin(meaning["solved"]) & blank(tickets["resolved_at"]) & ~deleted & ~known_history
    )
    when, source = first_filled(df, cols, ["closed_at", "updated_at"])
    inferred = solved & ~blank(when)
    tickets.loc[inferred, "resolved_at"] = when[inferred]
    shown = raw.where(raw.str.lower() == status, raw + " (" + status + ")")
    add_note(tickets, inferred, "resolution taken from status " + shown + " at " + source)
    for src, n in source[inferred].value_counts().items():
        notes.append(f"{n} resolutions inferred from the status (solved or closed) at {src}")
    untimed = solved & blank(when)
    for r, v in zip(df.loc[untimed, "_row"], df.loc[untimed, col], strict=False):
        rejected.append(
            (
                int(r),
                col,
                f"status {v} but no resolution, close or update time: cannot say when (map the "
                "export's close or last-update column)",
            )
        )

    # a ticket open again (or waiting) now, whose export still carries an earlier resolution
    # (Intercom's last_close_at, Zendesk's solved_at survive a reopen): measured as open
    active = meaning["open"] | meaning["paused"]
    reopened = status.isin(active) & ~blank(tickets["resolved_at"]) & ~known_history
    if reopened.any():
        add_note(
            tickets,
            reopened,
            "reopened: status "
            + shown
            + " now, after a resolution recorded in "
            + str(cols.get("resolved_at"))
            + "; measured as open",
        )
        tickets.loc[reopened, "resolved_at"] = pd.NA
        notes.append(
            f"{int(reopened.sum())} tickets carry a resolution time but their status is open or "
            "waiting now (reopened): measured as open, not resolved"
        )

    known = set().union(*meaning.values())
    unrecognised = ~status.isin(known) & ~blank(raw)
    # a pause status, or one the export does not explain (a custom status): it pauses from the
    # best recorded instant if the contract's pause statuses list it (the terms decide)
    paused = (status.isin(meaning["paused"]) | unrecognised) & ~deleted & ~known_history
    since, psource = first_filled(df, cols, ["pending_since", "updated_at"])
    timed = paused & ~blank(since)
    events = pd.DataFrame(
        {
            "ticket_id": tickets.loc[timed, "ticket_id"],
            "changed_at": since[timed],
            "field": "status",
            "value": status[timed],
            "_row": df.loc[timed, "_row"],
        }
    )
    add_note(tickets, timed & ~unrecognised, "paused since " + psource + " (status " + shown + ")")
    add_note(
        tickets,
        timed & unrecognised,
        "in status " + shown + " since " + psource + ": paused only if the contract pauses it",
    )
    for src, n in psource[timed & ~unrecognised].value_counts().items():
        notes.append(f"{n} tickets in a pause status, paused since {src}")
    if (paused & blank(since)).any():
        notes.append(
            f"{int((paused & blank(since)).sum())} tickets in a pause status with no time to "
            "pause from: their clock runs"
        )
    other = raw[unrecognised]
    if len(other):
        counts = ", ".join(f"{v!r} {n}" for v, n in other.value_counts().head(8).items())
        notes.append(
            f"statuses the export does not explain (custom statuses): {counts}; their clock "
            "runs unless the contract's pause statuses list them, and a ticket in one is never "
            "taken as solved unless the column mapping's statuses say so"
        )
    keep = ~deleted & ~untimed
    gone = tickets.loc[deleted, "ticket_id"].astype("string").str.strip().dropna()
    return (
        tickets[keep].copy(),
        events.astype({"ticket_id": "string"}),
        rejected,
        sorted(set(gone.tolist())),
    )
