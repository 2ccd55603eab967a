"""The second file that goes with a ticket table, recognised by its columns.

| kind            | columns                                  | what it gives                       |
|-----------------|------------------------------------------|-------------------------------------|
| history         | ticket_id, changed_at, field, value      | status and severity changes         |
| field history   | ticket_id, field_name, updated, value    | the same, warehouse layout (status, |
|                 |                                          | priority rows; other fields unused) |
| ticket metrics  | ticket_id + solved_at / reply_time_...   | Zendesk ticket_metrics, joined onto |
|                 |                                          | the tickets as `metric_set.*`       |
| metric events   | ticket_id, metric, type, time            | Zendesk ticket_metric_events: first |
|                 |                                          | reply, pauses, solves               |

Zendesk metric events become statuses this way (the names the terms' pause list should use):
`agent_work_time` pause -> `pending` when `requester_wait_time` pauses at the same instant, else
`hold`; its activate -> `open`; its fulfill (or `resolution_time` fulfill) -> `solved`. The first
response is the earliest `reply_time` fulfill.
"""

from __future__ import annotations

import json

import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest.membership import member
from sla_engine.ingest.profiles.base import empty_events, find_column, named_severities, with_rows
from sla_engine.ingest.profiles.history import read_history_columns
from sla_engine.ingest.profiles.status_evidence import status_names

Rejected = list[tuple[int, str, str]]
REPLY_FULFILLED = "reply_time fulfilled (ticket_metric_events)"


def kind_of(df: pd.DataFrame) -> str:
    cols = {c.lower() for c in df.columns}
    if {"ticket_id", "changed_at", "field", "value"} <= cols:
        return "history"
    if {"ticket_id", "field_name", "updated", "value"} <= cols:
        return "field history"
    if {"ticket_id", "metric", "type", "time"} <= cols:
        return "metric events"
    if "ticket_id" in cols and cols & {
        "solved_at",
        "reply_time_in_minutes.calendar",
        "reply_time_in_minutes",
        "full_resolution_time_in_minutes.calendar",
    }:
        return "ticket metrics"
    raise IngestError(
        "the second file is not one Covenant reads: expected a status history (ticket_id, "
        "changed_at, field, value), a field history (ticket_id, field_name, updated, value), "
        "Zendesk ticket metrics or Zendesk ticket metric events; it has "
        f"{list(df.columns)[:12]}"
    )


def join_metrics(
    df: pd.DataFrame, id_col: str, metrics: pd.DataFrame, file: str
) -> tuple[pd.DataFrame, Rejected, list[str]]:
    """Zendesk metric sets (a ticket_metrics file or the incremental export's sideload) as
    `metric_set.*` columns of their tickets; metric rows of no ticket are rejected."""
    m = with_rows(metrics)
    tid = find_column(m, ["ticket_id"], "ticket id", file)
    m[tid] = m[tid].astype("string").str.strip()
    ids = set(df[id_col].astype("string").str.strip())
    orphan = ~member(m[tid], ids)
    rejected = [
        (int(r), tid, "no ticket with this id in the tickets file") for r in m.loc[orphan, "_row"]
    ]
    m = m[~orphan].drop_duplicates(subset=[tid], keep="last")
    renamed = m.drop(columns=["_row"]).rename(
        columns=lambda c: c if c == tid else f"metric_set.{c}"
    )
    renamed = renamed.drop(columns=[c for c in renamed.columns if c in df.columns and c != tid])
    key = df[id_col].astype("string").str.strip()
    out = df.assign(_mkey=key).merge(renamed, how="left", left_on="_mkey", right_on=tid)
    out = out.drop(columns=["_mkey"] + ([tid] if tid not in df.columns else []))
    out.index = df.index
    notes = [f"{len(m)} tickets take their metrics (solved_at, reply time) from {file}"]
    on_hold = "metric_set.on_hold_time_in_minutes.calendar"
    if on_hold in out.columns:
        held = pd.to_numeric(out[on_hold], errors="coerce").fillna(0).gt(0).sum()
        if held:
            notes.append(
                f"{held} tickets report on-hold minutes as a total without instants: pauses are "
                "placed from the status history or the current status, not from that total"
            )
    return out.astype("string"), rejected, notes


