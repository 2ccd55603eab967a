"""Loading and saving envelopes (rows <-> domain), with the row lock signing needs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contracts.adapters.orm import DocumentRow, EnvelopeRow, OutboxRow, SignerRow, TokenRow
from contracts.documents.pdf import sha256_bytes
from contracts.domain.envelope import Envelope
from contracts.domain.events import utcnow
from contracts.domain.lifecycle import EnvelopeState, SignerStatus
from contracts.domain.limits import header_safe
from contracts.domain.signer import Signer, digest
from contracts.errors import InvalidToken, NotFound

_DT_FIELDS = {
    "invited_at",
    "viewed_at",
    "last_reminded_at",
    "code_expires",
    "code_verified_at",
    "signed_at",
}


@overload
def _utc(dt: datetime) -> datetime: ...


@overload
def _utc(dt: datetime | None) -> datetime | None: ...


def _utc(dt: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything stored is UTC."""
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


@dataclass(frozen=True)
class Mail:
    """One mail of the outbox, as the demo's outbox page shows it."""

    id: int
    created_at: datetime
    to: str
    subject: str
    body: str
    envelope_id: str | None
    sent: bool


def _signer_state(s: Signer) -> dict:
    d = asdict(s)
    d.pop("token_hashes")
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in d.items()}


def _signer_from(state: dict, hashes: list[str]) -> Signer:
    known = {f.name for f in fields(Signer)}
    d: dict[str, Any] = {
        k: (datetime.fromisoformat(v) if k in _DT_FIELDS and v else v)
        for k, v in state.items()
        if k in known
    }
    d["status"] = SignerStatus(d.get("status", SignerStatus.WAITING))
    return Signer(**d, token_hashes=hashes)


