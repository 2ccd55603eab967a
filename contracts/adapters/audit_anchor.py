"""Anchoring the audit trail against an insider who can write the database.

The hash chain (audit.py) shows an edit, but whoever can write the database can edit an entry and
recompute every hash after it, or cut the tail and rewind the head. A checkpoint signs the head
(sequence number and hash) with the deployment's seal key, adds an RFC 3161 timestamp when
COVENANT_TSA_URL is set, and is itself numbered and chained to the checkpoint before it.

What makes a checkpoint evidence is what the *verifier* trusts, never what the database holds:
- its certificate must be issued by (or be) a certificate of the deployment's trust list
  (seal.trust_paths(): COVENANT_SEAL_TRUST, the configured chain, or the local root), so a
  checkpoint re-signed with a self-made certificate fails;
- the count lives outside the database: every checkpoint is also appended to the journal beside
  the seal key (journal_path: one per configured database) and can be exported; a number the
  journal or an export knows but the database lacks, or a gap in the numbers, fails ("deleted");
- a cadence: entries older than twice COVENANT_CHECKPOINT_HOURS (default 24) must be covered by a
  checkpoint, so deleting every checkpoint (and the journal) of a trail still fails once it is old.

An auditor verifies independently with the deployment's root certificate and an exported file:
`python -m contracts audit verify --trust root.pem --checkpoints exported.jsonl`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

import config
from contracts.adapters import audit
from contracts.adapters.orm import AuditCheckpointRow, AuditRow
from contracts.adapters.seal import key_folder, load_signer, trusted_certificates
from contracts.domain.events import utcnow
from contracts.errors import SealError

NO_PREVIOUS = "0" * 64


def journal_path(database: Any = None) -> Path:
    """The checkpoint journal, outside the database: COVENANT_AUDIT_JOURNAL, or beside the seal
    key, one per database the deployment is configured with (`database`: its URL or a session;
    the name comes from configuration, which an insider with database rights cannot change)."""
    configured = config.get("COVENANT_AUDIT_JOURNAL")
    if configured:
        return Path(configured)
    if isinstance(database, Session):
        bind = database.get_bind()
        database = bind.engine.url if isinstance(bind, Connection) else bind.url
    if isinstance(database, str):
        database = make_url(database)
    url = database.render_as_string(hide_password=True) if database is not None else ""
    return key_folder() / f"audit-checkpoints-{hashlib.sha256(url.encode()).hexdigest()[:12]}.jsonl"


def cadence() -> timedelta:
    """How often a checkpoint must be signed (the worker or cron runs `audit checkpoint
    --if-due`); entries older than twice this must be covered."""
    try:
        hours = float(config.get("COVENANT_CHECKPOINT_HOURS") or "24")
    except ValueError:
        hours = 24.0
    return timedelta(hours=max(hours, 0.01))


def _message(cp: dict[str, Any]) -> bytes:
    if cp.get("number") is None:  # checkpoints signed before numbering (migration 0011)
        return (
            f"covenant-audit-checkpoint\nseq={cp['seq']}\nhash={cp['head_hash']}\nat={cp['at']}\n"
        ).encode()
    return (
        f"covenant-audit-checkpoint/2\nnumber={cp['number']}\nseq={cp['seq']}\n"
        f"hash={cp['head_hash']}\nat={cp['at']}\nprev={cp['prev_digest']}\n"
    ).encode()


def digest(cp: dict[str, Any]) -> str:
    """What the next checkpoint chains to."""
    return hashlib.sha256(_message(cp)).hexdigest()


def _record(r: AuditCheckpointRow) -> dict[str, Any]:
    return {
        "number": r.number,
        "seq": r.seq,
        "head_hash": r.head_hash,
        "at": r.at,
        "prev_digest": r.prev_digest,
        "signature": r.signature,
        "certificate": r.certificate,
        "tsa_token": r.tsa_token,
    }


def checkpoint(session: Session, tsa_url: str | None = None) -> AuditCheckpointRow:
    """Sign the chain's current head as the next numbered checkpoint (inside a transaction; the
    caller commits, then appends it to the journal: `sign_checkpoint` does both)."""
    seq, head = session.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    last = session.scalars(
        select(AuditCheckpointRow)
        .where(AuditCheckpointRow.number.is_not(None))
        .order_by(AuditCheckpointRow.number.desc())
        .limit(1)
    ).first()
    at = utcnow().isoformat(timespec="seconds")
    signer = load_signer()
    key = serialization.load_der_private_key(signer.signing_key.dump(), password=None)
    cert = x509.load_der_x509_certificate(signer.signing_cert.dump())
    cp: dict[str, Any] = {
        "number": (last.number or 0) + 1 if last else 1,
        "seq": seq,
        "head_hash": head,
        "at": at,
        "prev_digest": digest(_record(last)) if last else NO_PREVIOUS,
    }
    msg = _message(cp)
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(msg, ec.ECDSA(hashes.SHA256()))
    else:
        raise SealError("the seal key must be RSA or EC to sign audit checkpoints")
    token = _timestamp(msg, tsa_url or config.get("COVENANT_TSA_URL"))
    row = AuditCheckpointRow(
        **cp,
        signature=base64.b64encode(sig).decode(),
        certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
        tsa_token=token,
    )
    session.add(row)
    session.flush()
    return row


def sign_checkpoint(uow: Any, tsa_url: str | None = None) -> dict[str, Any]:
    """Sign, commit, then append to the journal outside the database; the checkpoint's record."""
    with uow:
        row = checkpoint(uow.session, tsa_url)
        uow.commit()
        rec = _record(row)
        journal = journal_path(uow.session)
    append_to_journal(rec, journal)
    return rec


