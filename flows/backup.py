"""Backup and restore of a whole deployment, in one archive (`python -m flows backup OUT`,
`python -m flows restore ARCHIVE`).

The archive (a gzipped tar) holds:
- `db/<table>.jsonl`: every row of every table of the contracts database, read in one
  transaction (a logical dump, engine-neutral: a SQLite deployment restores into PostgreSQL and
  back); binary columns base64, times ISO 8601;
- `store/table.parquet`: the ticket store's table at one committed version (every row: tickets
  with their histories, quarantine, batches, parked rows, SLA terms; a batch committed meanwhile
  is not in it, never half of one);
- `audit/journal.jsonl`: the checkpoint journal kept outside the database;
- `trust/`: the certificates the deployment trusts (public: the seal's root), so that a restore
  can verify the audit trail and the sealed documents;
- `keys/keys.enc` only when asked (`--with-keys`): the seal key and the secret-box key, encrypted
  with a passphrase (scrypt-derived Fernet key);
- `manifest.json`: every file's SHA-256 and size, the schema version, the counts.

Restore checks every digest first, refuses a deployment that is not empty (a database with any
user, contract or audit entry, or a store with tickets), then builds the schema, loads the rows
in dependency order, resets sequences, writes the store's rows as its table's first commit and
puts the journal in place.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy.engine import Engine

import config
from contracts.adapters import audit_anchor, db_dump
from contracts.adapters.orm import make_engine
from contracts.adapters.seal import key_folder, trust_paths
from contracts.domain.events import utcnow
from flows.errors import FlowError
from sla_engine.store.core import Store
from sla_engine.store.table import export_rows, import_rows

FORMAT = 1
# the store's facts in a backup: every row of one table version (older archives hold gen-N and
# CURRENT, which the store migrates on its first read)
TABLE_EXPORT = "table.parquet"


class BackupError(FlowError):
    """A backup could not be written, or an archive cannot be restored (with why)."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keys_blob(passphrase: str) -> bytes:
    """The seal key (and its certificate) and the secret-box key, encrypted with the passphrase."""
    folder = key_folder()
    files = {}
    for name in ("seal-key.pem", "seal-cert.pem", "secret-box.key"):
        p = Path(config.get("COVENANT_SEAL_KEY") or "") if name == "seal-key.pem" else None
        path = p if p and p.exists() else folder / name
        if name == "seal-cert.pem" and config.get("COVENANT_SEAL_CERT"):
            path = Path(config.get("COVENANT_SEAL_CERT") or "")
        if path.exists():
            files[name] = base64.b64encode(path.read_bytes()).decode()
    salt = os.urandom(16)
    key = base64.urlsafe_b64encode(
        Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())
    )
    token = Fernet(key).encrypt(json.dumps(files).encode())
    return json.dumps({"salt": base64.b64encode(salt).decode(), "token": token.decode()}).encode()


def open_keys(blob: bytes, passphrase: str) -> dict[str, bytes]:
    """The keys of a `--with-keys` archive, given its passphrase."""
    doc = json.loads(blob)
    key = base64.urlsafe_b64encode(
        Scrypt(salt=base64.b64decode(doc["salt"]), length=32, n=2**15, r=8, p=1).derive(
            passphrase.encode()
        )
    )
    try:
        files = json.loads(Fernet(key).decrypt(doc["token"].encode()))
    except InvalidToken as exc:
        raise BackupError("the passphrase does not open the archive's keys") from exc
    return {k: base64.b64decode(v) for k, v in files.items()}


def _sha_file(path: Path) -> str:
    with open(path, "rb") as f:
        return _copy_checked(f, None)


