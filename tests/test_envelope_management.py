"""Senders manage their envelopes: resend a signer's link by e-mail, or take a new link to pass
on where a one-time code still guards it (never for link-only envelopes); both audited."""

from __future__ import annotations

import pytest
from signing_fixtures import SIGNERS

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import SigningError
from contracts.services import signing

pytestmark = pytest.mark.usefixtures("seal_env")


def _send(engine, contract, auth: str) -> str:
    return signing.send_for_signature(
        UnitOfWork(engine), contract, SIGNERS, "legal@acme.example", auth_method=auth
    )


def test_a_copyable_link_only_where_a_code_guards_it(engine, contract):
    env = _send(engine, contract, "email_code")
    with UnitOfWork(engine) as uow:
        first = uow.envelopes.get(env).signers[0].id
    url = signing.resend(UnitOfWork(engine), env, first, "lee", to_copy=True)
    assert url and "/sign?token=" in url
    view = signing.open_link(UnitOfWork(engine), url.split("token=")[1])
    assert view.needs_code  # the link alone does not sign
    with UnitOfWork(engine) as uow:
        resent = [e for e in uow.audit_entries(env) if e["kind"] == "envelope.resent"]
    assert resent[-1]["payload"] == {"signer": first, "link_shown_to_sender": True}


def test_a_link_only_envelope_never_shows_its_link(engine, contract):
    env = _send(engine, contract, "email_link")
    with UnitOfWork(engine) as uow:
        first = uow.envelopes.get(env).signers[0].id
    with pytest.raises(SigningError, match="resend it by e-mail"):
        signing.resend(UnitOfWork(engine), env, first, "lee", to_copy=True)
    assert signing.resend(UnitOfWork(engine), env, first, "lee") is None
