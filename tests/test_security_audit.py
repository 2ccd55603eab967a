"""Anchored audit trail: re-chaining after an edit, deleting and re-chaining, and cutting the tail
with a rewound head all pass the bare chain check, and all fail against a signed checkpoint (also
one exported before its row was deleted). On PostgreSQL the table refuses UPDATE and DELETE."""

from __future__ import annotations

import json
import re

import pytest
from contracts_fixtures import example, owner_engine
from signing_fixtures import sign_through_the_workflow
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from contracts.adapters import audit, audit_anchor
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import contracts as contract_service
from contracts.services import templates as template_service

pytestmark = pytest.mark.usefixtures("seal_env")


def populate(engine) -> None:
    template_service.install_starters(UnitOfWork(engine))
    c = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    )
    sign_through_the_workflow(engine, c.id)


def anchor(engine) -> list[dict]:
    audit_anchor.sign_checkpoint(UnitOfWork(engine))
    with UnitOfWork(engine) as uow:
        return audit_anchor.as_records(uow.session)


def _guard_off(engine, conn) -> None:
    """As the tables' owner, switch the append-only triggers off for this transaction."""
    if engine.dialect.name == "postgresql":
        for table in ("audit_log", "audit_checkpoints"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def as_attacker(engine, *statements: str) -> None:
    """An insider with the owner's rights: on PostgreSQL, with triggers switched off."""
    with owner_engine(engine).begin() as conn:
        _guard_off(engine, conn)
        for s in statements:
            conn.execute(text(s))


def rechain(engine) -> None:
    """Recompute every hash and the head so that the bare chain check passes again."""
    with owner_engine(engine).begin() as conn:
        _guard_off(engine, conn)
        rows = conn.execute(
            text(
                "SELECT id, at, actor, subject, kind, ip, user_agent, payload FROM audit_log "
                "ORDER BY id"
            )
        ).all()
        prev = audit.GENESIS
        for seq, r in enumerate(rows, start=1):
            payload = json.loads(r.payload) if isinstance(r.payload, str) else r.payload
            body = audit.canonical(
                seq, r.at, r.actor, r.subject, r.kind, r.ip, r.user_agent, payload
            )
            h = audit.entry_hash(prev, body)
            conn.execute(
                text("UPDATE audit_log SET seq = :s, prev_hash = :p, hash = :h WHERE id = :i"),
                {"s": -seq, "p": prev, "h": h, "i": r.id},
            )
            prev = h
        conn.execute(text("UPDATE audit_log SET seq = -seq"))
        conn.execute(
            text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
            {"s": len(rows), "h": prev},
        )


def verdicts(engine, extra=None) -> tuple[audit.Verdict, audit.Verdict]:
    with UnitOfWork(engine) as uow:
        return audit.verify(uow.session), audit_anchor.verify(uow.session, extra)


@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4",
        "DELETE FROM audit_log WHERE seq = 5",
        "DELETE FROM audit_log WHERE seq >= 6",
    ],
)
def test_an_attack_that_re_chains_passes_the_chain_but_not_the_anchor(engine, attack):
    populate(engine)
    anchor(engine)
    assert verdicts(engine)[1].ok
    as_attacker(engine, attack)
    rechain(engine)
    chain, anchored = verdicts(engine)
    assert chain.ok  # the bare chain is fooled, as the attack run showed
    assert not anchored.ok and "checkpoint" in anchored.reason, anchored.text()


def test_a_deleted_checkpoint_kept_outside_still_catches_the_attack(engine):
    populate(engine)
    exported = anchor(engine)
    as_attacker(
        engine,
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3",
        "DELETE FROM audit_checkpoints",
    )
    rechain(engine)
    v = verdicts(engine)[1]  # the journal beside the seal key still counts them
    assert not v.ok and "missing from it" in v.reason, v.text()
    with UnitOfWork(engine) as uow:  # an auditor with only the export, no journal
        v = audit_anchor.verify(uow.session, exported, use_journal=False)
    assert not v.ok, v.text()


def test_a_forged_checkpoint_is_refused(engine):
    populate(engine)
    anchor(engine)
    as_attacker(engine, "UPDATE audit_checkpoints SET head_hash = '" + "0" * 64 + "'")
    v = verdicts(engine)[1]
    assert not v.ok and "signature does not verify" in v.reason


def test_a_checkpoint_is_time_stamped_when_a_tsa_is_configured(engine, tsa, monkeypatch):
    url, calls = tsa
    populate(engine)
    monkeypatch.setenv("COVENANT_TSA_URL", url)
    (cp,) = anchor(engine)
    assert cp["tsa_token"] and calls
    assert verdicts(engine)[1].ok


