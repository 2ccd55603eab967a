"""Ingest with the contracts' operational settings: customer keys route tickets to contracts and
the contracts' priority labels map to their tiers. Before loading, `unmapped` tells the Ingest
page which labels and which customers nothing maps yet, with their counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services.routing import all_routing
from sla_engine.ingest import dateorder
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.profiles.registry import read_profile
from sla_engine.ingest.readers import RawExport
from sla_engine.ingest.routing import Routing
from sla_engine.ingest.run import IngestReport, dry_run, ingest, reroute
from sla_engine.ingest.timeparse import has_naive
from sla_engine.ingest.validate import NO_PRIORITY_LABEL
from sla_engine.ingest.validate_rules import (
    NO_PRIORITY_RULE,
    ROUTES_NOWHERE,
    UNKNOWN_SEVERITY_IN_HISTORY,
    UNKNOWN_SEVERITY_RULE,
)
from sla_engine.store.core import Store

# what the Ingest page offers to map: a priority label or a customer key (each rule's `value`)
SEVERITY_RULES = (UNKNOWN_SEVERITY_RULE, UNKNOWN_SEVERITY_IN_HISTORY, NO_PRIORITY_RULE)


def routing(uow: UnitOfWork) -> Routing:
    keys, aliases = all_routing(uow)
    return Routing.of(keys, aliases)


def ingest_export(
    store: Store,
    uow: UnitOfWork,
    path: Path,
    profile: str,
    options: ReadOptions | None = None,
    **kw: Any,
) -> IngestReport:
    """The engine's ingest, with every contract's customer keys and priority labels."""
    return ingest(store, path, profile, options=options, routing=routing(uow), **kw)


def reroute_parked(store: Store, uow: UnitOfWork) -> IngestReport | None:
    """Load the parked tickets the contracts' customer keys and priority labels route now, with no
    upload (None when nothing is parked)."""
    return reroute(store, routing(uow))


@dataclass(frozen=True)
class Unmapped:
    labels: pd.DataFrame  # contract, label, rows
    customers: pd.DataFrame  # customer key, rows
    preview: pd.DataFrame  # the first tickets as they will load (contract, tier, local times)
    held: pd.DataFrame  # reason, rows: what would be quarantined
    inferred: int = 0  # tickets whose figures rest on an inference (their notes say which)
    notes: tuple[str, ...] = ()  # the read's own notes: what was inferred, and how often


def unmapped(
    store: Store,
    uow: UnitOfWork,
    path: Path,
    profile: str,
    options: ReadOptions | None = None,
    **kw: Any,
) -> Unmapped:
    """Priority labels and customer keys that would be quarantined now, with their counts."""
    route = routing(uow)
    ex, valid = dry_run(store, path, profile, options=options, routing=route, **kw)
    q = valid.quarantine
    by_row = ex.tickets.set_index("_row")
    sev = q[q["rule"].isin(SEVERITY_RULES)]
    contract = kw.get("contract")

    def contract_of(row: int) -> str:
        if contract:
            return str(contract)
        raw = by_row.at[row, "contract_id"] if "contract_id" in by_row.columns else ""
        return route.contract_for(str(raw)) or str(raw)

    labels = pd.DataFrame(
        {
            "contract": [contract_of(int(r)) for r in sev["row"]],
            "label": [
                NO_PRIORITY_LABEL if rule == NO_PRIORITY_RULE else str(value)
                for rule, value in zip(sev["rule"], sev["value"], strict=True)
            ],
        }
    )
    labels = (
        labels.groupby(["contract", "label"]).size().reset_index(name="rows")
        if len(labels)
        else pd.DataFrame(columns=["contract", "label", "rows"])
    )
    cust = q.loc[q["rule"] == ROUTES_NOWHERE, "value"]
    customers = (
        cust.value_counts().rename_axis("customer key").reset_index(name="rows")
        if len(cust)
        else pd.DataFrame(columns=["customer key", "rows"])
    )
    first = valid.tickets.head(PREVIEW_ROWS)
    first_ids = first["ticket_id"].astype(str).tolist()
    return Unmapped(
        labels.sort_values("rows", ascending=False),
        customers,
        _as_read(first, store.terms_by_contract(), valid.with_status_history(first_ids)),
        _held(q),
        int(valid.tickets["notes"].notna().sum()) + ex.open_unexplained,
        tuple(ex.notes),
    )


PREVIEW_ROWS = 10


def _local(us: Any, zone: str | None) -> str:
    if us is None or pd.isna(us):
        return ""
    t = pd.Timestamp(int(us), unit="us", tz="UTC")
    return (t.tz_convert(zone) if zone else t).strftime("%Y-%m-%d %H:%M %Z")


BY_HISTORY = "per the status history"


def _as_read(
    tickets: pd.DataFrame,
    terms: dict[str, list],
    with_history: set[str] | frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """The first tickets as the engine will load them: contract, tier, and each instant in the
    contract's own zone, with what was inferred for each. A ticket with status changes and no
    resolution time is resolved (or not) by its history under the contract's resolved statuses,
    which only the evaluation applies: the preview says so instead of showing it open."""
    zone = {cid: ts[-1].calendar.timezone for cid, ts in terms.items() if ts}
    rows = []
    for t in tickets.itertuples(index=False):
        z = zone.get(str(t.contract_id))
        rows.append(
            {
                "ticket": str(t.ticket_id),
                "contract": str(t.contract_id),
                "tier": str(t.severity),
                "created": _local(t.created_us, z),
                "first response": _local(t.first_response_us, z),
                "resolved": _local(t.resolved_us, z)
                or (BY_HISTORY if str(t.ticket_id) in with_history else ""),
                "inferred": "" if pd.isna(t.notes) else str(t.notes),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["ticket", "contract", "tier", "created", "first response", "resolved", "inferred"],
    )


def _held(q: pd.DataFrame) -> pd.DataFrame:
    """What would be quarantined, by reason, most first."""
    if not len(q):
        return pd.DataFrame(columns=["reason", "rows"])
    return q["reason"].value_counts().head(12).rename_axis("reason").reset_index(name="rows")


@dataclass(frozen=True)
class ExportPlan:
    """How an export will be read, before anything is loaded: which column feeds which field,
    the profile's notes, and what the time columns need ({field: "naive"} when their times carry
    no offset, {"<field> order": "day-first"|...} when their values show a date order)."""

    columns: dict[str, str]
    notes: list[str]
    needs: dict[str, str]


def export_plan(
    path: Path,
    profile: str,
    options: ReadOptions,
    tz: str | None,
    second: Path | None = None,
    raw: RawExport | None = None,
    raw_second: RawExport | None = None,
) -> ExportPlan:
    ex, _ = read_profile(profile, path, second, options, tz, raw=raw, raw_history=raw_second)
    needs: dict[str, str] = {}
    columns = {n: ex.tickets[n] for n in ("created_at", "first_response_at", "resolved_at")}
    if len(ex.events):
        columns["changed_at"] = ex.events["changed_at"]
    for name, values in columns.items():
        if has_naive(values):
            needs[name] = "naive"
        order = dateorder.evidence(values)
        if order is not None:
            needs[name + " order"] = str(order)
    shown = {k: v for k, v in ex.source_columns.items() if k != "changed_at" or v != "changelog"}
    return ExportPlan(shown, list(ex.notes), needs)
