"""The demo outbox: the mail Covenant would have sent, newest first (app_pages/outbox.py shows it
only in the one-machine demo, to a browser on that machine)."""

from __future__ import annotations

from contracts.adapters.unit_of_work import UnitOfWork


def recent_mail(uow: UnitOfWork, limit: int = 200) -> list[dict]:
    with uow:
        return [
            {
                "id": m.id,
                "created (UTC)": m.created_at,
                "to": m.to,
                "subject": m.subject,
                "body": m.body,
                "envelope": m.envelope_id,
                "sent": m.sent,
            }
            for m in uow.envelopes.recent_mail(limit)
        ]
