"""RFC 3161 timestamps: added when a TSA is configured; a TSA failure is audited and never replaced
by local time."""

from __future__ import annotations

import io
import socket

import pytest
from signing_fixtures import CUSTOMER

from contracts.adapters import audit
from contracts.adapters.mailer import deliver
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import NotFound, SealError, SigningError
from contracts.services import completion, signing

pytestmark = pytest.mark.usefixtures("seal_env")


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fully_signed(engine, contract, smtp):
    inbox, cfg = smtp
    env_id = signing.send_for_signature(
        UnitOfWork(engine),
        contract,
        [{"name": "Dana", "email": CUSTOMER, "role": "CIO"}],
        "legal@acme.example",
        auth_method="email_link",
    )
    deliver(engine, cfg)
    token = inbox.last_link_token(CUSTOMER)
    signing.give_consent(UnitOfWork(engine), token)
    return env_id, token


def test_tsa_failure_is_audited_and_retry_seals_with_timestamp(
    engine, contract, smtp, tsa, monkeypatch
):
    url, calls = tsa
    env_id, token = _fully_signed(engine, contract, smtp)
    monkeypatch.setenv("COVENANT_TSA_URL", f"http://127.0.0.1:{_dead_port()}/tsa")
    with pytest.raises(SealError, match="sealing failed"):
        signing.sign(UnitOfWork(engine), token, "typed", "Dana")
    with UnitOfWork(engine) as uow:
        env = uow.envelopes.get(env_id)
        kinds = [r.kind for r in audit.entries(uow.session, env_id)]
        assert env.status == "sent" and env.signers[0].status == "signed"  # the signature is kept
        with pytest.raises(NotFound):
            uow.envelopes.document(env_id, "final")
    assert "envelope.seal_failed" in kinds and "envelope.completed" not in kinds
    with pytest.raises(SigningError, match="already signed"):
        signing.sign(UnitOfWork(engine), token, "typed", "Dana")
    monkeypatch.setenv("COVENANT_TSA_URL", url)
    assert completion.complete(UnitOfWork(engine), env_id) is True
    assert calls, "the TSA was asked"
    with UnitOfWork(engine) as uow:
        pdf = bytes(uow.envelopes.document(env_id, "final").data)
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    unsigned = sig.signer_info["unsigned_attrs"]
    assert any(
        a["type"].native == "signature_time_stamp_token" for a in unsigned
    )  # RFC 3161 token in the seal


def test_the_worker_finishes_a_completion_that_stopped_before_sealing(
    engine, contract, smtp, tsa, monkeypatch, tmp_path
):
    """Everyone signed, the time-stamping authority was down: the worker's next turn seals the
    envelope and measures its terms, with no one pressing a button."""
    from flows.measure import finish_stalled
    from sla_engine.store.core import Store

    url, _ = tsa
    env_id, token = _fully_signed(engine, contract, smtp)
    monkeypatch.setenv("COVENANT_TSA_URL", f"http://127.0.0.1:{_dead_port()}/tsa")
    with pytest.raises(SealError):
        signing.sign(UnitOfWork(engine), token, "typed", "Dana")
    store = Store(tmp_path / "store")
    assert finish_stalled(store, UnitOfWork(engine)) == []  # still down: stays retryable
    monkeypatch.setenv("COVENANT_TSA_URL", url)
    assert finish_stalled(store, UnitOfWork(engine)) == [env_id]
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(contract).state == "signed"
    assert [t for t in store.terms() if t.contract_id == contract]  # measured
    assert finish_stalled(store, UnitOfWork(engine)) == []  # nothing twice
