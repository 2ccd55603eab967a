"""Delivering the outbox over SMTP (standard library), configured by environment.

COVENANT_SMTP_HOST, COVENANT_SMTP_PORT (default 25, or 587 with STARTTLS), COVENANT_SMTP_STARTTLS
(1/0),
COVENANT_SMTP_USER, COVENANT_SMTP_PASSWORD, COVENANT_MAIL_FROM. Without a host nothing is sent: the
outbox
keeps the messages (the app shows them), so a signing can still be followed on one machine.
Messages to `sms:<phone>` go to the SMS sender named by COVENANT_SMS_SENDER (`module:callable`,
called as
callable(phone, text)); none is configured by default, so they stay in the outbox.
"""

from __future__ import annotations

import importlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

import config
from contracts.adapters.orm import DocumentRow, MailFileRow, OutboxRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind

MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_env(cls) -> SmtpConfig | None:
        host = config.get("COVENANT_SMTP_HOST")
        if not host:
            return None
        starttls = config.get("COVENANT_SMTP_STARTTLS") in ("1", "true", "yes")
        return cls(
            host,
            int(config.get("COVENANT_SMTP_PORT") or ("587" if starttls else "25")),
            starttls,
            config.get("COVENANT_SMTP_USER"),
            config.get("COVENANT_SMTP_PASSWORD"),
            config.value("COVENANT_MAIL_FROM"),
        )


def _sms_sender():
    spec = config.get("COVENANT_SMS_SENDER")
    if not spec:
        return None
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def deliver(engine: Engine, config: SmtpConfig | None = None, limit: int = 100) -> tuple[int, int]:
    """Send pending messages, oldest first; each in its own transaction. Returns (sent, failed)."""
    config = config or SmtpConfig.from_env()
    sms = _sms_sender()
    if config is None and sms is None:
        return 0, 0
    with UnitOfWork(engine) as uow:
        ids = list(
            uow.session.scalars(
                select(OutboxRow.id)
                .where(OutboxRow.sent_at.is_(None), OutboxRow.attempts < MAX_ATTEMPTS)
                .order_by(OutboxRow.id)
                .limit(limit)
            )
        )
    sent = failed = 0
    for mid in ids:
        with UnitOfWork(engine) as uow:
            m = uow.session.scalars(
                select(OutboxRow).where(OutboxRow.id == mid).with_for_update()
            ).one()
            if m.sent_at is not None:
                continue  # another process sent it meanwhile
            try:
                if m.to_addr.startswith("sms:"):
                    if sms is None:
                        continue
                    sms(m.to_addr[4:], m.body)
                elif config is not None:
                    _send(config, m, _attachments(uow.session, m.attachments))
                else:
                    continue
            except (ValueError, TypeError) as exc:  # the message itself cannot be built: never
                m.attempts = MAX_ATTEMPTS  # retried, and never in the way of the messages behind it
                m.last_error = f"cannot be sent: {exc}"
                uow.record(
                    Event(
                        AuditKind.MAIL_FAILED,
                        m.envelope_id or "mail",
                        {"outbox": m.id, "to": m.to_addr, "error": m.last_error},
                    )
                )
                uow.commit()
                failed += 1
                continue
            except (OSError, smtplib.SMTPException) as exc:
                m.attempts += 1
                m.last_error = f"{type(exc).__name__}: {exc}"
                uow.record(
                    Event(
                        AuditKind.MAIL_FAILED,
                        m.envelope_id or "mail",
                        {"outbox": m.id, "to": m.to_addr, "error": m.last_error},
                    )
                )
                uow.commit()
                failed += 1
                continue
            m.attempts += 1
            m.sent_at = utcnow()
            m.body = redact_secrets(m.body)  # links and codes live only until delivered
            uow.record(
                Event(
                    AuditKind.MAIL_DELIVERED,
                    m.envelope_id or "mail",
                    {"outbox": m.id, "to": m.to_addr, "subject": m.subject},
                )
            )
            uow.commit()
            sent += 1
    return sent, failed


SECRETS = (
    (re.compile(r"token=[A-Za-z0-9_\-]+"), "token=(removed after delivery)"),
    (re.compile(r"(signing code is )\d{6}"), r"\1(removed after delivery)"),
)


def redact_secrets(body: str) -> str:
    """A delivered message as it is kept: signing links and one-time codes removed."""
    for pattern, replacement in SECRETS:
        body = pattern.sub(replacement, body)
    return body


def _attachments(session, refs: list) -> list[tuple[str, str, bytes]]:  # noqa: ANN001
    """(filename, mime type, bytes) of a message's attachments: signed documents by id, report
    files as {"file": id} (MailFileRow)."""
    out = []
    for ref in refs:
        if isinstance(ref, dict):
            f = session.get(MailFileRow, ref.get("file"))
            if f is not None:
                out.append((f.filename, f.mime, bytes(f.data)))
            continue
        d = session.get(DocumentRow, ref)
        if d is not None:
            out.append((d.filename, "application/pdf", bytes(d.data)))
    return out


def _send(config: SmtpConfig, m: OutboxRow, files: list[tuple[str, str, bytes]]) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = config.sender, m.to_addr, m.subject
    msg.set_content(m.body)
    for filename, mime, data in files:
        main, _, sub = mime.partition("/")
        msg.add_attachment(data, maintype=main, subtype=sub or "octet-stream", filename=filename)
    with smtplib.SMTP(config.host, config.port, timeout=30) as smtp:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password or "")
        smtp.send_message(msg)


def outbox_counts(engine: Engine) -> dict[str, int]:
    """Messages waiting, sent, and given up on (after MAX_ATTEMPTS failures), for the Admin page."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(
                func.count().filter(OutboxRow.sent_at.is_(None), OutboxRow.attempts < MAX_ATTEMPTS),
                func.count().filter(OutboxRow.sent_at.is_not(None)),
                func.count().filter(
                    OutboxRow.sent_at.is_(None), OutboxRow.attempts >= MAX_ATTEMPTS
                ),
            )
        ).one()
    return {"waiting": int(rows[0]), "sent": int(rows[1]), "given up": int(rows[2])}
