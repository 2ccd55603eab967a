"""Who is told: the e-mail addresses of active users by role, or of one user (the notices and the
alerts read people here, never the users table)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.adapters.orm import UserRow, demo_mode


class People:
    def __init__(self, session: Session) -> None:
        self.session = session

    def emails(self, roles: Iterable[str]) -> list[str]:
        """The active users holding one of `roles`, sorted; demo users count only in the demo."""
        wanted = set(roles)
        bind = self.session.get_bind()
        demo = demo_mode(str(bind.engine.url))
        return sorted(
            u.email
            for u in self.session.scalars(select(UserRow).where(UserRow.active.is_(True)))
            if u.email and wanted & set(u.roles) and (demo or not u.demo)
        )

    def email_of(self, username: str) -> str | None:
        row = self.session.get(UserRow, username)
        return row.email if row is not None and row.email else None
