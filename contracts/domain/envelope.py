"""Envelopes: who signs a contract, in what order, and what each signer did (signer.py holds the
signer and their one-time codes).

Pure domain (no database, no mail): methods change state, append events, and return what must be
sent. Tokens and one-time codes are returned to the caller once and kept only as SHA-256 hashes.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts.domain import limits
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import (
    ENVELOPE_TRANSITIONS,
    AuditKind,
    EnvelopeState,
    SignerStatus,
)
from contracts.domain.signer import AUTH_METHODS, Signer, digest, move_signer
from contracts.errors import IllegalTransition, InvalidToken, SigningError


@dataclass
class Envelope:
    id: str
    contract_id: str
    document_sha256: str
    sender: str
    auth_method: str
    reminder_hours: float
    expires_at: datetime
    signers: list[Signer]
    cc: list[dict[str, str]] = field(default_factory=list)
    status: EnvelopeState = EnvelopeState.SENT
    created_at: datetime = field(default_factory=utcnow)
    completed_at: datetime | None = None
    final_sha256: str | None = None
    reason: str | None = None
    events: list[Event] = field(default_factory=list)

    # ---- creation and routing ----
    @classmethod
    def create(
        cls,
        contract_id: str,
        document_sha256: str,
        signers: list[dict],
        sender: str,
        auth_method: str = "email_code",
        reminder_hours: float = 48.0,
        expires_days: int = 30,
        cc: list[dict] | None = None,
        now: datetime | None = None,
    ) -> tuple[Envelope, dict[str, str]]:
        """A new envelope, its first group invited. Returns {signer id: token} for the
        invitations."""
        if auth_method not in AUTH_METHODS:
            raise SigningError(
                f"unknown authentication method {auth_method!r}; use one of {AUTH_METHODS}"
            )
        if not signers:
            raise SigningError("an envelope needs at least one signer")
        if reminder_hours <= 0:
            raise SigningError("reminder_hours must be positive")
        if not 1 <= expires_days <= 365:
            raise SigningError(
                f"an envelope expires between 1 and 365 days after it is sent, not {expires_days}"
            )
        now = now or utcnow()
        people = [Signer.from_spec(i, spec, auth_method) for i, spec in enumerate(signers)]
        sender = limits.email_address(sender, "the sender's address")
        cc = [
            {
                "name": limits.one_line(c.get("name") or c.get("email", ""), f"copy {i + 1}: name"),
                "email": limits.email_address(c.get("email", ""), f"copy {i + 1}: address"),
            }
            for i, c in enumerate(cc or [])
        ]
        env = cls(
            id=f"E-{uuid.uuid4().hex[:10].upper()}",
            contract_id=contract_id,
            document_sha256=document_sha256,
            sender=sender,
            auth_method=auth_method,
            reminder_hours=reminder_hours,
            expires_at=now + timedelta(days=expires_days),
            signers=people,
            cc=list(cc or []),
            created_at=now,
        )
        env._event(
            AuditKind.ENVELOPE_CREATED,
            sender,
            {
                "contract": contract_id,
                "document_sha256": document_sha256,
                "routing": [[s.id for s in env.group(g)] for g in env.groups()],
                "auth_method": auth_method,
                "expires_at": env.expires_at.isoformat(),
            },
            now,
        )
        return env, env._invite_next(now)

    def _move(self, to: EnvelopeState) -> None:
        """The one place an envelope changes state, along ENVELOPE_TRANSITIONS (lifecycle.py)."""
        if to not in ENVELOPE_TRANSITIONS[self.status]:
            raise IllegalTransition(f"envelope {self.id}: cannot go from {self.status} to {to}")
        self.status = to

    def groups(self) -> list[int]:
        return sorted({s.group for s in self.signers})

    def group(self, g: int) -> list[Signer]:
        return [s for s in self.signers if s.group == g]

    def current_group(self) -> int | None:
        for g in self.groups():
            if any(s.status != SignerStatus.SIGNED for s in self.group(g)):
                return g
        return None

    def _invite_next(self, now: datetime) -> dict[str, str]:
        g = self.current_group()
        tokens: dict[str, str] = {}
        if g is None:
            return tokens
        for s in self.group(g):
            if s.status == SignerStatus.WAITING:
                tokens[s.id] = self._issue_token(s, now)
                move_signer(s, SignerStatus.INVITED)
                s.invited_at = now
                self._event(
                    AuditKind.ENVELOPE_SENT,
                    self.sender,
                    {"signer": s.id, "email": s.email, "group": g},
                    now,
                )
        return tokens

    def _issue_token(self, s: Signer, now: datetime, replace: bool = False) -> str:
        """A new random link token (256 bits); only its hash is kept. `replace` revokes the older
        links."""
        token = secrets.token_urlsafe(32)
        s.token_hashes = ([] if replace else s.token_hashes) + [digest(token)]
        return token

    # ---- checks ----
    def _event(
        self,
        kind: AuditKind,
        actor: str,
        payload: dict,
        now: datetime | None = None,
        ip: str | None = None,
        ua: str | None = None,
    ) -> None:
        self.events.append(Event(kind, self.id, payload, now or utcnow(), actor, ip, ua))

    def expire_if_due(self, now: datetime) -> bool:
        if self.status == EnvelopeState.SENT and now >= self.expires_at:
            self._move(EnvelopeState.EXPIRED)
            self._event(AuditKind.ENVELOPE_EXPIRED, "system", {}, now)
            return True
        return False

    def signer(self, signer_id: str) -> Signer:
        for s in self.signers:
            if s.id == signer_id:
                return s
        raise SigningError(f"no signer {signer_id} in envelope {self.id}")

    def signer_for_token(self, token: str, now: datetime) -> Signer:
        """The signer a link belongs to, if this envelope can still be acted on."""
        h = digest(token)
        match = next(
            (s for s in self.signers if any(hmac.compare_digest(t, h) for t in s.token_hashes)),
            None,
        )
        if match is None:
            raise InvalidToken("this link is not valid")
        self.expire_if_due(now)
        if self.status != EnvelopeState.SENT:
            raise InvalidToken(f"this envelope is {self.status}; it can no longer be signed")
        return match

    def _require_turn(self, s: Signer) -> None:
        if self.status != EnvelopeState.SENT:
            raise SigningError(f"envelope {self.id} is {self.status}")
        if s.status == SignerStatus.SIGNED:
            raise SigningError(f"{s.name} has already signed")
        if s.status != SignerStatus.INVITED or s.group != self.current_group():
            raise SigningError(f"it is not {s.name}'s turn to sign yet")

    def needs_code(self, s: Signer, proof: str | None) -> bool:
        """A code is needed in every browser session that has not verified one."""
        return self.auth_method != "email_link" and not s.verified_in(proof)

    def _require_auth(self, s: Signer, proof: str | None) -> None:
        if self.needs_code(s, proof):
            raise SigningError("enter the one-time code first")
        if s.consent is None:
            raise SigningError("accept the electronic records disclosure first")

    # ---- signer actions ----
    def view(self, s: Signer, now: datetime, ip: str | None, ua: str | None) -> None:
        if s.viewed_at is None:
            s.viewed_at = now
        self._event(AuditKind.ENVELOPE_VIEWED, s.email, {"signer": s.id}, now, ip, ua)

    def issue_code(self, s: Signer, now: datetime) -> str:
        """A fresh one-time code for this signer; returned once, stored hashed."""
        self._require_turn(s)
        code = s.new_code(now)
        channel = "sms" if self.auth_method == "sms_code" else "email"
        self._event(
            AuditKind.ENVELOPE_CODE_SENT, "system", {"signer": s.id, "channel": channel}, now
        )
        return code

    def verify_code(
        self, s: Signer, code: str, now: datetime, ip: str | None, ua: str | None
    ) -> str | None:
        """The proof for this browser session when the code is right, else None (audited)."""
        self._require_turn(s)
        result = s.check_code(code, now)
        if result == "verified":
            self._event(AuditKind.ENVELOPE_CODE_VERIFIED, s.email, {"signer": s.id}, now, ip, ua)
            return s.new_session_proof()
        why = (
            {"signer": s.id, "why": "expired or not sent"}
            if result == "expired"
            else {
                "signer": s.id,
                "tries": s.code_tries,
            }
        )
        self._event(AuditKind.ENVELOPE_CODE_FAILED, s.email, why, now, ip, ua)
        if result == "locked":
            self._event(
                AuditKind.ENVELOPE_SIGNER_LOCKED,
                "system",
                {"signer": s.id, "tries": s.code_tries},
                now,
                ip,
                ua,
            )
        return None

    def unlock_signer(self, s: Signer, actor: str, now: datetime) -> None:
        """The sender's explicit decision to let a locked signer try codes again."""
        if not s.code_locked:
            raise SigningError(f"{s.name} is not locked")
        s.unlock()
        self._event(AuditKind.ENVELOPE_SIGNER_UNLOCKED, actor, {"signer": s.id}, now)

    def give_consent(
        self,
        s: Signer,
        disclosure_version: str,
        disclosure_sha256: str,
        now: datetime,
        ip: str | None,
        ua: str | None,
    ) -> None:
        self._require_turn(s)
        s.consent = {
            "version": disclosure_version,
            "sha256": disclosure_sha256,
            "at": now.isoformat(),
            "ip": ip,
            "user_agent": ua,
        }
        self._event(
            AuditKind.ENVELOPE_CONSENT_GIVEN, s.email, {"signer": s.id, **s.consent}, now, ip, ua
        )

    def sign(
        self,
        s: Signer,
        kind: str,
        value: str,
        now: datetime,
        ip: str | None,
        ua: str | None,
        proof: str | None = None,
    ) -> tuple[dict[str, str], bool]:
        """Record the signature. Returns (tokens for newly invited signers, whether the envelope
        completed)."""
        self._require_turn(s)
        self._require_auth(s, proof)
        if kind not in ("typed", "drawn") or not value.strip():
            raise SigningError("adopt a signature: type your name or draw it")
        value = (
            limits.one_line(value, "your typed name") if kind == "typed" else limits.drawing(value)
        )
        move_signer(s, SignerStatus.SIGNED)
        s.signed_at = now
        s.signature = {
            "kind": kind,
            "value": value if kind == "typed" else digest(value),
            "at": now.isoformat(),
            "ip": ip,
            "user_agent": ua,
        }
        if kind == "drawn":
            s.signature["image"] = value  # data URL of the drawn image, for the final PDF
        self._event(
            AuditKind.ENVELOPE_SIGNED,
            s.email,
            {"signer": s.id, "kind": kind, "intent": "I agree and sign this contract"},
            now,
            ip,
            ua,
        )
        tokens = self._invite_next(now)
        done = self.current_group() is None
        return tokens, done

    def complete(self, final_sha256: str, now: datetime) -> None:
        if self.status != EnvelopeState.SENT or self.current_group() is not None:
            raise SigningError("the envelope is not fully signed")
        self._move(EnvelopeState.COMPLETED)
        self.completed_at = now
        self.final_sha256 = final_sha256
        self._event(AuditKind.ENVELOPE_COMPLETED, "system", {"final_sha256": final_sha256}, now)

    def decline(
        self, s: Signer, reason: str, now: datetime, ip: str | None, ua: str | None
    ) -> None:
        self._require_turn(s)
        reason = limits.reason_text(reason, "the reason you decline")
        move_signer(s, SignerStatus.DECLINED)
        self._move(EnvelopeState.DECLINED)
        self.reason = reason
        self._event(
            AuditKind.ENVELOPE_DECLINED, s.email, {"signer": s.id, "reason": reason}, now, ip, ua
        )

    # ---- sender actions ----
    def void(self, reason: str, actor: str, now: datetime) -> None:
        if self.status != EnvelopeState.SENT:
            raise SigningError(
                f"envelope {self.id} is {self.status}; only an envelope out for signature can be "
                f"voided"
            )
        reason = limits.reason_text(reason, "the reason for voiding")
        self._move(EnvelopeState.VOIDED)
        self.reason = reason
        self._event(AuditKind.ENVELOPE_VOIDED, actor, {"reason": reason}, now)

    def resend(self, s: Signer, actor: str, now: datetime, shown_to_sender: bool = False) -> str:
        """A new link (the old one stops working); the audit says if the sender saw it."""
        if self.status != EnvelopeState.SENT or s.status != SignerStatus.INVITED:
            raise SigningError(f"{s.name} has no pending invitation")
        token = self._issue_token(s, now, replace=True)  # a lock stays: unlocking is explicit
        s.last_reminded_at = now
        self._event(
            AuditKind.ENVELOPE_RESENT,
            actor,
            {"signer": s.id, "link_shown_to_sender": shown_to_sender},
            now,
        )
        return token

    def due_reminders(self, now: datetime) -> list[Signer]:
        """Signers whose turn it is, not signed, last invited or reminded at least reminder_hours
        ago."""
        if self.status != EnvelopeState.SENT or now >= self.expires_at:
            return []
        every = timedelta(hours=self.reminder_hours)
        return [
            s
            for s in self.signers
            if s.status == SignerStatus.INVITED
            and now - (s.last_reminded_at or s.invited_at or now) >= every
        ]

    def remind(self, s: Signer, now: datetime) -> str:
        """Mark a reminder as sent, with a new link (earlier links keep working; only hashes are
        stored)."""
        token = self._issue_token(s, now)
        s.last_reminded_at = now
        s.reminders += 1
        self._event(
            AuditKind.ENVELOPE_REMINDED, "system", {"signer": s.id, "reminder": s.reminders}, now
        )
        return token
