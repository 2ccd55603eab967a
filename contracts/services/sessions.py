"""Signing in to the dashboard: throttled per account and per client address in the database,
every attempt audited, and server-side sessions that survive a reload and end on sign-out, on
expiry, or when the user is disabled. Roles are read from the users table on every page run.

Throttling (throttle.py): every try is counted before its password is checked; after FREE_FAILURES
tries on an account (or from a known address) without success, the next must wait, and the wait
doubles with every further try, up to MAX_WAIT. A correct password during the wait is refused too.
A success clears the account's count; an administrator can clear it (audited). A password change
or reset ends every other session of the user.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.adapters.accounts import SignInSessions
from contracts.adapters.orm import SessionRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import UserError
from contracts.services import throttle
from contracts.services.passwords import check_password

SESSION_LIFETIME = timedelta(hours=12)
FREE_FAILURES = throttle.FREE_TRIES  # tries before any wait (throttle.py)
FIRST_WAIT = throttle.FIRST_WAIT
MAX_WAIT = throttle.MAX_WAIT
NOT_RIGHT = "Username or password is incorrect."


@dataclass(frozen=True)
class SignedIn:
    username: str
    name: str
    email: str
    roles: list[str]
    by_sso: bool = False  # signed in through the identity provider: no Covenant password


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(dt: datetime) -> datetime:
    """SQLite gives naive datetimes back; everything stored is UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


SSO_SETTING = "sso"  # contracts/services/sso.py: whether local passwords are switched off


def wait_after(failures: int) -> timedelta:
    """How long an account or address waits after `failures` unsuccessful tries in a row."""
    return throttle.wait_after(failures)


def sign_in(
    uow: UnitOfWork, username: str, password: str, ip: str | None, now: datetime | None = None
) -> tuple[SignedIn, str]:
    """(the user, a new session token for the browser) or UserError with what to do.

    The try is counted and committed before bcrypt runs (contracts/services/throttle.py), so
    parallel guesses queue on the throttle row and no burst checks more than FREE_FAILURES."""
    now = now or utcnow()
    username = (username or "").strip()[:64]
    with uow:
        local = uow.setting(SSO_SETTING)
    if local is not None and local.get("local_passwords") is False:
        raise UserError(
            "Sign-in with a Covenant password is switched off here: use your organisation's "
            "sign-in."
        )
    keys = throttle.keys_for(username, ip)
    with uow:
        until = throttle.take_try(uow.throttle, keys, now)
        if until is not None:
            _audit(uow, username, ip, now, AuditKind.USER_SIGN_IN_FAILED, "waiting")
            uow.commit()
            seconds = int((until - now).total_seconds()) + 1
            raise UserError(
                f"Too many failed sign-ins: try again in {seconds} seconds, or ask an "
                "administrator to unlock the account."
            )
        uow.commit()
    with uow:
        user = uow.accounts.get(username)
        ok = (
            user is not None
            and user.active
            and (uow.accounts.demo_mode() or not user.demo)
            and check_password(password or "", user.password_hash)
        )
        if not ok or user is None:
            _audit(uow, username, ip, now, AuditKind.USER_SIGN_IN_FAILED, "wrong credentials")
            uow.commit()
            raise UserError(NOT_RIGHT)
        throttle.cleared(uow.throttle, keys)
        token = secrets.token_urlsafe(32)
        uow.sign_ins.add(
            SessionRow(
                token_hash=_digest(token),
                username=user.username,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
                ip=ip,
            )
        )
        _audit(uow, user.username, ip, now, AuditKind.USER_SIGNED_IN, None)
        uow.commit()
        return SignedIn(user.username, user.name, user.email, list(user.roles)), token


def revoke_sessions(
    sign_ins: SignInSessions, username: str, now: datetime, keep_token: str | None = None
) -> int:
    """End every live session of a user but `keep_token`'s (a password change or reset: whoever
    held the old password is signed out everywhere); how many were ended."""
    keep = _digest(keep_token) if keep_token else None
    n = 0
    for s in sign_ins.live_of(username):
        if s.token_hash != keep:
            s.revoked_at = now
            n += 1
    return n


def session_user(
    uow: UnitOfWork, token: str | None, now: datetime | None = None
) -> SignedIn | None:
    """The user of a live session, with their roles as the users table says now; None when the
    session is unknown, expired, revoked, or its user disabled."""
    if not token:
        return None
    now = now or utcnow()
    with uow:
        s = uow.sign_ins.get(_digest(token))
        if s is None or s.revoked_at is not None or _utc(s.expires_at) <= now:
            return None
        user = uow.accounts.get(s.username)
        if user is None or not user.active or (user.demo and not uow.accounts.demo_mode()):
            return None
        return SignedIn(
            user.username,
            user.name,
            user.email,
            list(user.roles),
            by_sso=user.password_hash.startswith("!sso:"),
        )


def sign_out(
    uow: UnitOfWork, token: str | None, ip: str | None = None, why: str | None = None
) -> None:
    """End the session on the server (the cookie alone no longer signs anyone in); `why` is said
    in the audit trail when the person did not sign out themselves."""
    if not token:
        return
    with uow:
        s = uow.sign_ins.get(_digest(token))
        if s is not None and s.revoked_at is None:
            s.revoked_at = utcnow()
            _audit(uow, s.username, ip, utcnow(), AuditKind.USER_SIGNED_OUT, why)
            uow.commit()


def locked_accounts(uow: UnitOfWork, now: datetime | None = None) -> list[dict[str, object]]:
    now = now or utcnow()
    with uow:
        return [
            {
                "account": r.key,
                "failures": r.failures,
                "waiting until": throttle.waiting_until(r, now),
            }
            for r in uow.throttle.all()
            if throttle.waiting_until(r, now) is not None
        ]


def unlock_sign_in(uow: UnitOfWork, key: str, actor: str) -> None:
    """An administrator clears the failed attempts of an account or address (audited)."""
    with uow:
        row = uow.throttle.get(key)
        if row is None:
            raise UserError(f"{key} has no failed sign-ins")
        uow.throttle.remove(row)
        uow.record(Event(AuditKind.USER_SIGN_IN_UNLOCKED, key, {}, utcnow(), actor))
        uow.commit()


def _audit(
    uow: UnitOfWork, username: str, ip: str | None, now: datetime, kind: AuditKind, why: str | None
) -> None:
    payload = {"why": why} if why else {}
    uow.record(Event(kind, f"user:{username}", payload, now, username or "(empty)", ip))
