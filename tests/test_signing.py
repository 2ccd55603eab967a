"""The signing workflow end to end through the real store, a loopback SMTP server and a real PAdES
seal."""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from contracts_fixtures import example
from pypdf import PdfReader, PdfWriter
from signing_fixtures import CUSTOMER, SIGNERS, VENDOR, final_pdf, nss_db, sign_in
from sqlalchemy import func, select

from contracts.adapters import audit
from contracts.adapters.mailer import deliver
from contracts.adapters.orm import DocumentRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import utcnow
from contracts.errors import InvalidToken, SigningError
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service

pytestmark = pytest.mark.usefixtures("seal_env")


def test_sequential_signing_with_email_codes_ends_sealed(engine, contract, smtp, tmp_path, seal_ca):
    inbox, cfg = smtp
    env_id = signing.send_for_signature(
        UnitOfWork(engine),
        contract,
        SIGNERS,
        "legal@acme.example",
        cc=[{"name": "Finance", "email": "finance@acme.example"}],
    )
    deliver(engine, cfg)
    assert inbox.to(CUSTOMER) and not inbox.to(
        VENDOR
    )  # the vendor is invited only after the customer signs
    assert sign_in(engine, inbox, cfg, CUSTOMER, "Dana Whitfield") == "signed"
    assert sign_in(engine, inbox, cfg, VENDOR, "Ravi Menon") == "completed"
    deliver(engine, cfg)
    for addr in (CUSTOMER, VENDOR, "finance@acme.example"):
        done = [m for m in inbox.to(addr) if m["Subject"].startswith("Completed")]
        assert len(done) == 1 and [p.get_filename() for p in done[0].iter_attachments()] == [
            f"{contract}-signed.pdf"
        ]
    pdf = final_pdf(engine, env_id)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for phrase in (
        "Certificate of completion",
        env_id,
        "Signed electronically by Dana Whitfield",
        "one-time code verified",
        "203.0.113.7",
        "pytest-browser",
        "consent_given",
    ):
        assert phrase in text, phrase
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(contract).state == "signed"
        assert audit.verify(uow.session).ok
        kinds = [r.kind for r in audit.entries(uow.session, env_id)]
    assert kinds.count("envelope.signed") == 2 and kinds.count("envelope.completed") == 1
    assert {
        "envelope.viewed",
        "envelope.code_sent",
        "envelope.code_verified",
        "envelope.consent_given",
    } <= set(kinds)
    if shutil.which("pdfsig") and shutil.which("certutil"):
        p = tmp_path / "signed.pdf"
        p.write_bytes(pdf)
        out = subprocess.run(
            ["pdfsig", "-nssdir", nss_db(tmp_path, seal_ca["root-cert"]), str(p)],
            capture_output=True,
            text=True,
        ).stdout
        assert (
            "Signature is Valid." in out
            and "Certificate is Trusted." in out
            and "Total document signed" in out
        )


@pytest.mark.skipif(not shutil.which("pdfsig"), reason="poppler-utils (pdfsig) not installed")
@pytest.mark.parametrize("tamper", ["byte_flip", "incremental_field_edit"])
def test_tampered_seal_fails_validation(engine, contract, smtp, tmp_path, seal_ca, tamper):
    inbox, cfg = smtp
    env_id = signing.send_for_signature(
        UnitOfWork(engine), contract, SIGNERS, "legal@acme.example", auth_method="email_link"
    )
    for addr, name in ((CUSTOMER, "Dana Whitfield"), (VENDOR, "Ravi Menon")):
        deliver(engine, cfg)
        token = inbox.last_link_token(addr)
        signing.open_link(UnitOfWork(engine), token)
        signing.give_consent(UnitOfWork(engine), token)
        signing.sign(UnitOfWork(engine), token, "typed", name)
    pdf = final_pdf(engine, env_id)
    if tamper == "byte_flip":
        i = pdf.index(b"Acme Retail") if b"Acme Retail" in pdf else len(pdf) // 3
        bad = pdf[:i] + bytes([pdf[i] ^ 0x01]) + pdf[i + 1 :]
    else:
        w = PdfWriter(io.BytesIO(pdf), incremental=True)
        w.update_page_form_field_values(
            w.pages[0], {"sla.tier.P1.response_minutes": "300"}, auto_regenerate=False
        )
        buf = io.BytesIO()
        w.write(buf)
        bad = buf.getvalue()
    p = tmp_path / "bad.pdf"
    p.write_bytes(bad)
    out = subprocess.run(
        ["pdfsig", "-nssdir", nss_db(tmp_path, seal_ca["root-cert"]), str(p)],
        capture_output=True,
        text=True,
    ).stdout
    if tamper == "byte_flip":
        assert "Signature is Valid." not in out
    else:  # the signed bytes are intact but the file is no longer what was certified
        assert "Not total document signed" in out
    from contracts.adapters.seal_check import check_sealed

    assert not check_sealed(bad, seal_ca["root-cert"]).ok
    assert check_sealed(pdf, seal_ca["root-cert"]).ok


