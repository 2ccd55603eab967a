"""A contract's operational settings: which customer keys in a help desk's exports are its
tickets (a Zendesk organization, a ServiceNow company or contract number, a JSM organization, a
Freshdesk company id), and which of the help desk's priority labels mean which of its tiers.
Set at creation or later by a support manager or an admin; every change is audited."""

from __future__ import annotations

from typing import Any

from contracts.adapters.routing_repo import Routing
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain import limits
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import SettingsError, SigningError


def _norm(value: str) -> str:
    return " ".join(value.split()).lower()


def all_routing(uow: UnitOfWork) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(customer key -> contract id, contract id -> {priority label: tier}) for every contract."""
    with uow:
        rows = uow.routing.all()
    keys = {k: r.contract_id for r in rows for k in r.customer_keys}
    return keys, {r.contract_id: dict(r.severity_map) for r in rows}


def update(
    uow: UnitOfWork,
    contract_id: str,
    actor: str,
    add_keys: list[str] | None = None,
    labels: dict[str, str] | None = None,
    relabel: bool = False,
) -> dict[str, Any]:
    """Add customer keys and priority labels to a contract's settings (audited); a key already
    routing to another contract is refused with that contract named; a label that already means
    another tier is changed only when `relabel` says so (the audit entry keeps the old tier)."""
    try:
        new_keys = [limits.one_line(k, "customer key", 200) for k in (add_keys or [])]
        new_labels = {
            limits.one_line(label, "priority label", 200): limits.one_line(tier, "tier", 100)
            for label, tier in (labels or {}).items()
        }
    except SigningError as exc:  # the bounds are shared with signing; here they are settings
        raise SettingsError(str(exc)) from exc
    with uow:
        taken = {_norm(k): r.contract_id for r in uow.routing.all() for k in r.customer_keys}
        for k in new_keys:
            owner = taken.get(_norm(k))
            if owner is not None and owner != contract_id:
                raise SettingsError(f"customer key {k!r} already routes to contract {owner}")
        row = uow.routing.get(contract_id)
        keys = list(row.customer_keys) + [
            k for k in new_keys if _norm(k) not in {_norm(x) for x in row.customer_keys}
        ]
        replaced = {
            label: {"from": row.severity_map[label], "to": tier}
            for label, tier in new_labels.items()
            if label in row.severity_map and row.severity_map[label] != tier
        }
        if replaced and not relabel:
            label, change = next(iter(replaced.items()))
            raise SettingsError(
                f"priority label {label!r} already means {change['from']} for {contract_id}; "
                f"mapping it to {change['to']} changes how its tickets are measured: confirm the "
                "change (relabel) to do it"
            )
        severity = {**row.severity_map, **new_labels}
        uow.routing.save(Routing(contract_id, keys, severity), actor)
        uow.record(
            Event(
                AuditKind.CONTRACT_ROUTING_CHANGED,
                contract_id,
                {
                    "customer_keys_added": new_keys,
                    "labels": new_labels,
                    "labels_replaced": replaced,
                },
                utcnow(),
                actor,
            )
        )
        uow.commit()
        return {"customer_keys": keys, "severity_map": severity}
