"""The audit trail is hash-chained: editing, deleting or reordering any entry is detected (SQLite
and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from contracts_fixtures import ROOT, example, owner_engine
from signing_fixtures import sign_through_the_workflow
from sqlalchemy import text

from contracts.adapters import audit
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import contracts as contract_service
from contracts.services import templates as template_service

pytestmark = pytest.mark.usefixtures("seal_env")


def populate(engine) -> int:
    template_service.install_starters(UnitOfWork(engine))
    c = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    )
    sign_through_the_workflow(engine, c.id)
    with UnitOfWork(engine) as uow:
        v = audit.verify(uow.session)
    assert v.ok, v.text()
    return v.entries


def bypass_append_only(conn) -> None:
    """Tamper as someone with the database owner's rights (PostgreSQL's triggers switched off)."""
    if conn.dialect.name == "postgresql":
        for table in ("audit_log", "audit_checkpoints"):
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def verdict(engine) -> audit.Verdict:
    with UnitOfWork(engine) as uow:
        return audit.verify(uow.session)


@pytest.mark.parametrize(
    "tamper, broken_at",
    [
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4", 4),
        ('UPDATE audit_log SET payload = \'{"to": "voided"}\' WHERE seq = 8', 8),
        ("UPDATE audit_log SET at = '2020-01-01T00:00:00.000000+00:00' WHERE seq = 2", 2),
        ("DELETE FROM audit_log WHERE seq = 5", 5),
        ("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)", "last"),
    ],
)
def test_tampering_is_detected(engine, tamper, broken_at):
    n = populate(engine)
    with owner_engine(engine).begin() as conn:
        bypass_append_only(conn)
        conn.execute(text(tamper))
    v = verdict(engine)
    assert not v.ok
    assert v.first_broken == (n if broken_at == "last" else broken_at), v.text()


def test_reordering_two_entries_is_detected(engine):
    populate(engine)
    with owner_engine(engine).begin() as conn:
        bypass_append_only(conn)
        a = conn.execute(
            text("SELECT actor, subject, kind, payload FROM audit_log WHERE seq = 3")
        ).one()
        b = conn.execute(
            text("SELECT actor, subject, kind, payload FROM audit_log WHERE seq = 6")
        ).one()
        for seq, row in ((3, b), (6, a)):
            conn.execute(
                text("UPDATE audit_log SET actor = :a, subject = :s, kind = :k WHERE seq = :q"),
                {"a": row[0], "s": row[1], "k": row[2], "q": seq},
            )
    v = verdict(engine)
    assert not v.ok and v.first_broken == 3


def test_entries_are_chained_and_cover_state_changes(engine):
    populate(engine)
    with UnitOfWork(engine) as uow:
        rows = audit.entries(uow.session)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(r.prev_hash == p.hash for p, r in zip(rows, rows[1:], strict=False))
    kinds = [r.kind for r in rows]
    moves = [r.payload["to"] for r in rows if r.kind == "contract.state_changed"]
    assert "contract.created" in kinds and moves == ["out_for_signature", "signed"]
    assert kinds.index("envelope.signed") < kinds.index("envelope.completed")


def test_cli_verify_reports_first_broken_link(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite'}",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "contracts", *a],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )

    run("template", "install-starters")
    ok = run("audit", "verify")
    assert ok.returncode == 0 and "intact: 6 entries" in ok.stdout
    import sqlite3

    con = sqlite3.connect(tmp_path / "c.sqlite")
    con.execute("UPDATE audit_log SET kind = 'template.deleted' WHERE seq = 2")
    con.commit()
    bad = run("audit", "verify")
    assert bad.returncode == 1 and "BROKEN at entry 2" in bad.stdout