def backup(
    out: Path, engine: Engine, store: Store, with_keys: bool = False, passphrase: str | None = None
) -> dict[str, Any]:
    """Write the archive; returns its manifest. The store's rows go from disk into the archive in
    chunks, never whole in memory (a 10M-ticket store is hundreds of MB)."""
    if with_keys and not passphrase:
        raise BackupError("keys go into a backup only encrypted: give a passphrase")
    files = {f"db/{t}.jsonl": b for t, b in db_dump.dump_tables(engine).items()}
    journal = audit_anchor.journal_path(engine.url)
    if journal.exists():
        files["audit/journal.jsonl"] = journal.read_bytes()
    for i, p in enumerate(trust_paths()):
        files[f"trust/{i}-{Path(p).name}"] = Path(p).read_bytes()
    if with_keys and passphrase:
        files["keys/keys.enc"] = _keys_blob(passphrase)
    schema = db_dump.schema_version(engine)
    with tempfile.TemporaryDirectory(prefix="covenant-backup-") as tmp:
        snap = Path(tmp) / "store"
        snap.mkdir()
        pinned = store.snapshot()  # one committed version: ingests that commit meanwhile don't show
        if pinned is not None:
            export_rows(pinned.dt, snap / TABLE_EXPORT)
        on_disk = {
            f"store/{p.relative_to(snap)}": p for p in sorted(snap.rglob("*")) if p.is_file()
        }
        listed = {name: {"sha256": _sha(b), "bytes": len(b)} for name, b in files.items()}
        listed |= {
            name: {"sha256": _sha_file(p), "bytes": p.stat().st_size} for name, p in on_disk.items()
        }
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(timespec="seconds"),
            "schema": schema,
            "files": dict(sorted(listed.items())),
            "rows": {
                name[3:-6]: data.count(b"\n")
                for name, data in files.items()
                if name.startswith("db/")
            },
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        now = int(utcnow().timestamp())
        with tarfile.open(partial, "w:gz") as tar:
            for name, data in [
                ("manifest.json", json.dumps(manifest, indent=1).encode()),
                *sorted(files.items()),
            ]:
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(data), now, 0o600
                tar.addfile(info, io.BytesIO(data))
            for name, path in on_disk.items():
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = path.stat().st_size, now, 0o600
                with open(path, "rb") as fh:
                    tar.addfile(info, fh)  # copied in chunks
    os.chmod(partial, 0o600)
    partial.replace(out)  # all or nothing: a half-written archive never has the final name
    return manifest


STREAMED = "store/"  # members checked as they are read and written to disk, never held whole
CHUNK = 1 << 20


