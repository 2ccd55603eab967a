"""One-time codes under attack: wrong codes count across new codes and lock the signer, the
sender is told and unlocks explicitly (app and CLI, audited), code requests are rate-limited, and
a verified code belongs to the browser session that verified it, not to the link."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from contracts.adapters import audit
from contracts.adapters.mailer import deliver
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.envelope import Envelope
from contracts.domain.events import utcnow
from contracts.errors import SigningError
from contracts.services import signing

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "app_pages" / "sign.py")
ANN = {"name": "Ann", "email": "ann@x.example", "role": "CIO"}
pytestmark = pytest.mark.usefixtures("seal_env")


def test_asking_for_a_new_code_does_not_reset_the_count():
    """4 wrong + a new code, repeated, used to never lock (1,600 guesses in 7 s)."""
    env, _ = Envelope.create("C-1", "0" * 64, [ANN], "legal@x.example", "email_code")
    ann = env.signers[0]
    now = utcnow()
    for _ in range(5):  # a new code before every guess
        now += timedelta(seconds=61)  # past the rate limit, within the hour's allowance
        code = env.issue_code(ann, now)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        assert env.verify_code(ann, wrong, now, None, None) is None
    assert ann.code_locked
    with pytest.raises(SigningError, match="locked"):
        env.issue_code(ann, now + timedelta(hours=2))


def test_code_requests_are_rate_limited():
    env, _ = Envelope.create("C-1", "0" * 64, [ANN], "legal@x.example", "email_code")
    ann, now = env.signers[0], utcnow()
    env.issue_code(ann, now)
    with pytest.raises(SigningError, match="ask for another in"):
        env.issue_code(ann, now + timedelta(seconds=10))
    for i in range(1, 5):
        env.issue_code(ann, now + timedelta(minutes=2 * i))
    with pytest.raises(SigningError, match="5 codes were sent in the last hour"):
        env.issue_code(ann, now + timedelta(minutes=11))
    env.issue_code(ann, now + timedelta(minutes=61))  # the hour has passed


def _sent(engine, contract, smtp) -> tuple[str, str]:
    inbox, cfg = smtp
    env_id = signing.send_for_signature(
        UnitOfWork(engine), contract, [ANN], "legal@x.example", auth_method="email_code"
    )
    deliver(engine, cfg)
    return env_id, inbox.last_link_token(ANN["email"])


def test_a_locked_signer_is_reported_to_the_sender_and_unlocked_explicitly(engine, contract, smtp):
    inbox, cfg = smtp
    env_id, token = _sent(engine, contract, smtp)
    signing.request_code(UnitOfWork(engine), token)
    deliver(engine, cfg)
    code = inbox.last_code(ANN["email"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert signing.verify_code(UnitOfWork(engine), token, wrong) is None
    with pytest.raises(SigningError, match="locked"):
        signing.verify_code(UnitOfWork(engine), token, code)
    deliver(engine, cfg)
    (notice,) = [m for m in inbox.to("legal@x.example") if "locked" in m["Subject"]]
    assert env_id in notice.get_content()
    with UnitOfWork(engine) as uow:
        signer_id = uow.envelopes.get(env_id).signers[0].id
    # a new link does not unlock: only the explicit action does
    signing.resend(UnitOfWork(engine), env_id, signer_id, "legal@x.example")
    with UnitOfWork(engine) as uow:
        assert uow.envelopes.get(env_id).signers[0].code_locked
    env = {
        **os.environ,
        "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "contracts",
            "unlock",
            env_id,
            signer_id,
            "--actor",
            "legal@x.example",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert out.returncode == 0, out.stderr  # on PostgreSQL too: the URL names the test's schema
    with UnitOfWork(engine) as uow:
        assert not uow.envelopes.get(env_id).signers[0].code_locked
        kinds = [(r.kind, r.actor) for r in audit.entries(uow.session, env_id)]
    assert ("envelope.signer_locked", "system") in kinds
    assert ("envelope.signer_unlocked", "legal@x.example") in kinds


def test_a_verified_code_does_not_travel_with_the_link(engine, contract, smtp):
    inbox, cfg = smtp
    env_id, token = _sent(engine, contract, smtp)
    signing.request_code(UnitOfWork(engine), token)
    deliver(engine, cfg)
    proof = signing.verify_code(UnitOfWork(engine), token, inbox.last_code(ANN["email"]))
    assert proof
    signing.give_consent(UnitOfWork(engine), token)
    other_browser = signing.open_link(UnitOfWork(engine), token)
    assert other_browser.needs_code  # the bare link asks for a code again
    with pytest.raises(SigningError, match="one-time code first"):
        signing.sign(UnitOfWork(engine), token, "typed", "Ann")
    assert not signing.open_link(UnitOfWork(engine), token, proof=proof).needs_code
    assert signing.sign(UnitOfWork(engine), token, "typed", "Ann", proof=proof) == "completed"


def test_a_fresh_browser_session_on_the_signing_page_asks_for_the_code(tmp_path, monkeypatch, smtp):
    import streamlit as st
    from contracts_fixtures import example

    from contracts.adapters.orm import make_engine
    from contracts.services import contracts as contract_service
    from contracts.services import templates as template_service

    inbox, cfg = smtp
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    for k, v in (
        ("COVENANT_SMTP_HOST", cfg.host),
        ("COVENANT_SMTP_PORT", str(cfg.port)),
        ("COVENANT_MAIL_FROM", cfg.sender),
    ):
        monkeypatch.setenv(k, v)
    st.cache_resource.clear()
    eng = make_engine(url)
    template_service.install_starters(UnitOfWork(eng))
    cid = contract_service.create_contract(
        UnitOfWork(eng), "saas-support", example("saas-support")
    ).id
    signing.send_for_signature(UnitOfWork(eng), cid, [ANN], "legal@x.example")
    deliver(eng, cfg)
    token = inbox.last_link_token(ANN["email"])

    def browser() -> AppTest:
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.query_params["token"] = token
        return at.run()

    first = browser()
    first.button(key="send_code").click().run()
    first.text_input(key="code").input(inbox.last_code(ANN["email"]))
    first.button[1].click().run()
    assert first.checkbox(key="agree")  # verified: on to consent
    second = browser()  # the same link in a fresh browser
    assert second.button(key="send_code") and not [c for c in second.checkbox if c.key == "agree"]
