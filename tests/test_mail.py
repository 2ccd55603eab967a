"""The outbox: nothing is lost while the SMTP server is down; a failed send is retried and
audited."""

from __future__ import annotations

import socket

from contracts_fixtures import example
from sqlalchemy import select

from contracts.adapters import audit
from contracts.adapters.mailer import SmtpConfig, deliver
from contracts.adapters.orm import OutboxRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service


def _dead() -> SmtpConfig:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return SmtpConfig("127.0.0.1", port, False, None, None, "covenant@test.invalid")


def test_server_down_then_up(engine, smtp):
    inbox, cfg = smtp
    template_service.install_starters(UnitOfWork(engine))
    cid = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    ).id
    env = signing.send_for_signature(
        UnitOfWork(engine),
        cid,
        [{"name": "Ann", "email": "ann@x.example", "role": "CIO"}],
        "legal@x.example",
        auth_method="email_link",
    )
    assert deliver(engine, _dead()) == (0, 1)
    with UnitOfWork(engine) as uow:
        m = uow.session.scalars(select(OutboxRow)).one()
        assert m.sent_at is None and m.attempts == 1 and "ConnectionRefused" in m.last_error
    assert deliver(engine, cfg) == (1, 0)
    assert deliver(engine, cfg) == (0, 0)  # never twice
    assert len(inbox.to("ann@x.example")) == 1
    with UnitOfWork(engine) as uow:
        kinds = [r.kind for r in audit.entries(uow.session, env)]
    assert kinds.count("mail.failed") == 1 and kinds.count("mail.delivered") == 1


def test_no_smtp_configured_keeps_mail_in_outbox(engine, monkeypatch):
    monkeypatch.delenv("COVENANT_SMTP_HOST", raising=False)
    template_service.install_starters(UnitOfWork(engine))
    cid = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    ).id
    signing.send_for_signature(
        UnitOfWork(engine),
        cid,
        [{"name": "Ann", "email": "ann@x.example", "role": "CIO"}],
        "legal@x.example",
    )
    assert deliver(engine) == (0, 0)
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(OutboxRow)).one().to_addr == "ann@x.example"