def field_history(hdf: pd.DataFrame, file: str) -> tuple[pd.DataFrame, Rejected, list[str]]:
    """Warehouse field history: status and priority rows become changes."""
    h = with_rows(hdf)
    c = {n: find_column(h, [n], n, file) for n in ("ticket_id", "field_name", "updated", "value")}
    name = h[c["field_name"]].astype("string").str.strip().str.lower()
    use = name.isin(["status", "priority"])
    events = pd.DataFrame(
        {
            "ticket_id": h.loc[use, c["ticket_id"]],
            "changed_at": h.loc[use, c["updated"]],
            "field": name[use].map({"status": "status", "priority": "severity"}),
            "value": h.loc[use, c["value"]],
            "_row": h.loc[use, "_row"],
        }
    ).astype({"ticket_id": "string"})
    other = name[~use].value_counts()
    notes = []
    if len(other):
        notes.append(
            f"{int(other.sum())} field-history rows of other fields are not needed ("
            + ", ".join(f"{k} {v}" for k, v in other.head(6).items())
            + ")"
        )
    return events.reset_index(drop=True), [], notes


def metric_events(
    df: pd.DataFrame, id_col: str, hdf: pd.DataFrame, file: str
) -> tuple[pd.DataFrame, pd.DataFrame, Rejected, list[str]]:
    """Zendesk ticket_metric_events -> tickets with the first reply instant, status changes."""
    h = with_rows(hdf)
    c = {n: find_column(h, [n], n, file) for n in ("ticket_id", "metric", "type", "time")}
    h["_t"] = h[c["ticket_id"]].astype("string").str.strip()
    metric = h[c["metric"]].astype("string").str.strip().str.lower()
    kind = h[c["type"]].astype("string").str.strip().str.lower()
    ids = set(df[id_col].astype("string").str.strip())
    orphan = ~member(h["_t"], ids)
    rejected = [
        (int(r), c["ticket_id"], "no ticket with this id in the tickets file")
        for r in h.loc[orphan, "_row"]
    ]
    h = h[~orphan]
    metric, kind = metric[~orphan], kind[~orphan]
    when = pd.to_datetime(h[c["time"]], format="ISO8601", errors="coerce", utc=True)

    replies = h[(metric == "reply_time") & (kind == "fulfill")].assign(_w=when)
    first = replies.sort_values("_w").groupby("_t")[c["time"]].first()
    out = df.copy()
    out[REPLY_FULFILLED] = (
        df[id_col].astype("string").str.strip().map(first).astype("string").values
    )

    waiting = pd.MultiIndex.from_arrays(
        [
            h.loc[(metric == "requester_wait_time") & (kind == "pause"), "_t"],
            when[(metric == "requester_wait_time") & (kind == "pause")],
        ]
    )
    work = (metric == "agent_work_time") & kind.isin(["pause", "activate", "fulfill"])
    solve = (metric == "resolution_time") & (kind == "fulfill")
    sel = work | solve
    both = pd.MultiIndex.from_arrays([h.loc[sel, "_t"], when[sel]]).isin(waiting)
    status = kind[sel].map({"activate": "open", "fulfill": "solved"})
    status = status.where(
        status.notna(), pd.Series(both, index=status.index).map({True: "pending", False: "hold"})
    )
    events = (
        pd.DataFrame(
            {
                "ticket_id": h.loc[sel, "_t"],
                "changed_at": h.loc[sel, c["time"]],
                "field": "status",
                "value": status,
                "_row": h.loc[sel, "_row"],
            }
        )
        .drop_duplicates(subset=["ticket_id", "changed_at", "value"])
        .astype({"ticket_id": "string"})
        .reset_index(drop=True)
    )
    unused = int((~(work | solve) & ~((metric == "reply_time") & (kind == "fulfill"))).sum())
    notes = [
        f"{len(first)} first replies from reply_time fulfil events; {len(events)} status changes "
        "from agent_work_time and resolution_time events (pending, hold, open, solved)",
        f"{unused} metric events not needed (other metrics, apply_sla, breach, measure)",
    ]
    return out, events, rejected, notes