def test_wrong_codes_lock_the_signer_and_are_audited(engine, contract, smtp):
    inbox, cfg = smtp
    signing.send_for_signature(UnitOfWork(engine), contract, SIGNERS, "legal@acme.example")
    deliver(engine, cfg)
    token = inbox.last_link_token(CUSTOMER)
    signing.request_code(UnitOfWork(engine), token)
    for _ in range(5):
        signing.verify_code(
            UnitOfWork(engine), token, "abcdef"
        )  # never a valid code (codes are digits)
    deliver(engine, cfg)
    with pytest.raises(SigningError, match="locked"):
        signing.verify_code(UnitOfWork(engine), token, inbox.last_code(CUSTOMER))
    with UnitOfWork(engine) as uow:
        kinds = [r.kind for r in audit.entries(uow.session)]
    assert kinds.count("envelope.code_failed") >= 4 and "envelope.signer_locked" in kinds


def test_decline_ends_envelope_for_everyone_and_notifies_sender(engine, contract, smtp):
    inbox, cfg = smtp
    signers = [dict(s, group=1) for s in SIGNERS]  # parallel
    signing.send_for_signature(
        UnitOfWork(engine), contract, signers, "legal@acme.example", auth_method="email_link"
    )
    deliver(engine, cfg)
    t1, t2 = inbox.last_link_token(CUSTOMER), inbox.last_link_token(VENDOR)
    signing.give_consent(UnitOfWork(engine), t1)
    signing.decline(UnitOfWork(engine), t1, "Liability cap too low")
    deliver(engine, cfg)
    assert "Liability cap too low" in inbox.to("legal@acme.example")[-1].get_body().get_content()
    with pytest.raises(InvalidToken, match="declined"):
        signing.open_link(UnitOfWork(engine), t2)
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(contract).state == "declined"


def test_void_and_resend(engine, contract, smtp):
    inbox, cfg = smtp
    env_id = signing.send_for_signature(
        UnitOfWork(engine), contract, SIGNERS, "legal@acme.example", auth_method="email_link"
    )
    deliver(engine, cfg)
    old = inbox.last_link_token(CUSTOMER)
    with UnitOfWork(engine) as uow:
        sid = uow.envelopes.get(env_id).signers[0].id
    signing.resend(UnitOfWork(engine), env_id, sid, "legal@acme.example")
    deliver(engine, cfg)
    new = inbox.last_link_token(CUSTOMER)
    assert new != old
    with pytest.raises(InvalidToken):
        signing.open_link(UnitOfWork(engine), old)
    assert signing.open_link(UnitOfWork(engine), new).signer_name == "Dana Whitfield"
    signing.void(UnitOfWork(engine), env_id, "Wrong price list attached", "legal@acme.example")
    with pytest.raises(InvalidToken, match="voided"):
        signing.open_link(UnitOfWork(engine), new)
    with pytest.raises(SigningError):
        signing.void(UnitOfWork(engine), env_id, "again", "legal@acme.example")


def test_reminders_every_48h_idempotent_and_expiry(engine, contract, smtp):
    inbox, cfg = smtp
    env_id = signing.send_for_signature(
        UnitOfWork(engine), contract, SIGNERS, "legal@acme.example", expires_days=5
    )
    now = utcnow()
    assert signing.remind_due(UnitOfWork(engine), now + timedelta(hours=47)) == 0
    assert signing.remind_due(UnitOfWork(engine), now + timedelta(hours=49)) == 1
    assert (
        signing.remind_due(UnitOfWork(engine), now + timedelta(hours=49)) == 0
    )  # cron ran twice: nothing twice
    assert signing.remind_due(UnitOfWork(engine), now + timedelta(hours=98)) == 1
    deliver(engine, cfg)
    reminders = [m for m in inbox.to(CUSTOMER) if m["Subject"].startswith("Reminder")]
    assert len(reminders) == 2 and not inbox.to(VENDOR)  # only the signer whose turn it is
    token = inbox.last_link_token(CUSTOMER)
    assert signing.remind_due(UnitOfWork(engine), now + timedelta(days=6)) == 0
    with pytest.raises(InvalidToken, match="expired"):
        signing.open_link(UnitOfWork(engine), token)
    with UnitOfWork(engine) as uow:
        kinds = [r.kind for r in audit.entries(uow.session, env_id)]
    assert kinds.count("envelope.reminded") == 2 and "envelope.expired" in kinds


