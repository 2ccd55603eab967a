"""Scheduled notices sent once (flows/schedule.py): kind + key is unique, and the files a notice's
mail attaches (reports) are kept beside the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.adapters.insert_once import insert_once
from contracts.adapters.orm import MailFileRow, NoticeSentRow
from contracts.domain.events import utcnow


class NoticeLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def sent(self, kind: str, key: str) -> bool:
        return (
            self.session.scalars(
                select(NoticeSentRow.id).where(NoticeSentRow.kind == kind, NoticeSentRow.key == key)
            ).first()
            is not None
        )

    def claim(self, kind: str, key: str, recipients: list[str]) -> bool:
        """Record the notice as sent in this transaction; False when it is recorded already (by
        this worker earlier or by another one), and then nothing is written."""
        row = {"kind": kind, "key": key, "at": utcnow(), "recipients": list(recipients)}
        return bool(insert_once(self.session, NoticeSentRow, [row]))

    def add_file(self, filename: str, mime: str, data: bytes) -> int:
        """A file for a mail to attach ({"file": id} in the outbox row)."""
        row = MailFileRow(filename=filename, mime=mime, data=data, created_at=utcnow())
        self.session.add(row)
        self.session.flush()
        return int(row.id)
