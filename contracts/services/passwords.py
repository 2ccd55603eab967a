"""bcrypt, once: how a password is hashed and checked (users.py and sessions.py both use it)."""

from __future__ import annotations

import bcrypt

from contracts.errors import UserError


def hash_password(pw: str) -> str:
    if len(pw.encode()) > 72:
        raise UserError("password longer than 72 bytes (bcrypt's limit)")
    if len(pw) < 10:
        raise UserError("password must have at least 10 characters")
    return bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=12)).decode()


def check_password(password: str, password_hash: str) -> bool:
    """bcrypt's check; a password over bcrypt's 72 bytes is simply wrong, not an error."""
    raw = password.encode()
    if not password_hash.startswith("$2"):  # a single sign-on account (sso.MARK): no password
        return False
    return len(raw) <= 72 and bcrypt.checkpw(raw, password_hash.encode())
