"""The demo outbox: the mail Covenant would have sent, newest first (app_pages/outbox.py shows it
only in the one-machine demo, to a browser on that machine)."""

from __future__ import annotations

from sqlalchemy import select

from contracts.adapters.orm import OutboxRow
from contracts.adapters.unit_of_work import UnitOfWork


def recent_mail(uow: UnitOfWork, limit: int = 200) -> list[dict]:
    with uow:
        return [
            {
                "id": m.id,
                "created (UTC)": m.created_at,
                "to": m.to_addr,
                "subject": m.subject,
                "body": m.body,
                "envelope": m.envelope_id,
                "sent": m.sent_at is not None,
            }
            for m in uow.session.scalars(
                select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
            )
        ]
