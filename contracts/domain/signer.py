"""A signer: who they are, where they are in the routing, and how they prove who they are
(link only, or a one-time code by e-mail or SMS)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from contracts.domain import limits
from contracts.domain.lifecycle import SIGNER_TRANSITIONS, SignerStatus
from contracts.errors import IllegalTransition, SigningError

AUTH_METHODS = ("email_link", "email_code", "sms_code")
CODE_TTL = timedelta(minutes=10)
CODE_TRIES = 5  # wrong codes in all, across every code sent, before the signer is locked
CODE_GAP = timedelta(seconds=60)  # at most one code a minute
CODE_HOURLY = 5  # and at most five an hour
SESSIONS_KEPT = 5  # browser sessions in which the signer verified a code
LOCKED = "too many wrong codes: this signer is locked; ask the sender to resend"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def move_signer(s: Signer, to: SignerStatus) -> None:
    """The one place a signer changes status, along SIGNER_TRANSITIONS (lifecycle.py)."""
    if to not in SIGNER_TRANSITIONS[s.status]:
        raise IllegalTransition(f"signer {s.id}: cannot go from {s.status} to {to}")
    s.status = to


@dataclass
class Signer:
    id: str
    name: str
    email: str
    role: str
    group: int
    phone: str | None = None
    status: SignerStatus = SignerStatus.WAITING
    token_hashes: list[str] = field(
        default_factory=list
    )  # links that open the page (reminders add one)
    invited_at: datetime | None = None
    viewed_at: datetime | None = None
    last_reminded_at: datetime | None = None
    reminders: int = 0
    consent: dict[str, Any] | None = None
    code_hash: str | None = None
    code_expires: datetime | None = None
    code_tries: int = 0
    code_locked: bool = False
    code_verified_at: datetime | None = None
    signature: dict[str, Any] | None = None
    signed_at: datetime | None = None
    code_requests: list[str] = field(default_factory=list)  # ISO instants of the last hour's codes
    verified_sessions: list[str] = field(default_factory=list)  # hashes of session proofs

    @classmethod
    def from_spec(cls, i: int, spec: dict[str, Any], auth_method: str) -> Signer:
        """Signer i (0-based) of an envelope from {name, email, role[, group, phone]}."""
        missing = [k for k in ("name", "email", "role") if not spec.get(k)]
        if missing:
            raise SigningError(f"signer {i + 1}: missing {', '.join(missing)}")
        if auth_method == "sms_code" and not spec.get("phone"):
            raise SigningError(f"signer {i + 1}: an SMS code needs a phone number")
        n = i + 1
        phone = spec.get("phone")
        return cls(
            id=f"S-{uuid.uuid4().hex[:10].upper()}",
            name=limits.one_line(spec["name"], f"signer {n}: name"),
            email=limits.email_address(spec["email"], f"signer {n}: e-mail"),
            role=limits.one_line(spec["role"], f"signer {n}: role"),
            group=int(spec.get("group", n)),
            phone=limits.one_line(phone, f"signer {n}: phone", limits.MAX_PHONE) if phone else None,
        )

    # ---- one-time codes ----
    def new_code(self, now: datetime) -> str:
        """A fresh 6-digit code (valid CODE_TTL), returned once and kept only as a hash.

        A new code starts a new allowance of CODE_TRIES; a locked signer gets none."""
        if self.code_locked:
            raise SigningError(LOCKED)
        hour = timedelta(hours=1)
        recent = [t for t in map(datetime.fromisoformat, self.code_requests) if now - t < hour]
        if recent and now - max(recent) < CODE_GAP:
            wait = int((CODE_GAP - (now - max(recent))).total_seconds()) + 1
            raise SigningError(f"a code was just sent; you can ask for another in {wait} seconds")
        if len(recent) >= CODE_HOURLY:
            raise SigningError(
                f"{CODE_HOURLY} codes were sent in the last hour; use the latest one, or try again "
                f"after {(min(recent) + hour):%H:%M} UTC"
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.code_hash = digest(f"{self.id}:{code}")
        self.code_expires = now + CODE_TTL
        self.code_requests = [t.isoformat() for t in recent] + [now.isoformat()]
        return code

    def check_code(
        self, code: str, now: datetime
    ) -> Literal["verified", "expired", "wrong", "locked"]:
        """Verify a code. Wrong codes count across every code sent: the CODE_TRIES-th locks the
        signer until the sender unlocks them."""
        if self.code_locked:
            raise SigningError(LOCKED)
        if self.code_hash is None or self.code_expires is None or now > self.code_expires:
            return "expired"
        if hmac.compare_digest(self.code_hash, digest(f"{self.id}:{code.strip()}")):
            self.code_verified_at = now
            self.code_hash = None
            self.code_tries = 0
            return "verified"
        self.code_tries += 1
        if self.code_tries >= CODE_TRIES:
            self.code_locked = True
            return "locked"
        return "wrong"

    def new_session_proof(self) -> str:
        """A secret for the browser session that verified the code: the link alone is not enough
        to sign from another browser."""
        proof = secrets.token_urlsafe(32)
        self.verified_sessions = [*self.verified_sessions, digest(proof)][-SESSIONS_KEPT:]
        return proof

    def verified_in(self, proof: str | None) -> bool:
        return proof is not None and any(
            hmac.compare_digest(h, digest(proof)) for h in self.verified_sessions
        )

    def unlock(self) -> None:
        self.code_locked, self.code_tries, self.code_hash = False, 0, None
