"""Signing in to the dashboard: throttled per account and per client address in the database,
every attempt audited, and server-side sessions that survive a reload and end on sign-out, on
expiry, or when the user is disabled. Roles are read from the users table on every page run.

Throttling: after FREE_FAILURES failed attempts on an account (or from an address), the next
attempt must wait, and the wait doubles with every further failure, up to MAX_WAIT. A correct
password during the wait is refused too. A success clears the account's count; an administrator
can clear it (audited).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from contracts.adapters.orm import LoginThrottleRow, SessionRow, UserRow, demo_mode
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import UserError
from contracts.services.users import check_password

SESSION_LIFETIME = timedelta(hours=12)
FREE_FAILURES = 5  # wrong passwords before any wait
FIRST_WAIT = timedelta(seconds=30)  # then 30 s, 1 min, 2 min, ... (doubling)
MAX_WAIT = timedelta(hours=1)
NOT_RIGHT = "Username or password is incorrect."


@dataclass(frozen=True)
class SignedIn:
    username: str
    name: str
    email: str
    roles: list[str]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(dt: datetime) -> datetime:
    """SQLite gives naive datetimes back; everything stored is UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _waiting_until(row: LoginThrottleRow | None, now: datetime) -> datetime | None:
    if row is None or row.locked_until is None or _utc(row.locked_until) <= now:
        return None
    return _utc(row.locked_until)


def wait_after(failures: int) -> timedelta:
    """How long an account or address waits after `failures` failed attempts in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** (failures - FREE_FAILURES), MAX_WAIT)


def sign_in(
    uow: UnitOfWork, username: str, password: str, ip: str | None, now: datetime | None = None
) -> tuple[SignedIn, str]:
    """(the user, a new session token for the browser) or UserError with what to do."""
    now = now or utcnow()
    username = (username or "").strip()[:64]
    keys = [f"user:{username.lower()}", f"ip:{ip or 'unknown'}"]
    with uow:
        rows = {k: uow.session.get(LoginThrottleRow, k) for k in keys}
        waits = [w for w in (_waiting_until(r, now) for r in rows.values()) if w is not None]
        if waits:
            until = max(waits)
            _audit(uow, username, ip, now, AuditKind.USER_SIGN_IN_FAILED, "waiting")
            uow.commit()
            seconds = int((until - now).total_seconds()) + 1
            raise UserError(
                f"Too many failed sign-ins: try again in {seconds} seconds, or ask an "
                "administrator to unlock the account."
            )
        user = uow.session.get(UserRow, username)
        ok = (
            user is not None
            and user.active
            and (demo_mode(str(uow.engine.url)) or not user.demo)
            and check_password(password or "", user.password_hash)
        )
        if not ok or user is None:
            for k in keys:
                row = rows[k] or LoginThrottleRow(key=k, failures=0, last_failure=now)
                row.failures += 1
                row.last_failure = now
                wait = wait_after(row.failures)
                row.locked_until = now + wait if wait else None
                uow.session.add(row)
            _audit(uow, username, ip, now, AuditKind.USER_SIGN_IN_FAILED, "wrong credentials")
            uow.commit()
            raise UserError(NOT_RIGHT)
        account = rows[keys[0]]
        if account is not None:
            uow.session.delete(account)
        token = secrets.token_urlsafe(32)
        uow.session.add(
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


def session_user(
    uow: UnitOfWork, token: str | None, now: datetime | None = None
) -> SignedIn | None:
    """The user of a live session, with their roles as the users table says now; None when the
    session is unknown, expired, revoked, or its user disabled."""
    if not token:
        return None
    now = now or utcnow()
    with uow:
        s = uow.session.get(SessionRow, _digest(token))
        if s is None or s.revoked_at is not None or _utc(s.expires_at) <= now:
            return None
        user = uow.session.get(UserRow, s.username)
        if user is None or not user.active or (user.demo and not demo_mode(str(uow.engine.url))):
            return None
        return SignedIn(user.username, user.name, user.email, list(user.roles))


def sign_out(uow: UnitOfWork, token: str | None, ip: str | None = None) -> None:
    """End the session on the server (the cookie alone no longer signs anyone in)."""
    if not token:
        return
    with uow:
        s = uow.session.get(SessionRow, _digest(token))
        if s is not None and s.revoked_at is None:
            s.revoked_at = utcnow()
            _audit(uow, s.username, ip, utcnow(), AuditKind.USER_SIGNED_OUT, None)
            uow.commit()


def locked_accounts(uow: UnitOfWork, now: datetime | None = None) -> list[dict[str, object]]:
    now = now or utcnow()
    with uow:
        return [
            {"account": r.key, "failures": r.failures, "waiting until": _waiting_until(r, now)}
            for r in uow.session.scalars(select(LoginThrottleRow))
            if _waiting_until(r, now) is not None
        ]


def unlock_sign_in(uow: UnitOfWork, key: str, actor: str) -> None:
    """An administrator clears the failed attempts of an account or address (audited)."""
    with uow:
        row = uow.session.get(LoginThrottleRow, key)
        if row is None:
            raise UserError(f"{key} has no failed sign-ins")
        uow.session.delete(row)
        uow.record(Event(AuditKind.USER_SIGN_IN_UNLOCKED, key, {}, utcnow(), actor))
        uow.commit()


def _audit(
    uow: UnitOfWork, username: str, ip: str | None, now: datetime, kind: AuditKind, why: str | None
) -> None:
    payload = {"why": why} if why else {}
    uow.record(Event(kind, f"user:{username}", payload, now, username or "(empty)", ip))
