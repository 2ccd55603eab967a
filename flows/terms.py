"""Registering SLA terms with the engine, recorded in the audit trail (who, when, which versions,
from which file): the figures a finance team pays on start from these documents."""

from __future__ import annotations

import hashlib

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import NotFound
from flows.errors import RegistrationError
from sla_engine.ledger.register import register_terms
from sla_engine.rulebook.terms import Terms, signed_elsewhere
from sla_engine.store.core import Store


def _held(uow: UnitOfWork, contract_id: str) -> bool:
    """A contract (or the root of an amended family) that lives in Covenant's database."""
    try:
        uow.repo.get_contract(contract_id)
    except NotFound:
        return False
    return True


def register_uploaded_terms(
    store: Store, uow: UnitOfWork, terms: list[Terms], actor: str, source: str, data: bytes
) -> list[str]:
    """Terms of a contract signed elsewhere: refused for a contract Covenant holds (its terms come
    from its sealed document), labelled "signed elsewhere: terms uploaded by NAME on DATE",
    registered (building the SLA ledger) and audited; returns the terms ids added."""
    with uow:
        held = [t.contract_id for t in terms if _held(uow, t.contract_id)]
    if held:
        raise RegistrationError(
            f"{', '.join(sorted(set(held)))}: Covenant holds this contract; its terms are the ones "
            "in its sealed document and are registered when it is signed"
        )
    label = signed_elsewhere(actor, utcnow().date())
    terms = [t.model_copy(update={"version": label}) for t in terms]
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