def read_archive(
    archive: Path, spill: Path | None = None
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every file, each checked against its digest (BackupError names the
    first that differs). The store's files (`store/…`) are not returned: they are checked in
    chunks and, with `spill`, written under it (spill/store/…)."""
    files: dict[str, bytes] = {}
    streamed: dict[str, str] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for m in tar:
                if not m.isfile() or m.name.startswith("/") or ".." in Path(m.name).parts:
                    raise BackupError(f"{archive.name}: {m.name!r} is not a file of a backup")
                fh = tar.extractfile(m)
                if fh is None:
                    files[m.name] = b""
                elif m.name.startswith(STREAMED):
                    streamed[m.name] = _copy_checked(fh, spill / m.name if spill else None)
                else:
                    files[m.name] = fh.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{archive}: not a readable backup archive ({exc})") from exc
    if "manifest.json" not in files:
        raise BackupError(f"{archive.name}: no manifest.json: not a Covenant backup")
    manifest = json.loads(files.pop("manifest.json"))
    listed = manifest.get("files", {})
    for name, meta in listed.items():
        if name not in files and name not in streamed:
            raise BackupError(f"{archive.name}: {name} is listed in the manifest but missing")
        digest = streamed[name] if name in streamed else _sha(files[name])
        if digest != meta["sha256"]:
            raise BackupError(f"{archive.name}: {name} does not match its SHA-256 in the manifest")
    extra = (set(files) | set(streamed)) - set(listed)
    if extra:
        raise BackupError(f"{archive.name}: files not in the manifest: {sorted(extra)[:3]}")
    return manifest, files


def _copy_checked(fh: IO[bytes], target: Path | None) -> str:
    """The member's SHA-256, read in chunks (and written to `target`, if given)."""
    h = hashlib.sha256()
    out = None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        out = open(target, "wb")  # noqa: SIM115 - closed below
    try:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
            if out is not None:
                out.write(chunk)
    finally:
        if out is not None:
            out.close()
    return h.hexdigest()


def _refuse_unless_empty(engine: Engine, store: Store) -> None:
    busy = db_dump.first_table_with_rows(engine, ("users", "contracts", "audit_log", "templates"))
    if busy is not None:
        raise BackupError(
            f"the target database is not empty (table {busy} has rows): restore only into "
            "an empty deployment"
        )
    if store.current() is not None or store.terms():
        raise BackupError(f"the target store {store.root} is not empty: restore into an empty one")


def restore(archive: Path, url: str, store: Store, owner_url: str | None = None) -> dict[str, Any]:
    """Rebuild the empty deployment named by `url` and `store` from the archive."""
    with tempfile.TemporaryDirectory(prefix="covenant-restore-") as spill:
        return _restore(archive, Path(spill), url, store, owner_url)


def _restore(
    archive: Path, spill: Path, url: str, store: Store, owner_url: str | None
) -> dict[str, Any]:
    manifest, files = read_archive(archive, spill)
    app = make_engine(url, owner_url=owner_url)  # the schema, as the owner when one is named
    app.dispose()
    # the rows are loaded by the schema's owner (sequences, the audit head), else by the app role
    engine = make_engine(owner_url, migrate=False) if owner_url else make_engine(url, migrate=False)
    try:
        _refuse_unless_empty(engine, store)
        journal = audit_anchor.journal_path(url)
        if "audit/journal.jsonl" in files and journal.exists() and journal.read_bytes().strip():
            raise BackupError(f"the checkpoint journal {journal} is not empty: restore refused")
        db_dump.load_tables(
            engine, {name[3:-6]: data for name, data in files.items() if name.startswith("db/")}
        )
        store.root.mkdir(parents=True, exist_ok=True)
        for path in sorted((spill / "store").rglob("*")):
            if not path.is_file():
                continue
            if path == spill / "store" / TABLE_EXPORT:
                import_rows(store.table, path)
            else:
                target = store.root / path.relative_to(spill / "store")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        if "audit/journal.jsonl" in files:
            journal.parent.mkdir(parents=True, exist_ok=True)
            journal.write_bytes(files["audit/journal.jsonl"])
    finally:
        engine.dispose()
    return manifest


LAST_BACKUP_KEY = "last_backup"


def scheduled_backup(engine: Engine, store: Store, folder: Path, keep: int) -> dict[str, Any]:
    """The worker's backup: a new archive in `folder`, read back and checked against its
    manifest, the oldest beyond `keep` removed; recorded (setting `last_backup`) and audited."""
    from contracts.adapters.unit_of_work import UnitOfWork
    from contracts.domain.events import Event
    from contracts.domain.lifecycle import AuditKind

    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"covenant-{utcnow():%Y%m%dT%H%M%S.%fZ}.tar.gz"
    manifest = backup(out, engine, store)
    try:
        read_archive(out)
        verified = "every file matches its SHA-256"
    except BackupError as exc:
        verified = f"FAILED: {exc}"
    archives = sorted(folder.glob("covenant-*.tar.gz"))
    for old in archives[: max(len(archives) - keep, 0)]:
        old.unlink()
    record = {
        "path": str(out),
        "at": manifest["created_at"],
        "files": len(manifest["files"]),
        "bytes": out.stat().st_size,
        "rows": sum(manifest["rows"].values()),
        "verified": verified,
        "kept": min(len(archives), keep),
    }
    with UnitOfWork(engine) as uow:
        uow.put_setting(LAST_BACKUP_KEY, record, "worker")
        uow.record(Event(AuditKind.BACKUP_MADE, "backup", record, utcnow(), "worker"))
        uow.commit()
    return record
