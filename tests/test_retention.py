"""Retention: seven years from contract end, legal holds, and a purge that leaves its own audit
entry."""

from __future__ import annotations

from datetime import date

import pytest
from signing_fixtures import CUSTOMER

from contracts.adapters import audit
from contracts.adapters.mailer import deliver
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import NotFound
from contracts.services import retention, signing
from contracts.services.settings import set_workflow_defaults

pytestmark = pytest.mark.usefixtures("seal_env")


def signed_contract(engine, contract, smtp) -> str:
    inbox, cfg = smtp
    env = signing.send_for_signature(
        UnitOfWork(engine),
        contract,
        [{"name": "Dana", "email": CUSTOMER, "role": "CIO"}],
        "legal@acme.example",
        auth_method="email_link",
    )
    deliver(engine, cfg)
    t = inbox.last_link_token(CUSTOMER)
    signing.give_consent(UnitOfWork(engine), t)
    signing.sign(UnitOfWork(engine), t, "typed", "Dana")
    return env


def test_purge_refused_within_retention_and_under_hold(engine, contract, smtp, monkeypatch):
    env = signed_contract(engine, contract, smtp)
    st = retention.status(UnitOfWork(engine), contract)
    assert st.keep_until == date(2032, 12, 31)  # end 2025-12-31 + 7 years
    with pytest.raises(retention.RetentionError, match="must be kept until 2032-12-31"):
        retention.purge(
            UnitOfWork(engine), contract, "admin@acme.example", today=date(2032, 12, 31)
        )
    retention.place_hold(
        UnitOfWork(engine), contract, "Matter 2031-17: vendor dispute", "legal@acme.example"
    )
    with pytest.raises(retention.RetentionError, match="legal hold"):
        retention.purge(UnitOfWork(engine), contract, "admin@acme.example", today=date(2040, 1, 1))
    assert retention.release_hold(UnitOfWork(engine), contract, "legal@acme.example") == 1
    set_workflow_defaults(
        UnitOfWork(engine), {"retention_years": 10}, "admin@acme.example"
    )  # the Admin page's setting
    with pytest.raises(retention.RetentionError, match="2035-12-31"):
        retention.purge(UnitOfWork(engine), contract, "admin@acme.example", today=date(2033, 1, 1))
    set_workflow_defaults(UnitOfWork(engine), {"retention_years": 7}, "admin@acme.example")
    what = retention.purge(
        UnitOfWork(engine), contract, "admin@acme.example", today=date(2033, 1, 1)
    )
    assert what["envelopes"] == [env] and {d["kind"] for d in what["documents"]} == {
        "original",
        "final",
    }
    with UnitOfWork(engine) as uow:
        with pytest.raises(NotFound):
            uow.repo.get_contract(contract)
        entries = audit.entries(uow.session, contract)
        assert (
            entries[-1].kind == "retention.purged" and entries[-1].payload["contract"] == contract
        )
        assert audit.verify(uow.session).ok  # the trail survives the purge, intact
