"""The lifecycle cannot be bent: only a completed envelope signs a contract, an expired envelope
leaves the contract resendable, one live envelope at most, and expiry must be in the future."""

from __future__ import annotations

from datetime import timedelta

import pytest
from contracts_fixtures import example
from sqlalchemy import select

from contracts.adapters.orm import EnvelopeRow, OutboxRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import utcnow
from contracts.errors import IllegalTransition, SigningError
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service

ANN = [{"name": "Ann", "email": "ann@x.example", "role": "CIO"}]


def _draft(engine) -> str:
    template_service.install_starters(UnitOfWork(engine))
    return contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    ).id


@pytest.mark.parametrize("days", [0, -3, 400])
def test_send_refuses_an_expiry_that_is_not_ahead(engine, days):
    cid = _draft(engine)
    with pytest.raises(SigningError, match="between 1 and 365 days"):
        signing.send_for_signature(
            UnitOfWork(engine), cid, ANN, "legal@x.example", expires_days=days
        )
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(cid).state == "draft"


def test_an_expired_envelope_leaves_the_contract_resendable(engine):
    cid = _draft(engine)
    first = signing.send_for_signature(
        UnitOfWork(engine), cid, ANN, "legal@x.example", auth_method="email_link", expires_days=1
    )
    with pytest.raises(IllegalTransition, match="cannot be sent"):  # one live envelope at most
        signing.send_for_signature(UnitOfWork(engine), cid, ANN, "legal@x.example")
    signing.remind_due(UnitOfWork(engine), now=utcnow() + timedelta(days=2))
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(cid).state == "signing_expired"
        assert uow.envelopes.get(first).status == "expired"
        notices = list(
            uow.session.scalars(select(OutboxRow).where(OutboxRow.to_addr == "legal@x.example"))
        )
    assert any(m.subject.startswith("Expired") and "sent again" in m.body for m in notices)
    second = signing.send_for_signature(
        UnitOfWork(engine), cid, ANN, "legal@x.example", auth_method="email_link"
    )
    with UnitOfWork(engine) as uow:
        live = uow.session.scalars(
            select(EnvelopeRow.id).where(
                EnvelopeRow.contract_id == cid, EnvelopeRow.status == "sent"
            )
        ).all()
        assert list(live) == [second] and uow.repo.get_contract(cid).state == "out_for_signature"


def test_voiding_leaves_the_contract_correctable(engine):
    cid = _draft(engine)
    env = signing.send_for_signature(
        UnitOfWork(engine), cid, ANN, "legal@x.example", auth_method="email_link"
    )
    signing.void(UnitOfWork(engine), env, "wrong price", "legal@x.example")
    contract_service.transition(UnitOfWork(engine), cid, "draft", actor="legal")
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(cid).state == "draft"
