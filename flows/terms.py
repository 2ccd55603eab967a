"""Registering SLA terms with the engine, recorded in the audit trail (who, when, which versions,
from which file): the figures a finance team pays on start from these documents."""

from __future__ import annotations

import hashlib

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from sla_engine.analysis import register_terms
from sla_engine.store import Store
from sla_engine.terms import Terms


def register_uploaded_terms(
    store: Store, uow: UnitOfWork, terms: list[Terms], actor: str, source: str, data: bytes
) -> list[str]:
    """Register terms (building the SLA ledger) and audit it; returns the terms ids added."""
    added, _ = register_terms(store, terms)
    with uow:
        for t in terms:
            uow.record(
                Event(
                    AuditKind.TERMS_REGISTERED,
                    t.contract_id,
                    {
                        "terms_id": t.terms_id,
                        "version": t.version,
                        "source": source,
                        "source_sha256": hashlib.sha256(data).hexdigest(),
                    },
                    utcnow(),
                    actor,
                )
            )
        uow.commit()
    return added
