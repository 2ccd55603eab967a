"""Backup and restore: a deployment with signed, sealed and measured contracts, tickets and
audit checkpoints is backed up, then restored into an empty PostgreSQL database (as the
least-privileged application role) and an empty store folder: the audit trail and its
checkpoints verify, the sealed PDFs validate, every monthly figure equals the original's. A
tampered archive and a non-empty target are refused."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from contracts_fixtures import APP, OWNER, example, pg_schema, pg_url
from signing_fixtures import sign_through_the_workflow

from contracts.adapters import audit_anchor
from contracts.adapters.orm import make_engine
from contracts.adapters.seal_check import check_sealed
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import contracts as contract_service
from contracts.services import templates as template_service
from flows.backup import BackupError, backup, open_keys, read_archive, restore
from flows.measure import register_signed
from sla_engine.ingest.run import ingest
from sla_engine.reports import analysis
from sla_engine.store.core import Store

pytestmark = pytest.mark.usefixtures("seal_env")
AS_OF = analysis.parse_as_of("2026-12-01T00:00:00+00:00")


@pytest.fixture
def deployment(tmp_path):
    """A SQLite deployment: one contract signed, sealed and measured, tickets, a checkpoint."""
    eng = make_engine(f"sqlite:///{tmp_path / 'src.sqlite'}")
    store = Store(tmp_path / "src-store")
    template_service.install_starters(UnitOfWork(eng))
    cid = contract_service.create_contract(
        UnitOfWork(eng), "saas-support", example("saas-support")
    ).id
    sign_through_the_workflow(eng, cid)
    register_signed(store, UnitOfWork(eng), cid)
    (terms,) = [t for t in store.terms() if t.contract_id == cid]
    f = tmp_path / "t.csv"
    f.write_text(
        "ticket_id,severity,created_at,first_response_at,resolved_at\n"
        + "".join(
            f"B{i},P{1 + i % 2},2026-0{1 + i % 6}-1{i % 9}T10:00:00-05:00,"
            f"2026-0{1 + i % 6}-1{i % 9}T1{i % 3}:00:00-05:00,"
            f"2026-0{1 + i % 6}-1{i % 9}T1{2 + i % 5}:00:00-05:00\n"
            for i in range(60)
        )
    )
    ingest(store, f, "generic", contract=terms.contract_id)
    audit_anchor.sign_checkpoint(UnitOfWork(eng))
    return eng, store, cid


def _figures(store: Store):
    rep, _ = analysis.store_report(store, AS_OF)
    cols = [
        "contract_id",
        "month",
        "severity",
        "metric",
        "tickets",
        "met",
        "breached",
        "compliance_pct",
    ]
    return rep[cols].sort_values(cols[:4]).reset_index(drop=True)


def test_a_backup_restores_into_a_fresh_postgresql_database_and_folder(
    deployment, tmp_path, monkeypatch
):
    eng, store, cid = deployment
    archive = tmp_path / "covenant.tar.gz"
    manifest = backup(archive, eng, store)
    assert manifest["rows"]["audit_log"] > 10 and manifest["rows"]["documents"] >= 2
    names = set(read_archive(archive)[1])
    assert not [n for n in names if n.startswith("keys/")]  # keys only when asked
    # the restored deployment keeps its journal elsewhere (a new host)
    monkeypatch.setenv("COVENANT_AUDIT_JOURNAL", str(tmp_path / "restored-journal.jsonl"))
    with pg_schema() as schema:
        target = Store(tmp_path / "restored-store")
        restore(archive, pg_url(APP, schema), target, owner_url=pg_url(OWNER, schema))
        restored = make_engine(pg_url(APP, schema), migrate=False)
        with UnitOfWork(restored) as uow:
            verdict = audit_anchor.verify(uow.session)
            envs = [e for e in uow.envelopes.for_contract(cid) if e.status == "completed"]
            pdf = bytes(uow.envelopes.document(envs[-1].id, "final").data)
        assert verdict.ok, verdict.text()
        assert "1 signed checkpoint" in verdict.reason
        assert check_sealed(pdf).ok  # the sealed document validates against the trusted root
        pd_equal = _figures(target).equals(_figures(store))
        assert pd_equal
        # the restored database carries on: a new checkpoint continues the numbering
        assert audit_anchor.sign_checkpoint(UnitOfWork(restored))["number"] == 2
        restored.dispose()
        # a second restore into the now non-empty deployment is refused
        with pytest.raises(BackupError, match="not empty"):
            restore(archive, pg_url(APP, schema), target, owner_url=pg_url(OWNER, schema))


@pytest.mark.parametrize(
    "forged_member",
    ["db/contracts.jsonl", "store/table.parquet"],  # a row of the database; the store's rows
)
def test_a_tampered_archive_is_refused_before_anything_is_written(
    deployment, tmp_path, forged_member
):
    eng, store, _ = deployment
    archive = tmp_path / "b.tar.gz"
    backup(archive, eng, store)
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(forged, "w:gz") as dst:
        names = [m.name for m in src.getmembers()]
        assert forged_member in names
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == forged_member:
                # one byte changed in the middle: the file still reads, its digest does not
                data = (
                    data[: len(data) // 2]
                    + bytes([data[len(data) // 2] ^ 1])
                    + data[len(data) // 2 + 1 :]
                )
            m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    target = Store(tmp_path / "t-store")
    url = f"sqlite:///{tmp_path / 'target.sqlite'}"
    with pytest.raises(BackupError, match="does not match its SHA-256"):
        restore(forged, url, target)
    assert not target.root.exists()


def test_keys_travel_only_encrypted_with_the_passphrase(deployment, tmp_path):
    eng, store, _ = deployment
    archive = tmp_path / "k.tar.gz"
    with pytest.raises(BackupError, match="passphrase"):
        backup(archive, eng, store, with_keys=True)
    backup(archive, eng, store, with_keys=True, passphrase="correct horse battery")
    _, files = read_archive(archive)
    blob = files["keys/keys.enc"]
    assert b"PRIVATE KEY" not in blob
    keys = open_keys(blob, "correct horse battery")
    assert keys["seal-key.pem"].startswith(b"-----BEGIN PRIVATE KEY")
    with pytest.raises(BackupError, match="passphrase"):
        open_keys(blob, "wrong")
    assert Path(archive).stat().st_mode & 0o077 == 0  # the archive is readable by its owner only