def test_token_opens_only_its_own_envelope(engine, contract, smtp):
    inbox, cfg = smtp
    a = signing.send_for_signature(
        UnitOfWork(engine), contract, SIGNERS[:1], "legal@acme.example", auth_method="email_link"
    )
    other = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    ).id
    b = signing.send_for_signature(
        UnitOfWork(engine),
        other,
        [dict(SIGNERS[0], email="x@y.example")],
        "legal@acme.example",
        auth_method="email_link",
    )
    deliver(engine, cfg)
    assert signing.open_link(UnitOfWork(engine), inbox.last_link_token(CUSTOMER)).envelope_id == a
    assert (
        signing.open_link(UnitOfWork(engine), inbox.last_link_token("x@y.example")).envelope_id == b
    )
    with pytest.raises(InvalidToken):
        signing.open_link(UnitOfWork(engine), "A" * 43)


def test_parallel_signers_and_double_clicks_at_the_same_moment(engine, contract, smtp):
    """Two signers of one group, each clicking twice, in threads: one signature each, one
    completion."""
    inbox, cfg = smtp
    signers = [dict(s, group=1) for s in SIGNERS]
    env_id = signing.send_for_signature(
        UnitOfWork(engine), contract, signers, "legal@acme.example", auth_method="email_link"
    )
    deliver(engine, cfg)
    tokens = {addr: inbox.last_link_token(addr) for addr in (CUSTOMER, VENDOR)}
    for t in tokens.values():
        signing.give_consent(UnitOfWork(engine), t)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def click(token, name):
        barrier.wait()
        try:
            results.append(signing.sign(UnitOfWork(engine), token, "typed", name))
        except SigningError as exc:
            errors.append(str(exc))

    threads = [
        threading.Thread(target=click, args=(tokens[a], n))
        for a, n in ((CUSTOMER, "Dana"), (CUSTOMER, "Dana"), (VENDOR, "Ravi"), (VENDOR, "Ravi"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["completed", "signed"], (results, errors)
    assert len(errors) == 2 and all("already signed" in e or "is completed" in e for e in errors), (
        errors
    )
    with UnitOfWork(engine) as uow:
        kinds = [r.kind for r in audit.entries(uow.session, env_id)]
        finals = uow.session.scalar(
            select(func.count())
            .select_from(DocumentRow)
            .where(DocumentRow.envelope_id == env_id, DocumentRow.kind == "final")
        )
        assert audit.verify(uow.session).ok
    assert (
        kinds.count("envelope.signed") == 2
        and kinds.count("envelope.completed") == 1
        and finals == 1
    )


def test_two_processes_sign_at_the_same_moment_on_postgresql(tmp_path, smtp):
    """Two app processes (separate interpreters) sign the two parallel signers at once: one
    completion."""
    import os
    import sys
    import textwrap

    from contracts_fixtures import APP, OWNER, pg_schema, pg_url

    from contracts.adapters.orm import make_engine

    with pg_schema() as schema:
        app_url = pg_url(APP, schema)
        eng = make_engine(app_url, owner_url=pg_url(OWNER, schema))
        inbox, cfg = smtp
        template_service.install_starters(UnitOfWork(eng))
        cid = contract_service.create_contract(
            UnitOfWork(eng), "saas-support", example("saas-support")
        ).id
        env_id = signing.send_for_signature(
            UnitOfWork(eng),
            cid,
            [dict(s, group=1) for s in SIGNERS],
            "legal@acme.example",
            auth_method="email_link",
        )
        deliver(eng, cfg)
        tokens = [inbox.last_link_token(a) for a in (CUSTOMER, VENDOR)]
        for t in tokens:
            signing.give_consent(UnitOfWork(eng), t)
        start = time.time() + 3
        script = textwrap.dedent(f"""
            import sys, time
            from contracts.adapters.orm import make_engine
            from contracts.adapters.unit_of_work import UnitOfWork
            from contracts.services import signing
            eng = make_engine({app_url!r}, migrate=False)
            time.sleep(max(0, {start} - time.time()))
            print(signing.sign(UnitOfWork(eng), sys.argv[1], "typed", sys.argv[2]))
        """)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, t, n],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for t, n in zip(tokens, ("Dana", "Ravi"), strict=False)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        assert sorted(o[0].strip() for o in outs) == ["completed", "signed"]
        with UnitOfWork(eng) as uow:
            kinds = [r.kind for r in audit.entries(uow.session, env_id)]
            assert audit.verify(uow.session).ok
        assert kinds.count("envelope.signed") == 2 and kinds.count("envelope.completed") == 1
        eng.dispose()
