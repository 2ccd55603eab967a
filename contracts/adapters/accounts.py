"""Who may sign in, and how: the users table, the server-side sign-in sessions and the password
throttle's counters. Services (users.py, sessions.py, sso.py, throttle.py) hold the rules; these
repositories hold the statements. Rows are handed out mapped: a change a service makes to one is
written by the unit of work's commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from contracts.adapters.orm import LoginThrottleRow, SessionRow, UserRow, demo_mode


class Accounts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, username: str) -> UserRow | None:
        return self.session.get(UserRow, username)

    def add(self, user: UserRow) -> None:
        self.session.add(user)

    def all(self) -> list[UserRow]:
        return list(self.session.scalars(select(UserRow).order_by(UserRow.username)))

    def demo_mode(self) -> bool:
        """Whether this database is the one-machine demo's (orm.demo_mode)."""
        return demo_mode(str(self.session.get_bind().engine.url))

    def emails(self, roles: Iterable[str]) -> list[str]:
        """Who is told: the active users holding one of `roles`, sorted; demo users count only in
        the demo."""
        wanted, demo = set(roles), self.demo_mode()
        return sorted(
            u.email
            for u in self.session.scalars(select(UserRow).where(UserRow.active.is_(True)))
            if u.email and wanted & set(u.roles) and (demo or not u.demo)
        )

    def email_of(self, username: str) -> str | None:
        row = self.get(username)
        return row.email if row is not None and row.email else None


class SignInSessions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: SessionRow) -> None:
        self.session.add(row)

    def get(self, token_hash: str) -> SessionRow | None:
        return self.session.get(SessionRow, token_hash)

    def live_of(self, username: str) -> list[SessionRow]:
        """The user's sessions not revoked (expired ones included: revoking them is harmless)."""
        return list(
            self.session.scalars(
                select(SessionRow).where(
                    SessionRow.username == username, SessionRow.revoked_at.is_(None)
                )
            )
        )


class ThrottleCounters:
    def __init__(self, session: Session) -> None:
        self.session = session

    def locked(self, keys: list[str], now: datetime) -> list[LoginThrottleRow]:
        """The counters of `keys` under a row lock (PostgreSQL FOR UPDATE; SQLite serialises
        writers), each created at zero first if it does not exist yet."""
        dialect = self.session.get_bind().dialect.name
        ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for k in keys:
            self.session.execute(
                ins(LoginThrottleRow)
                .values(key=k, failures=0, last_failure=now, locked_until=None)
                .on_conflict_do_nothing(index_elements=["key"])
            )
        return list(
            self.session.scalars(
                select(LoginThrottleRow)
                .where(LoginThrottleRow.key.in_(keys))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )

    def one_locked(self, key: str) -> LoginThrottleRow | None:
        return self.session.get(LoginThrottleRow, key, with_for_update=True)

    def get(self, key: str) -> LoginThrottleRow | None:
        return self.session.get(LoginThrottleRow, key)

    def all(self) -> list[LoginThrottleRow]:
        return list(self.session.scalars(select(LoginThrottleRow)))

    def remove(self, row: LoginThrottleRow) -> None:
        self.session.delete(row)

    def flush(self) -> None:
        self.session.flush()
