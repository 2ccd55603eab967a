"""Parked rows: tickets quarantined only because nothing routed them to a contract ("no contract
for customer key …") or mapped their priority ("unknown severity …"). They are kept with each store
generation, as normalised text (instants as UTC ISO 8601), so that once a contract lists the
customer key or maps the label, `reroute` loads them without the export being uploaded again.
How they are kept with a generation: sla_engine/store/parked_files.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sla_engine.ingest.membership import member
from sla_engine.ingest.profiles.base import Extract
from sla_engine.ingest.timeparse import parse_instants
from sla_engine.ingest.validate import Valid
from sla_engine.ingest.validate_rules import NO_PRIORITY_RULE, ROUTES_NOWHERE, UNKNOWN_SEVERITY_RULE
from sla_engine.store.parked_files import EVENT_COLUMNS, TICKET_COLUMNS, read

# the tickets file's routing rules (a history row's unknown severity is not a ticket to park)
ROUTING_RULES = (ROUTES_NOWHERE, UNKNOWN_SEVERITY_RULE, NO_PRIORITY_RULE)


def _iso(us: pd.Series) -> pd.Series:
    return pd.to_datetime(us.astype("Int64"), unit="us", utc=True).map(
        lambda ts: "" if pd.isna(ts) else ts.isoformat()
    )


def park(
    ex: Extract, valid: Valid, tz: str | None, contract: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """This batch's tickets quarantined for routing reasons, as text the generic profile reads."""
    q = valid.quarantine
    rows = set(q.loc[q["rule"].isin(ROUTING_RULES), "row"].astype(int))
    t = valid.raw_tickets(rows)
    out = pd.DataFrame({"ticket_id": t["ticket_id"].astype("string").str.strip()})
    out["contract_id"] = contract if contract else t.get("contract_id", pd.Series(dtype="string"))
    out["severity"] = t["severity"]
    for name in ("created_at", "first_response_at", "resolved_at"):
        if name in t.columns:
            us, _, _ = parse_instants(t[name], tz, ex.layouts.get(name, ex.time_formats))
            out[name] = _iso(us)
        else:
            out[name] = ""
    ev = ex.events[member(ex.events["ticket_id"].astype("string").str.strip(), out["ticket_id"])]
    us, _, _ = parse_instants(ev["changed_at"], tz, ex.layouts.get("changed_at", ex.time_formats))
    events = pd.DataFrame(
        {
            "ticket_id": ev["ticket_id"].astype("string").str.strip(),
            "changed_at": _iso(us),
            "field": ev["field"],
            "value": ev["value"],
        }
    )
    return out[TICKET_COLUMNS].astype("string"), events[EVENT_COLUMNS].astype("string")


def carry(
    previous: Path | None,
    loaded_ids: Callable[[], set[str]],
    new: tuple[pd.DataFrame, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The parked rows of the previous generation that this batch did not load, plus its own
    (`loaded_ids` is asked only when something was parked before)."""
    old_t, old_e = read(previous)
    if not len(old_t):
        return new
    keep_t = old_t[~member(old_t["ticket_id"], loaded_ids() | set(new[0]["ticket_id"]))]
    keep_e = old_e[member(old_e["ticket_id"], keep_t["ticket_id"])]
    return (
        pd.concat([keep_t, new[0]], ignore_index=True),
        pd.concat([keep_e, new[1]], ignore_index=True),
    )
