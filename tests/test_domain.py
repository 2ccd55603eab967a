"""The domain and the use cases without a database: lifecycle tables, envelope rules, and the
signing services running on an in-memory unit of work (tests/fake_uow.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from contracts_fixtures import example
from fake_uow import FakeUnitOfWork

from contracts.domain.envelope import Envelope
from contracts.domain.events import utcnow
from contracts.domain.lifecycle import (
    CONTRACT_TRANSITIONS,
    ENVELOPE_TRANSITIONS,
    AuditKind,
    ContractState,
    EnvelopeState,
)
from contracts.errors import IllegalTransition, SigningError
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service

ROOT = Path(__file__).resolve().parents[1]
SIGNERS = [
    {"name": "Dana Whitfield", "email": "dana@acme.example", "role": "CIO", "group": 1},
    {"name": "Ravi Menon", "email": "ravi@vendor.example", "role": "VP", "group": 2},
]


def test_the_domain_imports_no_database_or_ui():
    code = (
        "import sys\n"
        "import contracts.domain.contract, contracts.domain.envelope, contracts.domain.lifecycle\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'streamlit'))\n"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


def _draft(uow: FakeUnitOfWork) -> str:
    template_service.install_starters(uow)
    return contract_service.create_contract(uow, "saas-support", example("saas-support")).id


@pytest.mark.parametrize("frm", list(ContractState))
@pytest.mark.parametrize("to", list(ContractState))
def test_contract_moves_only_along_its_table(frm, to):
    uow = FakeUnitOfWork()
    cid = _draft(uow)
    with uow:
        c = uow.repo.get_contract(cid)
    c.state = frm
    if to in CONTRACT_TRANSITIONS[frm]:
        c.transition(to, actor="legal", reason="test")
        assert c.state == to and c.events[-1].kind == AuditKind.CONTRACT_STATE_CHANGED
    else:
        with pytest.raises(IllegalTransition):
            c.transition(to)
        assert c.state == frm


@pytest.mark.parametrize("frm", list(EnvelopeState))
@pytest.mark.parametrize("to", list(EnvelopeState))
def test_envelope_moves_only_along_its_table(frm, to):
    env, _ = Envelope.create("C-1", "0" * 64, SIGNERS, "legal@acme.example", "email_link")
    env.status = frm
    if to in ENVELOPE_TRANSITIONS[frm]:
        env._move(to)
        assert env.status == to
    else:
        with pytest.raises(IllegalTransition):
            env._move(to)


def test_groups_sign_in_order_and_a_wrong_turn_is_refused():
    now = utcnow()
    env, tokens = Envelope.create("C-1", "0" * 64, SIGNERS, "legal@acme.example", "email_link")
    dana, ravi = env.signers
    assert set(tokens) == {dana.id}  # only the first group is invited
    with pytest.raises(SigningError, match="not .*turn"):
        env.give_consent(ravi, "v", "h", now, None, None)
    env.give_consent(dana, "v", "h", now, None, None)
    invited, done = env.sign(dana, "typed", "Dana Whitfield", now, None, None)
    assert set(invited) == {ravi.id} and not done


def test_a_wrong_code_five_times_locks_the_signer():
    now = utcnow()
    env, _ = Envelope.create("C-1", "0" * 64, SIGNERS[:1], "legal@acme.example", "email_code")
    dana = env.signers[0]
    code = env.issue_code(dana, now)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert [env.verify_code(dana, wrong, now, None, None) for _ in range(5)] == [None] * 5
    assert dana.code_locked
    with pytest.raises(SigningError, match="locked"):
        env.verify_code(dana, code, now, None, None)
    kinds = [e.kind for e in env.events]
    assert kinds.count(AuditKind.ENVELOPE_CODE_FAILED) == 5
    assert AuditKind.ENVELOPE_SIGNER_LOCKED in kinds


def test_an_expired_envelope_cannot_be_opened():
    env, tokens = Envelope.create(
        "C-1", "0" * 64, SIGNERS[:1], "legal@acme.example", "email_link", expires_days=1
    )
    (token,) = tokens.values()
    with pytest.raises(SigningError, match="expired"):
        env.signer_for_token(token, utcnow() + timedelta(days=2))
    assert env.status == EnvelopeState.EXPIRED


def _token(uow: FakeUnitOfWork, email: str) -> str:
    body = next(m["body"] for m in reversed(uow.db.outbox) if m["to"] == email)
    return body.split("token=")[1].split()[0]


@pytest.mark.usefixtures("seal_env")
def test_send_sign_and_complete_run_on_an_in_memory_unit_of_work():
    """The whole signing use case, with no database: the contract ends signed, sealed, mailed."""
    uow = FakeUnitOfWork()
    cid = _draft(uow)
    env_id = signing.send_for_signature(
        uow, cid, SIGNERS, "legal@acme.example", auth_method="email_link"
    )
    for person in SIGNERS:
        token = _token(uow, person["email"])
        signing.give_consent(uow, token)
        result = signing.sign(uow, token, "typed", person["name"])
    assert result == "completed"
    with uow:
        assert uow.repo.get_contract(cid).state == ContractState.SIGNED
        env = uow.envelopes.get(env_id)
        assert env.status == EnvelopeState.COMPLETED
        assert uow.envelopes.document(env_id, "final").data.startswith(b"%PDF")
    completed = [m for m in uow.db.outbox if m["subject"].startswith("Completed")]
    # every signer and the sender get the sealed copy
    assert sorted(m["to"] for m in completed) == sorted(
        [p["email"] for p in SIGNERS] + ["legal@acme.example"]
    )
    kinds = [e.kind for e in uow.db.trail]
    assert kinds.count(AuditKind.ENVELOPE_SIGNED) == 2
    assert kinds.count(AuditKind.ENVELOPE_COMPLETED) == 1


def test_a_failed_use_case_leaves_nothing_behind():
    uow = FakeUnitOfWork()
    cid = _draft(uow)
    trail = len(uow.db.trail)
    with pytest.raises(IllegalTransition):
        contract_service.transition(uow, cid, "signed")  # a draft cannot be signed directly
    with uow:
        assert uow.repo.get_contract(cid).state == ContractState.DRAFT
    assert len(uow.db.trail) == trail
