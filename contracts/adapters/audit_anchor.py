"""Anchoring the audit trail. The hash chain (audit.py) shows an edit, but someone who can write
the database can edit an entry and recompute every hash after it, or cut the tail and rewind the
head. A checkpoint signs the head (sequence number and hash) with the seal key, and adds an RFC
3161 timestamp when COVENANT_TSA_URL is set; checkpoints are stored and can be exported to be
kept elsewhere. `verify` walks the chain and then checks every checkpoint against it: a
recomputed chain no longer reaches a signed hash, and a rewound head falls short of a signed
sequence number.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from contracts.adapters import audit
from contracts.adapters.orm import AuditCheckpointRow, AuditRow
from contracts.adapters.seal import load_signer
from contracts.domain.events import utcnow
from contracts.errors import SealError


def _message(seq: int, head_hash: str, at: str) -> bytes:
    return f"covenant-audit-checkpoint\nseq={seq}\nhash={head_hash}\nat={at}\n".encode()


def checkpoint(session: Session, tsa_url: str | None = None) -> AuditCheckpointRow:
    """Sign the chain's current head (call inside a transaction; the caller commits)."""
    seq, head = session.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    at = utcnow().isoformat(timespec="seconds")
    signer = load_signer()
    key = serialization.load_der_private_key(signer.signing_key.dump(), password=None)
    cert = x509.load_der_x509_certificate(signer.signing_cert.dump())
    msg = _message(seq, head, at)
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(msg, ec.ECDSA(hashes.SHA256()))
    else:
        raise SealError("the seal key must be RSA or EC to sign audit checkpoints")
    token = _timestamp(msg, tsa_url or os.environ.get("COVENANT_TSA_URL"))
    row = AuditCheckpointRow(
        seq=seq,
        head_hash=head,
        at=at,
        signature=base64.b64encode(sig).decode(),
        certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
        tsa_token=token,
    )
    session.add(row)
    session.flush()
    return row


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
        {
            "seq": r.seq,
            "head_hash": r.head_hash,
            "at": r.at,
            "signature": r.signature,
            "certificate": r.certificate,
            "tsa_token": r.tsa_token,
        }
        for r in session.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.id))
    ]


@dataclass(frozen=True)
class Finding:
    seq: int
    reason: str


def _signature_ok(cp: dict[str, Any]) -> bool:
    cert = x509.load_pem_x509_certificate(cp["certificate"].encode())
    key = cert.public_key()
    msg = _message(cp["seq"], cp["head_hash"], cp["at"])
    sig = base64.b64decode(cp["signature"])
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _timestamp_ok(cp: dict[str, Any]) -> bool:
    """The token's imprint is the checkpoint's own digest (the TSA saw exactly this head)."""
    if not cp.get("tsa_token"):
        return True
    from asn1crypto import cms

    info = cms.ContentInfo.load(base64.b64decode(cp["tsa_token"]))
    tst = info["content"]["encap_content_info"]["content"].parsed
    imprint = tst["message_imprint"]["hashed_message"].native
    return imprint == hashlib.sha256(_message(cp["seq"], cp["head_hash"], cp["at"])).digest()


def check(session: Session, extra: list[dict[str, Any]] | None = None) -> list[Finding]:
    """Every stored (and exported) checkpoint against the chain as it is now."""
    hashes_by_seq: dict[int, str] = {
        seq: h for seq, h in session.execute(select(AuditRow.seq, AuditRow.hash)).all()
    }
    last = max(hashes_by_seq, default=0)
    found: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for cp in [*as_records(session), *(extra or [])]:
        if (cp["seq"], cp["head_hash"]) in seen:
            continue
        seen.add((cp["seq"], cp["head_hash"]))
        if not _signature_ok(cp):
            found.append(Finding(cp["seq"], f"checkpoint of {cp['at']}: signature does not verify"))
        elif not _timestamp_ok(cp):
            found.append(
                Finding(cp["seq"], f"checkpoint of {cp['at']}: timestamp is for other data")
            )
        elif cp["seq"] > last:
            found.append(
                Finding(
                    cp["seq"],
                    f"the chain ends at entry {last}, but a checkpoint "
                    f"signed {cp['at']} saw it reach entry {cp['seq']} (entries removed "
                    "and the head rewound)",
                )
            )
        elif hashes_by_seq.get(cp["seq"]) != cp["head_hash"]:
            found.append(
                Finding(
                    cp["seq"],
                    f"entry {cp['seq']} no longer has the hash a checkpoint "
                    f"signed {cp['at']} (entries up to it were changed and re-chained)",
                )
            )
    return sorted(found, key=lambda f: f.seq)


def verify(session: Session, extra: list[dict[str, Any]] | None = None) -> audit.Verdict:
    """The chain, then its anchors: the first problem found, or intact."""
    chain = audit.verify(session)
    if not chain.ok:
        return chain
    problems = check(session, extra)
    if problems:
        return audit.Verdict(False, chain.entries, problems[0].seq, problems[0].reason)
    n = len(as_records(session))
    return audit.Verdict(True, chain.entries, reason=f"{n} signed checkpoint(s) verified")


def load_export(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
