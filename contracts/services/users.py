"""Dashboard users and roles, stored in the project's database; passwords only as bcrypt hashes."""

from __future__ import annotations

import re

from contracts.adapters.orm import UserRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.domain.roles import ROLES
from contracts.errors import NotFound, UserError
from contracts.services import throttle
from contracts.services.passwords import check_password, hash_password
from contracts.services.sessions import revoke_sessions

__all__ = ["ROLES", "check_password", "hash_password"]

# demo only: created by `make run` on the embedded default data, documented in the README
DEMO_USERS = [
    ("admin", "Avery Admin", "admin@demo.invalid", ["admin"]),
    ("support", "Sam Support", "support@demo.invalid", ["support_manager"]),
    ("vendor", "Val Vendor-Manager", "vendor@demo.invalid", ["vendor_manager"]),
    ("finance", "Fran Finance", "finance@demo.invalid", ["finance"]),
    ("legal", "Lee Legal", "legal@demo.invalid", ["legal"]),
]
DEMO_PASSWORD = "covenant-demo"


def create_user(
    uow: UnitOfWork,
    username: str,
    name: str,
    email: str,
    password: str,
    roles: list[str],
    actor: str,
    demo: bool = False,
) -> None:
    if not re.fullmatch(r"[a-z0-9_.-]{3,64}", username):
        raise UserError("username: 3-64 characters of a-z, 0-9, _ . -")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise UserError(f"roles must be some of {', '.join(ROLES)}; got {roles}")
    with uow:
        if uow.accounts.get(username) is not None:
            raise UserError(f"user {username} already exists")
        uow.accounts.add(
            UserRow(
                username=username,
                name=name,
                email=email,
                password_hash=hash_password(password),
                roles=list(roles),
                active=True,
                demo=demo,
                created_at=utcnow(),
            )
        )
        uow.record(
            Event(
                AuditKind.USER_CREATED,
                f"user:{username}",
                {"roles": roles, "demo": demo},
                utcnow(),
                actor,
            )
        )
        uow.commit()


def set_roles(uow: UnitOfWork, username: str, roles: list[str], actor: str) -> None:
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise UserError(f"unknown roles {bad}")
    with uow:
        u = uow.accounts.get(username)
        if u is None:
            raise NotFound(f"no user {username}")
        before = list(u.roles)
        u.roles = list(roles)
        uow.record(
            Event(
                AuditKind.USER_ROLES_CHANGED,
                f"user:{username}",
                {"from": before, "to": roles},
                utcnow(),
                actor,
            )
        )
        uow.commit()


def reset_password(uow: UnitOfWork, username: str, password: str, actor: str) -> None:
    """An administrator sets a new password (the user should change it); every session of the
    user ends (whoever held the old password is out); audited, never logged."""
    new_hash = hash_password(password)
    with uow:
        u = uow.accounts.get(username)
        if u is None:
            raise NotFound(f"no user {username}")
        u.password_hash = new_hash
        ended = revoke_sessions(uow.sign_ins, username, utcnow())
        uow.record(
            Event(
                AuditKind.USER_PASSWORD_RESET,
                f"user:{username}",
                {"sessions_ended": ended},
                utcnow(),
                actor,
            )
        )
        uow.commit()


def change_own_password(
    uow: UnitOfWork,
    username: str,
    current: str,
    new: str,
    keep_token: str | None = None,
    ip: str | None = None,
) -> None:
    """A user changes their own password, proving the current one first. Proving counts as a
    sign-in try (throttled, and a wrong one audited); the user's other sessions end."""
    new_hash = hash_password(new)
    now = utcnow()
    keys = throttle.keys_for(username, ip)
    with uow:
        until = throttle.take_try(uow.throttle, keys, now)
        if until is not None:
            uow.record(
                Event(
                    AuditKind.USER_SIGN_IN_FAILED,
                    f"user:{username}",
                    {"why": "waiting (password change)"},
                    now,
                    username,
                    ip,
                )
            )
            uow.commit()
            raise UserError(
                f"Too many wrong passwords: try again in "
                f"{int((until - now).total_seconds()) + 1} seconds."
            )
        uow.commit()
    with uow:
        u = uow.accounts.get(username)
        if u is None or not check_password(current, u.password_hash):
            uow.record(
                Event(
                    AuditKind.USER_SIGN_IN_FAILED,
                    f"user:{username}",
                    {"why": "wrong current password (password change)"},
                    now,
                    username,
                    ip,
                )
            )
            uow.commit()
            raise UserError("the current password is not right")
        throttle.cleared(uow.throttle, keys)
        u.password_hash = new_hash
        ended = revoke_sessions(uow.sign_ins, username, now, keep_token=keep_token)
        uow.record(
            Event(
                AuditKind.USER_PASSWORD_CHANGED,
                f"user:{username}",
                {"other_sessions_ended": ended},
                now,
                username,
                ip,
            )
        )
        uow.commit()


def set_active(uow: UnitOfWork, username: str, active: bool, actor: str) -> None:
    with uow:
        u = uow.accounts.get(username)
        if u is None:
            raise NotFound(f"no user {username}")
        u.active = active
        uow.record(
            Event(
                AuditKind.USER_ENABLED if active else AuditKind.USER_DISABLED,
                f"user:{username}",
                {},
                utcnow(),
                actor,
            )
        )
        uow.commit()


def demo_users_active(uow: UnitOfWork) -> bool:
    """Whether anyone can sign in with the published demo password right now (the app's banner)."""
    with uow:
        return uow.accounts.demo_mode() and any(u.demo and u.active for u in uow.accounts.all())


def list_users(uow: UnitOfWork) -> list[dict]:
    with uow:
        return [
            {
                "username": u.username,
                "name": u.name,
                "email": u.email,
                "roles": list(u.roles),
                "active": u.active,
                "demo": u.demo,
            }
            for u in uow.accounts.all()
        ]


def ensure_demo_users(uow: UnitOfWork) -> list[str]:
    """The demo users (one per role, published password), only in demo mode (orm.demo_mode)."""
    with uow:
        demo = uow.accounts.demo_mode()
    if not demo:
        raise UserError(
            "demo users are created only in the one-machine demo (COVENANT_DEMO=1 on the embedded "
            "SQLite database), never on a configured database server; create real users with "
            "`python -m contracts add-user`"
        )
    made = []
    existing = {u["username"] for u in list_users(uow)}
    for username, name, email, roles in DEMO_USERS:
        if username not in existing:
            create_user(
                uow, username, name, email, DEMO_PASSWORD, roles, actor="make run", demo=True
            )
            made.append(username)
    return made