def checkpoint_if_due(uow: Any) -> dict[str, Any] | None:
    """A checkpoint when the trail grew since the last one and that one is older than the
    cadence (run by the app at start and by `audit checkpoint --if-due` from cron)."""
    with uow:
        head = uow.session.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar()
        last = uow.session.scalars(
            select(AuditCheckpointRow).order_by(AuditCheckpointRow.id.desc()).limit(1)
        ).first()
    if not head or (last is not None and last.seq >= head):
        return None
    if last is not None and datetime.fromisoformat(last.at) > utcnow() - cadence():
        return None
    return sign_checkpoint(uow)


def append_to_journal(rec: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


def read_journal(session: Session) -> list[dict[str, Any]]:
    path = journal_path(session)
    return load_export(str(path)) if path.exists() else []


def _timestamp(msg: bytes, tsa_url: str | None) -> str | None:
    if not tsa_url:
        return None
    from pyhanko.sign import timestamps

    stamper = timestamps.HTTPTimeStamper(tsa_url, timeout=20)
    try:
        token = asyncio.run(stamper.async_timestamp(hashlib.sha256(msg).digest(), "sha256"))
    except Exception as exc:  # the TSA client raises many types; all mean "no timestamp"
        raise SealError(f"time-stamping the audit checkpoint failed: {exc}") from exc
    return base64.b64encode(token.dump()).decode()


def as_records(session: Session) -> list[dict[str, Any]]:
    """Every checkpoint, as exported (JSON lines) to be kept outside the database."""
    return [
        _record(r)
        for r in session.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.id))
    ]


@dataclass(frozen=True)
class Finding:
    seq: int
    reason: str


def _issued_by_trusted(cert: x509.Certificate, trusted: list[x509.Certificate]) -> bool:
    """The checkpoint's certificate is one the deployment trusts, or was issued by one."""
    for t in trusted:
        if cert == t:
            return True
        try:
            cert.verify_directly_issued_by(t)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def _signature_problem(cp: dict[str, Any], trusted: list[x509.Certificate]) -> str | None:
    try:
        cert = x509.load_pem_x509_certificate(str(cp["certificate"]).encode())
        sig = base64.b64decode(cp["signature"])
    except (ValueError, KeyError, TypeError):
        return "its certificate or signature is unreadable"
    if not _issued_by_trusted(cert, trusted):
        return (
            f"signed by a certificate the deployment does not trust "
            f"({cert.subject.rfc4514_string()})"
        )
    key = cert.public_key()
    msg = _message(cp)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
        else:
            return "signature does not verify (unsupported key)"
    except InvalidSignature:
        return "signature does not verify"
    return None


def _timestamp_ok(cp: dict[str, Any]) -> bool:
    """The token's imprint is the checkpoint's own digest (the TSA saw exactly this head)."""
    if not cp.get("tsa_token"):
        return True
    from asn1crypto import cms

    info = cms.ContentInfo.load(base64.b64decode(cp["tsa_token"]))
    tst = info["content"]["encap_content_info"]["content"].parsed
    imprint = tst["message_imprint"]["hashed_message"].native
    return bool(imprint == hashlib.sha256(_message(cp)).digest())


