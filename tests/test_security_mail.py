"""Mail and signer input under attack: a bad address is refused where it enters, a message that
cannot be sent is marked failed and never blocks the queue, links and codes are not kept once
delivered, and signer-supplied values are bounded with a clear message."""

from __future__ import annotations

import pytest
from contracts_fixtures import example
from sqlalchemy import select

from contracts.adapters.mailer import deliver
from contracts.adapters.orm import OutboxRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import utcnow
from contracts.errors import SigningError
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service

pytestmark = pytest.mark.usefixtures("seal_env")
ANN = {"name": "Ann", "email": "ann@x.example", "role": "CIO"}


def _contract(engine, **over) -> str:
    template_service.install_starters(UnitOfWork(engine))
    values = {**example("saas-support"), **over}
    return contract_service.create_contract(UnitOfWork(engine), "saas-support", values).id


@pytest.mark.parametrize(
    ("signer", "message"),
    [
        ({**ANN, "email": "ann@x.example\nBcc: all@evil.example"}, "not a valid e-mail address"),
        ({**ANN, "email": "not-an-address"}, "not a valid e-mail address"),
        ({**ANN, "name": "Ann\r\nX-Injected: 1"}, "line break"),
        ({**ANN, "name": "A" * 5000}, "at most 200"),
    ],
)
def test_a_bad_signer_is_refused_where_it_enters(engine, signer, message):
    cid = _contract(engine)
    with pytest.raises(SigningError, match=message):
        signing.send_for_signature(UnitOfWork(engine), cid, [signer], "legal@x.example")
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(cid).state == "draft"  # nothing half-written
        assert not list(uow.session.scalars(select(OutboxRow)))


def test_a_message_that_cannot_be_sent_is_failed_and_the_queue_moves_on(engine, smtp):
    inbox, cfg = smtp
    with UnitOfWork(engine) as uow:  # e.g. a row written before addresses were checked
        for to in ("victim@x.example\r\nBcc: all@evil.example", "ann@x.example"):
            uow.session.add(
                OutboxRow(
                    to_addr=to,
                    subject="s",
                    body="b",
                    attachments=[],
                    created_at=utcnow(),
                    attempts=0,
                )
            )
        uow.commit()
    assert deliver(engine, cfg) == (1, 1)
    assert len(inbox.to("ann@x.example")) == 1
    with UnitOfWork(engine) as uow:
        bad = uow.session.scalars(select(OutboxRow).where(OutboxRow.sent_at.is_(None))).one()
        assert bad.attempts >= 10 and "cannot be sent" in bad.last_error
    assert deliver(engine, cfg) == (0, 0)  # given up, not retried forever


def test_a_title_with_a_line_break_still_mails(engine, smtp):
    inbox, cfg = smtp
    cid = _contract(engine, title="Support\r\nBcc: all@evil.example")
    signing.send_for_signature(
        UnitOfWork(engine), cid, [ANN], "legal@x.example", auth_method="email_link"
    )
    assert deliver(engine, cfg) == (1, 0)
    (msg,) = inbox.to("ann@x.example")
    assert "\n" not in msg["Subject"] and not inbox.to("all@evil.example")


def test_links_and_codes_are_not_kept_after_delivery(engine, smtp):
    inbox, cfg = smtp
    cid = _contract(engine)
    signing.send_for_signature(
        UnitOfWork(engine), cid, [ANN], "legal@x.example", auth_method="email_code"
    )
    deliver(engine, cfg)
    token = inbox.last_link_token("ann@x.example")
    signing.request_code(UnitOfWork(engine), token)
    deliver(engine, cfg)
    code = inbox.last_code("ann@x.example")
    with UnitOfWork(engine) as uow:
        bodies = [m.body for m in uow.session.scalars(select(OutboxRow))]
    assert len(bodies) == 2
    assert not [b for b in bodies if token in b or code in b]
    assert all("removed after delivery" in b for b in bodies)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("typed", "D" * 5000, "at most 200"),
        ("typed", "Dana\nWhitfield", "line break"),
        ("drawn", "data:image/png;base64," + "A" * 600_000, "at most 512 KiB"),
        ("drawn", "javascript:alert(1)", "PNG image"),
    ],
)
def test_signer_supplied_values_are_bounded(engine, smtp, kind, value, message):
    inbox, cfg = smtp
    cid = _contract(engine)
    signing.send_for_signature(
        UnitOfWork(engine), cid, [ANN], "legal@x.example", auth_method="email_link"
    )
    deliver(engine, cfg)
    token = inbox.last_link_token("ann@x.example")
    signing.give_consent(UnitOfWork(engine), token)
    with pytest.raises(SigningError, match=message):
        signing.sign(UnitOfWork(engine), token, kind, value)
    with pytest.raises(SigningError, match="at most 2,000"):
        signing.decline(UnitOfWork(engine), token, "x" * 2001)
    assert signing.sign(UnitOfWork(engine), token, "typed", "Dana Whitfield") == "completed"


def test_a_rendering_failure_at_completion_is_audited_and_retryable(engine, smtp, monkeypatch):
    from reportlab.platypus.doctemplate import LayoutError

    from contracts.adapters import audit
    from contracts.errors import SealError
    from contracts.services import completion

    inbox, cfg = smtp
    cid = _contract(engine)
    env_id = signing.send_for_signature(
        UnitOfWork(engine), cid, [ANN], "legal@x.example", auth_method="email_link"
    )
    deliver(engine, cfg)
    token = inbox.last_link_token("ann@x.example")
    signing.give_consent(UnitOfWork(engine), token)

    def too_big(*a, **k):
        raise LayoutError("Flowable too large on page 3")

    real = completion.render_pdf
    monkeypatch.setattr(completion, "render_pdf", too_big)
    with pytest.raises(SealError, match="could not be rendered"):
        signing.sign(UnitOfWork(engine), token, "typed", "Ann")
    with UnitOfWork(engine) as uow:
        kinds = [r.kind for r in audit.entries(uow.session, env_id)]
        assert uow.envelopes.get(env_id).signers[0].status == "signed"  # the signature is kept
    assert "envelope.seal_failed" in kinds
    monkeypatch.setattr(completion, "render_pdf", real)
    assert completion.complete(UnitOfWork(engine), env_id) is True


@pytest.mark.parametrize(
    ("configured", "served", "expected"),
    [
        (None, "https://covenant.acme.example", "https://covenant.acme.example/sign?token="),
        (
            "https://sign.acme.example/",
            "http://10.0.0.5:8501",
            "https://sign.acme.example/sign?token=",
        ),
        (None, None, "http://127.0.0.1:8501/sign?token="),
    ],
)
def test_signing_links_point_to_the_public_address(
    engine, smtp, monkeypatch, configured, served, expected
):
    inbox, cfg = smtp
    if configured:
        monkeypatch.setenv("COVENANT_BASE_URL", configured)
    else:
        monkeypatch.delenv("COVENANT_BASE_URL", raising=False)
    cid = _contract(engine)
    signing.send_for_signature(
        UnitOfWork(engine),
        cid,
        [ANN],
        "legal@x.example",
        auth_method="email_link",
        base_url=served,
    )
    deliver(engine, cfg)
    (msg,) = inbox.to("ann@x.example")
    assert expected in msg.get_content()