def test_on_postgresql_the_application_cannot_change_the_trail(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the append-only triggers are created on PostgreSQL")
    populate(engine)
    for statement in (
        "UPDATE audit_log SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
    ):
        owner = owner_engine(engine)  # even the owner, triggers on, is refused
        with pytest.raises(DBAPIError, match="append-only"), owner.begin() as conn:
            conn.execute(text(statement))
    assert verdicts(engine)[0].ok


def test_legal_signs_a_checkpoint_and_verifies_on_the_audit_page(tmp_path, monkeypatch):
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from contracts.adapters.orm import make_engine

    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_resource.clear()
    populate(make_engine(url))
    page = str(Path(__file__).resolve().parents[1] / "app_pages" / "audit.py")
    at = AppTest.from_file(page, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["roles"] = ["legal"]
    at.session_state["username"] = "legal"
    at.run()
    at.button(key="checkpoint").click().run()
    # the app signs a due checkpoint when it starts, so the button's may be the second
    assert any(re.match(r"Checkpoint #\d+ signed at entry", s.value) for s in at.success)
    at.button(key="verify").click().run()
    assert any("verified against the trusted seal" in s.value for s in at.success), [
        str(at.exception)
    ] + [e.value for e in at.error]


def forge_checkpoints(engine, tmp_path) -> None:
    """The attack run's forgery: every checkpoint re-signed, for the rewritten head, with a
    self-made certificate (and the journal rewritten too, as if the attacker could)."""
    from contracts.adapters.seal import ensure_local_ca

    mine = ensure_local_ca(tmp_path / "mallory")
    with owner_engine(engine).begin() as conn:
        _guard_off(engine, conn)
        conn.execute(text("DELETE FROM audit_checkpoints"))
    audit_anchor.journal_path().unlink(missing_ok=True)
    import os

    old = {k: os.environ.get(k) for k in ("COVENANT_SEAL_KEY", "COVENANT_SEAL_CERT")}
    os.environ["COVENANT_SEAL_KEY"] = str(mine["seal-key"])
    os.environ["COVENANT_SEAL_CERT"] = str(mine["seal-cert"])
    try:
        with UnitOfWork(engine) as uow:
            audit_anchor.checkpoint(uow.session)
            uow.commit()
    finally:
        for k, v in old.items():
            os.environ[k] = v or ""


def test_checkpoints_re_signed_with_a_self_made_certificate_fail(engine, tmp_path):
    populate(engine)
    anchor(engine)
    as_attacker(engine, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
    rechain(engine)
    forge_checkpoints(engine, tmp_path)
    v = verdicts(engine)[1]
    assert not v.ok and "does not trust" in v.reason, v.text()


def test_every_checkpoint_deleted_fails_once_the_entries_are_older_than_the_cadence(engine):
    from datetime import timedelta

    from contracts.domain.events import utcnow

    populate(engine)
    anchor(engine)
    as_attacker(engine, "DELETE FROM audit_checkpoints")
    audit_anchor.journal_path().unlink()
    with UnitOfWork(engine) as uow:
        assert audit_anchor.verify(uow.session).ok  # entries younger than two cadences
        later = utcnow() + timedelta(days=3)
        v = audit_anchor.verify(uow.session, now=later)
    assert not v.ok and "no checkpoint covers them" in v.reason, v.text()


def test_a_gap_in_the_numbered_checkpoints_fails(engine):
    populate(engine)
    anchor(engine)
    anchor(engine)
    anchor(engine)
    as_attacker(engine, "DELETE FROM audit_checkpoints WHERE number = 2")
    audit_anchor.journal_path().unlink()
    v = verdicts(engine)[1]
    assert not v.ok and "#2 is missing" in v.reason, v.text()


def test_an_auditor_with_another_root_rejects_the_checkpoints(engine, tmp_path):
    from contracts.adapters.seal import ensure_local_ca, trusted_certificates

    populate(engine)
    exported = anchor(engine)
    other = trusted_certificates([ensure_local_ca(tmp_path / "other")["root-cert"]])
    with UnitOfWork(engine) as uow:
        v = audit_anchor.verify(uow.session, exported, trusted=other, use_journal=False)
        assert not v.ok and "does not trust" in v.reason
        mine = trusted_certificates()
        assert audit_anchor.verify(uow.session, exported, trusted=mine, use_journal=False).ok


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL",
        "SET LOCAL session_replication_role = replica",
        "UPDATE audit_log SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_checkpoints",
        "TRUNCATE audit_log",
        "DROP TABLE audit_log",
        "UPDATE alembic_version SET version_num = '0001'",
    ],
)
def test_on_postgresql_the_application_role_cannot_lift_the_guard(engine, statement):
    """The application connects as a role that owns nothing: it may read and append the trail
    and nothing else (contracts/adapters/db_roles.py)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    populate(engine)
    with pytest.raises(DBAPIError, match="permission denied|must be owner"), engine.begin() as c:
        c.execute(text(statement))
    assert verdicts(engine)[0].ok
