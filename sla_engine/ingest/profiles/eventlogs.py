"""Profiles for one-row-per-change logs: ServiceNow's incident audit log and generic `eventlog`.

A ticket is the set of rows of one case. Its creation is the `opened_at`
column (ServiceNow) or its earliest event (eventlog); every row becomes a
status change (and a severity change when a severity column is given).
"""

from __future__ import annotations

import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest import dateorder
from sla_engine.ingest.dateorder import Order
from sla_engine.ingest.profiles.base import Extract, events_from_columns, find_column, with_rows
from sla_engine.ingest.timeparse import parse_instants

SN_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


def _iso(us: pd.Series) -> pd.Series:
    """UTC microseconds -> ISO text with offset, for the validation stage."""
    ts = pd.to_datetime(us.astype("float64"), unit="us", utc=True)
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00").astype("string")


def servicenow_events(
    df: pd.DataFrame, file: str, tz: str | None, stated: Order | None = None
) -> Extract:
    """The UCI-style audit log: number, incident_state, sys_mod_count, sys_updated_at, opened_at,
    priority.

    First response: the first change that takes the incident out of `New`.
    Resolution: from the status history (the contract's resolved statuses).
    """
    df = with_rows(df)
    # sys_updated_on is ServiceNow's own column name; the UCI log calls it sys_updated_at
    aliases = {"sys_updated_at": ["sys_updated_at", "sys_updated_on"]}
    c = {
        n: find_column(df, aliases.get(n, [n]), n, file)
        for n in (
            "number",
            "incident_state",
            "sys_mod_count",
            "sys_updated_at",
            "opened_at",
            "priority",
        )
    }
    contract_col = find_column(df, ["contract_id", "company"], "contract", file, required=False)
    rejected: list[tuple[int, str, str]] = []
    # the export's own order, never the file's: sys_mod_count, then the update time; of duplicate
    # events (same number and sys_mod_count) the earliest update is kept
    orders, order_notes = dateorder.decide(
        {"changed_at": df[c["sys_updated_at"]], "created_at": df[c["opened_at"]]},
        stated,
        file,
        {"changed_at": c["sys_updated_at"], "created_at": c["opened_at"]},
    )
    formats = dateorder.layouts(orders["changed_at"], SN_FORMATS)
    stamp, _b, _x = parse_instants(df[c["sys_updated_at"]], tz, formats)
    df = df.assign(
        _mod=pd.to_numeric(df[c["sys_mod_count"]], errors="coerce"), _stamp=stamp
    ).sort_values([c["number"], "_mod", "_stamp", "_row"], kind="stable", na_position="last")
    invalid = df[c["incident_state"]].str.strip().str.startswith("-")
    rejected += [
        (int(r), c["incident_state"], f"invalid state {v}")
        for r, v in zip(df.loc[invalid, "_row"], df.loc[invalid, c["incident_state"]], strict=False)
    ]
    dup = df.duplicated(subset=[c["number"], c["sys_mod_count"]], keep="first") & ~invalid
    rejected += [
        (int(r), c["sys_mod_count"], "duplicate event (same number and sys_mod_count)")
        for r in df.loc[dup, "_row"]
    ]
    good = df[~invalid & ~dup].drop(columns=["_mod", "_stamp"])
    when, _blank, _bad = parse_instants(good[c["sys_updated_at"]], tz, formats)
    state = good[c["incident_state"]].str.strip()
    left_new = good[(state.str.lower() != "new") & when.notna()].assign(_w=when)
    first_resp = left_new.groupby(c["number"])["_w"].min()
    last = good.groupby(c["number"]).tail(1).set_index(c["number"])  # sys_mod_count order
    first = good.groupby(c["number"]).head(1).set_index(c["number"])
    tickets = pd.DataFrame(
        {
            "_row": first["_row"],
            "ticket_id": first.index.astype("string"),
            "contract_id": first[contract_col] if contract_col else pd.NA,
            "severity": last[c["priority"]],
            "created_at": first[c["opened_at"]],
            "first_response_at": _iso(first_resp.reindex(first.index)),
            "resolved_at": pd.NA,
        }
    ).reset_index(drop=True)
    events = events_from_columns(
        good,
        c["number"],
        c["sys_updated_at"],
        {"status": c["incident_state"], "severity": c["priority"]},
    )
    row_ticket = pd.DataFrame({"_row": df["_row"], "ticket_id": df[c["number"]]})
    src = {
        "ticket_id": c["number"],
        "created_at": c["opened_at"],
        "severity": c["priority"],
        "first_response_at": c["sys_updated_at"],
        "changed_at": c["sys_updated_at"],
        "status": c["incident_state"],
    } | ({"contract_id": contract_col} if contract_col else {})
    return Extract(
        tickets=tickets.astype({"ticket_id": "string"}),
        events=events,
        row_ticket=row_ticket,
        source_columns=src,
        time_formats=formats,
        rejected=rejected,
        notes=[
            "first response = first change out of state New; resolution = status history",
            *order_notes,
        ],
        date_order=orders["changed_at"],
    )