class EnvelopeRepository:
    def __init__(self, session: Session, seen: list) -> None:
        self.session = session
        self.seen = seen

    def add(self, env: Envelope) -> None:
        self.session.add(
            EnvelopeRow(
                id=env.id,
                contract_id=env.contract_id,
                document_sha256=env.document_sha256,
                sender=env.sender,
                auth_method=env.auth_method,
                reminder_hours=env.reminder_hours,
                expires_at=env.expires_at,
                cc=env.cc,
                status=str(env.status),
                created_at=env.created_at,
                completed_at=env.completed_at,
                final_sha256=env.final_sha256,
                reason=env.reason,
            )
        )
        self.session.flush()
        for i, s in enumerate(env.signers):
            self.session.add(
                SignerRow(id=s.id, envelope_id=env.id, position=i, state=_signer_state(s))
            )
        self.session.flush()
        self._sync_tokens(env)
        self.seen.append(env)

    def get(self, envelope_id: str, lock: bool = False) -> Envelope:
        """`lock`: hold the envelope row until commit (PostgreSQL FOR UPDATE; SQLite already holds
        the write lock)."""
        q = select(EnvelopeRow).where(EnvelopeRow.id == envelope_id)
        if lock:
            q = q.with_for_update()
        row = self.session.scalars(q).one_or_none()
        if row is None:
            raise NotFound(f"no envelope {envelope_id!r}")
        self.session.refresh(row)
        return self._load(row)

    def by_token(self, token: str, lock: bool = False) -> tuple[Envelope, Signer]:
        """The envelope and signer a link token belongs to, and nothing else."""
        t = self.session.get(TokenRow, digest(token))
        if t is None:
            raise InvalidToken("this link is not valid")
        env = self.get(t.envelope_id, lock=lock)
        return env, env.signer(t.signer_id)

    def for_contract(self, contract_id: str) -> list[Envelope]:
        rows = self.session.scalars(
            select(EnvelopeRow)
            .where(EnvelopeRow.contract_id == contract_id)
            .order_by(EnvelopeRow.created_at)
        ).all()
        return [self._load(r) for r in rows]

    def sealed_sha256(self, contract_id: str) -> str | None:
        """SHA-256 of the sealed PDF of the contract's latest completed envelope, if any."""
        row = self.session.scalars(
            select(EnvelopeRow)
            .where(
                EnvelopeRow.contract_id == contract_id,
                EnvelopeRow.status == str(EnvelopeState.COMPLETED),
            )
            .order_by(EnvelopeRow.completed_at.desc())
        ).first()
        return row.final_sha256 if row else None

    def open_envelopes(self) -> list[Envelope]:
        rows = self.session.scalars(
            select(EnvelopeRow)
            .where(EnvelopeRow.status == str(EnvelopeState.SENT))
            .order_by(EnvelopeRow.created_at)
            .with_for_update()
        ).all()
        return [self._load(r) for r in rows]

    def _load(self, row: EnvelopeRow) -> Envelope:
        srows = self.session.scalars(
            select(SignerRow).where(SignerRow.envelope_id == row.id).order_by(SignerRow.position)
        ).all()
        tokens: dict[str, list[str]] = {}
        for t in self.session.scalars(select(TokenRow).where(TokenRow.envelope_id == row.id)):
            tokens.setdefault(t.signer_id, []).append(t.token_hash)
        env = Envelope(
            id=row.id,
            contract_id=row.contract_id,
            document_sha256=row.document_sha256,
            sender=row.sender,
            auth_method=row.auth_method,
            reminder_hours=row.reminder_hours,
            expires_at=_utc(row.expires_at),
            signers=[_signer_from(dict(r.state), tokens.get(r.id, [])) for r in srows],
            cc=list(row.cc),
            status=EnvelopeState(row.status),
            created_at=_utc(row.created_at),
            completed_at=_utc(row.completed_at),
            final_sha256=row.final_sha256,
            reason=row.reason,
        )
        self.seen.append(env)
        return env

    def save(self, env: Envelope) -> None:
        row = self.session.get(EnvelopeRow, env.id)
        if row is None:
            raise NotFound(f"no envelope {env.id!r}")
        row.status, row.completed_at, row.final_sha256, row.reason = (
            str(env.status),
            env.completed_at,
            env.final_sha256,
            env.reason,
        )
        for s in env.signers:
            srow = self.session.get(SignerRow, s.id)
            if srow is None:
                raise NotFound(f"no signer {s.id!r} in envelope {env.id}")
            srow.state = _signer_state(s)
        self._sync_tokens(env)

    def _sync_tokens(self, env: Envelope) -> None:
        current = {
            t.token_hash: t
            for t in self.session.scalars(select(TokenRow).where(TokenRow.envelope_id == env.id))
        }
        wanted = {h: s.id for s in env.signers for h in s.token_hashes}
        for h in set(current) - set(wanted):
            self.session.execute(delete(TokenRow).where(TokenRow.token_hash == h))
        for h in set(wanted) - set(current):
            self.session.add(TokenRow(token_hash=h, signer_id=wanted[h], envelope_id=env.id))

    # ---- documents and mail ----
    def store_document(self, envelope_id: str, kind: str, filename: str, data: bytes) -> int:
        row = DocumentRow(
            envelope_id=envelope_id,
            kind=kind,
            filename=filename,
            sha256=sha256_bytes(data),
            data=data,
            created_at=utcnow(),
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def document(self, envelope_id: str, kind: str) -> DocumentRow:
        row = self.session.scalars(
            select(DocumentRow)
            .where(DocumentRow.envelope_id == envelope_id, DocumentRow.kind == kind)
            .order_by(DocumentRow.id.desc())
        ).first()
        if row is None:
            raise NotFound(f"envelope {envelope_id} has no {kind} document")
        return row

    def recent_mail(self, limit: int) -> list[Mail]:
        """The newest `limit` mails of the outbox, newest first."""
        rows = self.session.scalars(select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit))
        return [
            Mail(
                r.id,
                r.created_at,
                r.to_addr,
                r.subject,
                r.body,
                r.envelope_id,
                r.sent_at is not None,
            )
            for r in rows
        ]

    def mail_for(self, envelope_id: str) -> list[tuple[str, str]]:
        """(to, body) of each mail queued for an envelope, oldest first: the invitations its
        signers receive (the demo's signers open them as a person would)."""
        return [
            (r.to_addr, r.body)
            for r in self.session.scalars(
                select(OutboxRow).where(OutboxRow.envelope_id == envelope_id).order_by(OutboxRow.id)
            )
        ]

    def queue_mail(
        self,
        to: str,
        subject: str,
        body: str,
        envelope_id: str | None = None,
        attachments: list[int | dict] | None = None,
    ) -> None:
        """An outbox row; attachments are signed documents (ids) or report files ({"file": id})."""
        self.session.add(
            OutboxRow(
                to_addr=to,
                subject=header_safe(subject)[:300],
                body=body,
                attachments=list(attachments or []),
                envelope_id=envelope_id,
                created_at=utcnow(),
                attempts=0,
            )
        )