def history(hdf: pd.DataFrame, file: str) -> tuple[pd.DataFrame, Rejected, list[str]]:
    events, rejected = read_history_columns(hdf, file)
    return events, rejected, []


def long_history(
    hdf: pd.DataFrame,
    file: str,
    shape: dict,
    profile: str,
    names: dict[str, str],
    severity_names: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, Rejected, list[str]]:
    """A change log in a long shape (one row per changed field), as a recipe describes it:
    Salesforce CaseHistory (CaseId, Field, NewValue, CreatedDate), ServiceNow sys_audit
    (documentkey, fieldname, newvalue, sys_created_on), a warehouse's field history. Rows of the
    recipe's status and severity fields become changes; status codes take the recipe's names.
    With `each`, every record holds its changes as a list (Zendesk ticket audits' `events`): the
    list is unrolled first, its items' keys read as `each.key`. Without `field`, a change names
    its field by a key of its own (Zendesk ticket events' `child_events`: `{"status": "open"}`),
    and the recipe names the column of each fact's new value."""
    h = with_rows(hdf)
    if shape.get("each"):
        h = _unrolled(h, shape["each"], file)
        if len(h) == 0:
            return empty_events(), [], [f"no changes in the lists {shape['each']!r}: none read"]
    keys = ("ticket", "at") if not shape.get("field") else ("ticket", "field", "value", "at")
    c = {k: find_column(h, [shape[k]], f"the recipe's {k} column", file) for k in keys}
    if shape.get("field"):
        name = h[c["field"]].astype("string").str.strip().str.lower()
        which = pd.Series(pd.NA, index=h.index, dtype="string")
        for fact, vendor_names in shape["fields"].items():
            which[name.isin([n.strip().lower() for n in vendor_names])] = fact
        use = which.notna()
        value = h.loc[use, c["value"]].astype("string")
        read_from = f"{c['field']} = " + ", ".join(
            f"{k}: {'/'.join(v)}" for k, v in shape["fields"].items()
        )
        other = name[~use].value_counts()
    else:
        use, which, value, read_from = _keyed_changes(h, shape["fields"], file)
        other = pd.Series(dtype="int64")
    status_rows = which[use] == "status"
    value[status_rows] = status_names(profile, value[status_rows], names)
    severity_rows = which[use] == "severity"
    if severity_names and severity_rows.any():
        value[severity_rows] = named_severities(value[severity_rows], severity_names)
    events = pd.DataFrame(
        {
            "ticket_id": h.loc[use, c["ticket"]].astype("string").str.strip(),
            "changed_at": h.loc[use, c["at"]],
            "field": which[use],
            "value": value,
            "_row": h.loc[use, "_row"],
        }
    )
    blank_value = events["value"].isna() | (events["value"].str.strip() == "")
    value_col = c.get("value", "the new value")
    rejected: Rejected = [
        (int(r), value_col, "no new value for this change") for r in events.loc[blank_value, "_row"]
    ]
    notes = [f"{int(use.sum())} changes of the status or severity read from {read_from}"]
    if len(other):
        notes.append(
            f"{int(other.sum())} rows change other fields and are not needed ("
            + ", ".join(f"{k} {v}" for k, v in other.head(6).items())
            + ")"
        )
    return events[~blank_value].reset_index(drop=True), rejected, notes