def eventlog(df: pd.DataFrame, file: str, tz: str | None, mapping: dict) -> Extract:
    """Process-mining logs: one row per status change, columns named by the mapping.

    mapping keys: case, status, time (required); severity, contract (optional);
    response_statuses: statuses whose first occurrence is the first response.
    Creation = the case's earliest event; resolution = the status history.
    """
    df = with_rows(df)
    for key in ("case", "status", "time"):
        if not mapping.get(key):
            raise IngestError(
                f"{file}: eventlog needs the '{key}' column named (--{key} or in --mapping)"
            )
    c = {
        k: find_column(df, [mapping[k]], f"{k} ({mapping[k]})", file)
        for k in ("case", "status", "time")
    }
    sev = (
        find_column(df, [mapping["severity"]], "severity", file)
        if mapping.get("severity")
        else None
    )
    con = (
        find_column(df, [mapping["contract"]], "contract", file)
        if mapping.get("contract")
        else None
    )
    if sev is None:
        raise IngestError(
            f"{file}: eventlog needs a severity column (--severity or 'severity' in the mapping)"
        )
    response = {s.strip().lower() for s in mapping.get("response_statuses") or []}
    if not response:
        raise IngestError(
            f"{file}: name the status(es) that mark the first response (--response-status)"
        )
    orders, order_notes = dateorder.decide(
        {"changed_at": df[c["time"]]}, mapping.get("date_order"), file, {"changed_at": c["time"]}
    )
    formats = dateorder.layouts(orders["changed_at"], tuple(mapping.get("time_formats") or ()))
    when, _blank, _bad = parse_instants(df[c["time"]], tz, formats)
    d = df.assign(_w=when)
    ok = d[d["_w"].notna()]
    created = ok.groupby(c["case"])["_w"].min()
    is_resp = ok[c["status"]].str.strip().str.lower().isin(response)
    first_resp = ok[is_resp].groupby(c["case"])["_w"].min()
    ordered = ok.sort_values([c["case"], "_w", "_row"], kind="stable")
    last = ordered.groupby(c["case"]).tail(1).set_index(c["case"])
    first_rows = d.groupby(c["case"])["_row"].min()
    cases = created.index
    tickets = pd.DataFrame(
        {
            "_row": first_rows.reindex(cases).values,
            "ticket_id": pd.Series(cases, dtype="string").values,
            "contract_id": last[con].reindex(cases).values if con else pd.NA,
            "severity": last[sev].reindex(cases).values,
            "created_at": _iso(created).values,
            "first_response_at": _iso(first_resp.reindex(cases)).values,
            "resolved_at": pd.NA,
        }
    )
    events = events_from_columns(d, c["case"], c["time"], {"status": c["status"], "severity": sev})
    row_ticket = pd.DataFrame({"_row": df["_row"], "ticket_id": df[c["case"]]})
    src = {
        "ticket_id": c["case"],
        "created_at": c["time"],
        "first_response_at": c["time"],
        "severity": sev,
        "changed_at": c["time"],
        "status": c["status"],
    } | ({"contract_id": con} if con else {})
    return Extract(
        tickets=tickets.astype({"ticket_id": "string"}),
        events=events,
        row_ticket=row_ticket,
        source_columns=src,
        time_formats=formats,
        notes=[
            f"first response = first status in {sorted(response)}; creation = first event;"
            " resolution = status history",
            *order_notes,
        ],
        date_order=orders["changed_at"],
    )
