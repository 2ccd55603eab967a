"""Sign-in throttling and server-side sessions: failures count per account and per address in the
database (not per browser session), waits grow, every attempt is audited, an administrator can
unlock; a session survives a reload, follows the users table, and ends on sign-out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.adapters import audit
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import utcnow
from contracts.errors import UserError
from contracts.services.sessions import (
    locked_accounts,
    session_user,
    sign_in,
    sign_out,
    unlock_sign_in,
    wait_after,
)
from contracts.services.users import create_user, set_active, set_roles

PW = "the-right-password"


@pytest.fixture
def fran(engine):
    create_user(UnitOfWork(engine), "fran", "Fran", "fran@x.example", PW, ["finance"], "admin")
    return engine


def test_waits_grow_with_every_failure():
    assert [wait_after(n).total_seconds() for n in range(4, 9)] == [0, 30, 60, 120, 240]
    assert wait_after(40) == timedelta(hours=1)


def test_failures_from_many_browser_sessions_lock_the_account(fran):
    """30 wrong passwords over 5 browser sessions used to leave the account open."""
    now = utcnow()
    for i in range(6):  # six "sessions", five tries each; each try is a fresh unit of work
        for _ in range(5):
            with pytest.raises(UserError):
                sign_in(UnitOfWork(fran), "fran", "guess", f"198.51.100.{i}", now)
    with pytest.raises(UserError, match="Too many failed sign-ins"):
        sign_in(UnitOfWork(fran), "fran", PW, "203.0.113.9", now)  # right password, still waits
    assert "user:fran" in [a["account"] for a in locked_accounts(UnitOfWork(fran), now)]
    unlock_sign_in(UnitOfWork(fran), "user:fran", "admin")
    user, _ = sign_in(UnitOfWork(fran), "fran", PW, "203.0.113.9", now)
    assert user.roles == ["finance"]
    with UnitOfWork(fran) as uow:
        kinds = [(r.kind, r.actor) for r in audit.entries(uow.session, "user:fran")]
    assert kinds.count(("user.sign_in_failed", "fran")) == 31
    assert ("user.sign_in_unlocked", "admin") in kinds and ("user.signed_in", "fran") in kinds


def test_one_address_guessing_many_accounts_waits_too(fran):
    now = utcnow()
    for n in range(5):
        with pytest.raises(UserError, match="incorrect"):
            sign_in(UnitOfWork(fran), f"user{n}", "guess", "192.0.2.7", now)
    with pytest.raises(UserError, match="Too many"):
        sign_in(UnitOfWork(fran), "fran", PW, "192.0.2.7", now)
    assert sign_in(UnitOfWork(fran), "fran", PW, "192.0.2.8", now)  # another address is fine


def test_a_session_follows_the_users_table_and_ends_on_sign_out(fran):
    _, token = sign_in(UnitOfWork(fran), "fran", PW, "10.0.0.1")
    assert session_user(UnitOfWork(fran), token).roles == ["finance"]  # a reload finds it
    set_roles(UnitOfWork(fran), "fran", ["finance", "legal"], "admin")
    assert session_user(UnitOfWork(fran), token).roles == ["finance", "legal"]
    set_active(UnitOfWork(fran), "fran", False, "admin")
    assert session_user(UnitOfWork(fran), token) is None  # disabled: signed out at once
    set_active(UnitOfWork(fran), "fran", True, "admin")
    sign_out(UnitOfWork(fran), token)
    assert session_user(UnitOfWork(fran), token) is None  # revoked on the server
    _, later = sign_in(UnitOfWork(fran), "fran", PW, "10.0.0.1")
    assert session_user(UnitOfWork(fran), later, utcnow() + timedelta(hours=13)) is None  # expired