def _key(cp: dict[str, Any]) -> tuple[Any, ...]:
    return ("n", cp["number"]) if cp.get("number") is not None else (cp["seq"], cp["head_hash"])


def check(
    session: Session,
    extra: list[dict[str, Any]] | None = None,
    trusted: list[x509.Certificate] | None = None,
    use_journal: bool = True,
    now: datetime | None = None,
) -> list[Finding]:
    """Every checkpoint (stored, journalled, exported) against the chain as it is now, the
    deployment's trust, the count kept outside the database, and the cadence."""
    trusted = trusted if trusted is not None else trusted_certificates()
    rows = session.execute(select(AuditRow.seq, AuditRow.hash, AuditRow.at)).all()
    hashes_by_seq: dict[int, str] = {seq: h for seq, h, _ in rows}
    last = max(hashes_by_seq, default=0)
    stored = as_records(session)
    outside = [*(read_journal(session) if use_journal else []), *(extra or [])]
    found: list[Finding] = []
    every: dict[tuple[Any, ...], dict[str, Any]] = {}
    for cp in [*stored, *outside]:
        every.setdefault(_key(cp), cp)
    stored_keys = {_key(cp) for cp in stored}
    for k, cp in every.items():
        label = f"checkpoint #{cp['number']}" if cp.get("number") else "checkpoint"
        label += f" of {cp['at']}"
        problem = _signature_problem(cp, trusted)
        if problem:
            found.append(Finding(cp["seq"], f"{label}: {problem}"))
            continue
        if not _timestamp_ok(cp):
            found.append(Finding(cp["seq"], f"{label}: timestamp is for other data"))
        elif k not in stored_keys:
            found.append(
                Finding(
                    cp["seq"],
                    f"{label} is kept outside the database but missing from it "
                    "(checkpoints were deleted)",
                )
            )
        elif cp["seq"] > last:
            found.append(
                Finding(
                    cp["seq"],
                    f"the chain ends at entry {last}, but {label} saw it reach entry "
                    f"{cp['seq']} (entries removed and the head rewound)",
                )
            )
        elif hashes_by_seq.get(cp["seq"]) != cp["head_hash"]:
            found.append(
                Finding(
                    cp["seq"],
                    f"entry {cp['seq']} no longer has the hash {label} signed "
                    "(entries up to it were changed and re-chained)",
                )
            )
    numbered = {cp["number"]: cp for cp in every.values() if cp.get("number") is not None}
    for n in range(1, max(numbered, default=0) + 1):
        if n not in numbered:
            found.append(Finding(0, f"checkpoint #{n} is missing everywhere (deleted)"))
            continue
        expected = NO_PREVIOUS if n == 1 else digest(numbered[n - 1]) if n - 1 in numbered else None
        if expected is not None and numbered[n]["prev_digest"] != expected:
            found.append(
                Finding(numbered[n]["seq"], f"checkpoint #{n} does not follow checkpoint #{n - 1}")
            )
    covered = max((cp["seq"] for cp in every.values()), default=0)
    due = (now or utcnow()) - 2 * cadence()
    stale = [seq for seq, _, at in rows if seq > covered and datetime.fromisoformat(at) < due]
    if stale:
        found.append(
            Finding(
                min(stale),
                f"entries {min(stale)}–{max(stale)} are older than {2 * cadence()} and no "
                f"checkpoint covers them (a checkpoint is due every {cadence()}; were "
                "checkpoints deleted, or is `audit checkpoint --if-due` not scheduled?)",
            )
        )
    return sorted(found, key=lambda f: f.seq)


def verify(
    session: Session,
    extra: list[dict[str, Any]] | None = None,
    trusted: list[x509.Certificate] | None = None,
    use_journal: bool = True,
    now: datetime | None = None,
) -> audit.Verdict:
    """The chain, then its anchors: the first problem found, or intact."""
    chain = audit.verify(session)
    if not chain.ok:
        return chain
    problems = check(session, extra, trusted, use_journal, now)
    if problems:
        return audit.Verdict(False, chain.entries, problems[0].seq, problems[0].reason)
    n = session.scalar(select(func.count()).select_from(AuditCheckpointRow)) or 0
    return audit.Verdict(
        True, chain.entries, reason=f"{n} signed checkpoint(s) verified against the trusted seal"
    )


def load_export(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
