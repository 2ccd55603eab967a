"""Signed -> measured: the terms in the sealed document become what the engine measures, with
provenance, idempotently, audited; amendments and termination cut them; a failure is audited and
retryable; terms uploaded by hand are labelled and refused for contracts Covenant holds."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from contracts_fixtures import example
from signing_fixtures import sign_through_the_workflow

from contracts.adapters import audit
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import utcnow
from contracts.services import contracts as contract_service
from contracts.services import templates as template_service
from flows import measure
from flows.errors import RegistrationError
from flows.terms import register_uploaded_terms
from sla_engine.errors import SlaEngineError
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("seal_env")


def _signed(engine, **over) -> str:
    template_service.install_starters(UnitOfWork(engine))
    values = {**example("saas-support"), **over}
    cid = contract_service.create_contract(UnitOfWork(engine), "saas-support", values).id
    sign_through_the_workflow(engine, cid)
    return cid


def _kinds(engine, subject: str) -> list[str]:
    with UnitOfWork(engine) as uow:
        return [r.kind for r in audit.entries(uow.session, subject)]


def test_signed_terms_are_registered_once_with_their_provenance(engine, tmp_path):
    store = Store(tmp_path / "store")
    cid = _signed(engine)
    first = measure.register_signed(store, UnitOfWork(engine), cid)
    (t,) = store.terms()
    assert first.changed and t.contract_id == cid and t.tiers["P1"].response_minutes == 30
    assert t.version.startswith(f"signed in Covenant: {cid} (saas-support v1), sealed sha256 ")
    with UnitOfWork(engine) as uow:
        (env,) = uow.envelopes.for_contract(cid)
        (entry,) = [r for r in audit.entries(uow.session, cid) if r.kind == "terms.registered"]
    assert entry.payload["sealed_sha256"] == env.final_sha256
    again = measure.register_signed(store, UnitOfWork(engine), cid)
    assert not again.changed and _kinds(engine, cid).count("terms.registered") == 1
    assert measure.measured(store, UnitOfWork(engine), cid)


def test_an_amendment_splits_the_terms_at_its_start(engine, tmp_path):
    store = Store(tmp_path / "store")
    cid = _signed(engine)
    amended = example("saas-support")
    amended["start_date"] = "2025-07-01"
    amended["sla"]["tiers"]["P1"]["response_minutes"] = 15
    a = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", amended, supersedes=cid
    )
    sign_through_the_workflow(engine, a.id)
    measure.register_signed(store, UnitOfWork(engine), a.id)
    old, new = sorted(store.terms(), key=lambda t: t.effective_from)
    assert (old.contract_id, new.contract_id) == (cid, cid)  # one id across the family
    assert old.effective_to == date(2025, 6, 30) and old.tiers["P1"].response_minutes == 30
    assert new.effective_from == date(2025, 7, 1) and new.tiers["P1"].response_minutes == 15
    assert a.id in new.version


def test_termination_ends_the_terms_in_force(engine, tmp_path):
    store = Store(tmp_path / "store")
    cid = _signed(engine, end_date=(date.today() + timedelta(days=300)).isoformat())
    measure.register_signed(store, UnitOfWork(engine), cid)
    contract_service.transition(UnitOfWork(engine), cid, "terminated", "legal", "vendor insolvent")
    assert not measure.measured(store, UnitOfWork(engine), cid)  # the page offers to register
    measure.register_signed(store, UnitOfWork(engine), cid)
    (t,) = store.terms()
    assert t.effective_to == utcnow().date() - timedelta(days=1)


def test_an_unsigned_contract_has_nothing_to_measure(engine, tmp_path):
    template_service.install_starters(UnitOfWork(engine))
    cid = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    ).id
    with pytest.raises(RegistrationError, match="not signed"):
        measure.register_signed(Store(tmp_path / "store"), UnitOfWork(engine), cid)
    assert "terms.registration_failed" in _kinds(engine, cid)


def test_a_failed_registration_is_audited_and_retryable(engine, tmp_path, monkeypatch):
    store = Store(tmp_path / "store")
    cid = _signed(engine)

    def broken(*a, **k):
        raise SlaEngineError("store not writable")

    working = measure.register_terms
    monkeypatch.setattr(measure, "register_terms", broken)
    with pytest.raises(RegistrationError, match="store not writable"):
        measure.register_signed(store, UnitOfWork(engine), cid)
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(cid).state == "signed"  # the envelope stays complete
    assert "terms.registration_failed" in _kinds(engine, cid)
    monkeypatch.setattr(measure, "register_terms", working)
    assert measure.register_signed(store, UnitOfWork(engine), cid).changed


def test_terms_uploaded_by_hand_are_labelled_and_refused_for_covenant_contracts(engine, tmp_path):
    store = Store(tmp_path / "store")
    cid = _signed(engine)
    doc = json.loads((ROOT / "tests" / "fixtures" / "acme_terms.json").read_text())
    doc = doc if isinstance(doc, dict) else doc[0]
    elsewhere = parse_terms(doc)
    added = register_uploaded_terms(store, UnitOfWork(engine), elsewhere, "lee", "acme.json", b"{}")
    (t,) = [x for x in store.terms() if x.terms_id in added]
    assert t.version == f"signed elsewhere: terms uploaded by lee on {utcnow():%Y-%m-%d}"
    ours = parse_terms({**doc, "contract_id": cid})
    with pytest.raises(RegistrationError, match="Covenant holds this contract"):
        register_uploaded_terms(store, UnitOfWork(engine), ours, "lee", "x.json", b"{}")
    # the engine's own command refuses terms of a contract measured from its sealed document
    measure.register_signed(store, UnitOfWork(engine), cid)
    f = tmp_path / "ours.json"
    f.write_text(json.dumps({**doc, "contract_id": cid}))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "sla_engine",
            "--store",
            str(tmp_path / "store"),
            "terms",
            "add",
            str(f),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2 and "signed in Covenant" in r.stderr


def test_the_embedded_default_measures_only_signed_covenant_contracts(tmp_path):
    from streamlit_server import demo_world

    from contracts.adapters.orm import make_engine

    env = demo_world(tmp_path)
    store = Store(Path(env["COVENANT_STORE"]))
    eng = make_engine(env["DATABASE_URL"])
    with UnitOfWork(eng) as uow:
        states = {c.id: c for c in uow.repo.list_contracts()}
        sealed = {
            c: [e.final_sha256 for e in uow.envelopes.for_contract(c) if e.status == "completed"]
            for c in states
        }
    measured_ids = {t.contract_id for t in store.terms()}
    assert measured_ids == {"ACME-SAAS", "GLOBEX-EU", "INITECH-APAC"}
    for t in store.terms():
        c = states[t.contract_id]
        assert c.state == "signed" and t.version.startswith("signed in Covenant")
        assert any(sha and sha[:16] in t.version for shas in sealed.values() for sha in shas)
        assert c.notice_deadline() and c.renewal_date()
    assert states["UMBRELLA-NA"].state == "out_for_signature"
    assert states["INITECH-APAC-A1"].supersedes == "INITECH-APAC"


def test_ending_a_contract_ends_its_measured_terms_in_one_step(engine, tmp_path):
    store = Store(tmp_path / "store")
    cid = _signed(engine, end_date=(date.today() + timedelta(days=300)).isoformat())
    measure.register_signed(store, UnitOfWork(engine), cid)
    with pytest.raises(RegistrationError, match="terminated or expired"):
        measure.end_contract(store, UnitOfWork(engine), cid, "draft", "legal", "x")
    measure.end_contract(store, UnitOfWork(engine), cid, "terminated", "legal", "insolvent")
    (t,) = store.terms()
    assert t.effective_to == utcnow().date() - timedelta(days=1)
    assert measure.measured(store, UnitOfWork(engine), cid)


def _replace_sealed(engine, cid: str, doc: bytes, sha: str | None = None) -> None:
    """The insider's move: the stored sealed PDF (and, optionally, the recorded digest)
    overwritten in the database."""
    from contracts_fixtures import owner_engine
    from sqlalchemy import text

    with UnitOfWork(engine) as uow:
        env = [e for e in uow.envelopes.for_contract(cid) if e.status == "completed"][-1]
    with owner_engine(engine).begin() as conn:
        conn.execute(
            text("UPDATE documents SET data = :d WHERE envelope_id = :e AND kind = 'final'"),
            {"d": doc, "e": env.id},
        )
        if sha:
            conn.execute(
                text("UPDATE envelopes SET final_sha256 = :s WHERE id = :e"),
                {"s": sha, "e": env.id},
            )


def test_an_unsealed_document_put_in_place_of_the_sealed_one_is_never_measured(engine, tmp_path):
    """The attack run's forgery: the contract's fields edited in the database and its sealed PDF
    replaced by a freshly rendered, unsealed one (with its digest recorded too): refused, audited,
    nothing registered."""
    from contracts.documents.pdf import render_pdf, sha256_bytes

    store = Store(tmp_path / "store")
    cid = _signed(engine)
    with UnitOfWork(engine) as uow:
        c = uow.repo.get_contract(cid)
        forged = render_pdf(cid, c.typed.title, c.typed, "forged text", "saas-support v1")
    _replace_sealed(engine, cid, forged, sha256_bytes(forged))
    with pytest.raises(RegistrationError, match="not a valid Covenant seal"):
        measure.register_signed(store, UnitOfWork(engine), cid)
    assert "terms.registration_failed" in _kinds(engine, cid)
    assert not [t for t in store.terms() if t.contract_id == cid]


def test_a_document_sealed_by_another_key_is_never_measured(engine, tmp_path):
    """A PDF properly sealed, but with a self-made certificate: the seal does not chain to the
    deployment's root, so its terms are refused even with its digest recorded."""
    from pyhanko.sign import signers

    from contracts.adapters.seal import ensure_local_ca, seal_pdf
    from contracts.documents.pdf import render_pdf, sha256_bytes

    store = Store(tmp_path / "store")
    cid = _signed(engine)
    mine = ensure_local_ca(tmp_path / "mallory")
    with UnitOfWork(engine) as uow:
        c = uow.repo.get_contract(cid)
        unsealed = render_pdf(cid, c.typed.title, c.typed, "forged text", "saas-support v1")
    signer = signers.SimpleSigner.load(str(mine["seal-key"]), str(mine["seal-cert"]))
    forged = seal_pdf(unsealed, signer, reason="forged")
    _replace_sealed(engine, cid, forged, sha256_bytes(forged))
    with pytest.raises(RegistrationError, match="trusted=False"):
        measure.register_signed(store, UnitOfWork(engine), cid)
    assert not [t for t in store.terms() if t.contract_id == cid]


def test_a_sealed_document_whose_digest_was_not_recorded_at_completion_is_refused(engine, tmp_path):
    """The envelope's recorded digest rewritten: the audit trail's completion entry disagrees."""
    store = Store(tmp_path / "store")
    cid = _signed(engine)
    with UnitOfWork(engine) as uow:
        env = [e for e in uow.envelopes.for_contract(cid) if e.status == "completed"][-1]
        doc = bytes(uow.envelopes.document(env.id, "final").data)
    _replace_sealed(engine, cid, doc, "f" * 64)
    with pytest.raises(RegistrationError, match="not the one sealed"):
        measure.register_signed(store, UnitOfWork(engine), cid)