def _keyed_changes(
    h: pd.DataFrame, fields: dict[str, list[str]], file: str
) -> tuple[pd.Series, pd.Series, pd.Series, str]:
    """Changes whose field is the key that holds the new value: per row, the first fact whose
    column has a value (a row that changes both is read as the status change)."""
    which = pd.Series(pd.NA, index=h.index, dtype="string")
    value = pd.Series(pd.NA, index=h.index, dtype="string")
    found = []
    for fact, cands in fields.items():
        col = find_column(h, cands, f"the recipe's {fact} column", file, required=False)
        if col is None:
            continue
        found.append(f"{fact}: {col}")
        v = h[col].astype("string").str.strip()
        take = which.isna() & v.notna() & (v != "")
        which[take] = fact
        value[take] = v[take]
    if not found:
        names = ", ".join(c for cands in fields.values() for c in cands)
        raise IngestError(
            f"{file}: none of the recipe's change columns ({names}) is in the file; the file has "
            f"{[c for c in h.columns if c != '_row'][:20]}"
        )
    use = which.notna()
    return use, which, value[use], "the columns " + ", ".join(found)


def by_ticket_key(
    events: pd.DataFrame, tickets: pd.DataFrame, key: str, profile: str, mapping: dict, file: str
) -> tuple[pd.DataFrame, list[str]]:
    """A history that names its tickets by another column of the ticket file (Salesforce
    CaseHistory by the case's Id, ServiceNow sys_audit by the incident's sys_id): its changes
    are put under the tickets' own ids."""
    from sla_engine.ingest.profiles.ticketfile import columns_of

    overrides = mapping.get("columns") or {}
    id_col = find_column(
        tickets, columns_of(profile, overrides, file)["ticket_id"], "ticket id", file
    )
    key_col = find_column(tickets, [key], f"the history's ticket key {key!r}", file)
    to_id = dict(
        zip(
            tickets[key_col].astype("string").str.strip(),
            tickets[id_col].astype("string").str.strip(),
            strict=True,
        )
    )
    mapped = events["ticket_id"].map(to_id)
    out = events.assign(ticket_id=mapped.fillna(events["ticket_id"]).astype("string"))
    return out, [f"history rows name their tickets by {key_col}: read as {id_col}"]


MAX_UNROLLED = 5_000_000


def _unrolled(h: pd.DataFrame, each: str, file: str) -> pd.DataFrame:
    """One row per item of the JSON list in column `each` (written as JSON text by the reader),
    the record's other columns repeated, the item's keys as `each.key`; `_row` stays the
    record's."""
    col = find_column(h, [each], "", file, required=False)
    if col is None:
        raise IngestError(
            f"{file}: the recipe reads each ticket's changes from the list {each!r}, which is not "
            "in the file: export with the option that includes it (the recipe's title names "
            "it), or choose a recipe without a history; the file has "
            f"{[c for c in h.columns if c != '_row'][:20]}"
        )
    parents: list[int] = []
    items: list[dict] = []
    for i, cell in enumerate(h[col].tolist()):
        if cell is None or cell is pd.NA:
            continue
        try:
            value = json.loads(cell) if isinstance(cell, str) else cell
        except ValueError as exc:
            raise IngestError(f"{file}: {col} of record {i + 1} is not a JSON list") from exc
        if not isinstance(value, list):
            raise IngestError(f"{file}: {col} of record {i + 1} is not a list")
        for item in value:
            if isinstance(item, dict):
                parents.append(i)
                items.append(item)
        if len(items) > MAX_UNROLLED:
            raise IngestError(f"{file}: over {MAX_UNROLLED:,} items in {col}: split the export")
    flat = pd.json_normalize(items, sep=".").add_prefix(f"{col}.") if items else pd.DataFrame()
    flat = flat.map(
        lambda v: (
            None
            if v is None or (isinstance(v, float) and v != v)
            else (json.dumps(v) if isinstance(v, (list, dict)) else str(v))
        )
    ).astype("string")
    base = h.drop(columns=[col]).iloc[parents].reset_index(drop=True)
    return pd.concat([base, flat.reset_index(drop=True)], axis=1)
