"""Dashboard users and roles, stored in the project's database; passwords only as bcrypt hashes."""

from __future__ import annotations

import re

import bcrypt
from sqlalchemy import select

from contracts.adapters.orm import UserRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import NotFound, UserError

ROLES = ("admin", "support_manager", "vendor_manager", "finance", "legal")
# demo only: created by `make run` on the embedded default data, documented in the README
DEMO_USERS = [
    ("admin", "Avery Admin", "admin@demo.invalid", ["admin"]),
    ("support", "Sam Support", "support@demo.invalid", ["support_manager"]),
    ("vendor", "Val Vendor-Manager", "vendor@demo.invalid", ["vendor_manager"]),
    ("finance", "Fran Finance", "finance@demo.invalid", ["finance"]),
    ("legal", "Lee Legal", "legal@demo.invalid", ["legal"]),
]
DEMO_PASSWORD = "covenant-demo"


def hash_password(pw: str) -> str:
    if len(pw.encode()) > 72:
        raise UserError("password longer than 72 bytes (bcrypt's limit)")
    if len(pw) < 10:
        raise UserError("password must have at least 10 characters")
    return bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=12)).decode()


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
        if uow.session.get(UserRow, username) is not None:
            raise UserError(f"user {username} already exists")
        uow.session.add(
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
        u = uow.session.get(UserRow, username)
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


def set_active(uow: UnitOfWork, username: str, active: bool, actor: str) -> None:
    with uow:
        u = uow.session.get(UserRow, username)
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


def credentials(uow: UnitOfWork) -> dict:
    """streamlit-authenticator's credentials dict for the active users (hashes only)."""
    with uow:
        rows = uow.session.scalars(select(UserRow).where(UserRow.active.is_(True))).all()
        return {
            "usernames": {
                u.username: {
                    "name": u.name,
                    "email": u.email,
                    "password": u.password_hash,
                    "roles": list(u.roles),
                }
                for u in rows
            }
        }


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
            for u in uow.session.scalars(select(UserRow).order_by(UserRow.username))
        ]


def ensure_demo_users(uow: UnitOfWork) -> list[str]:
    made = []
    existing = {u["username"] for u in list_users(uow)}
    for username, name, email, roles in DEMO_USERS:
        if username not in existing:
            create_user(
                uow, username, name, email, DEMO_PASSWORD, roles, actor="make run", demo=True
            )
            made.append(username)
    return made
