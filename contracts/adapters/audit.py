"""The tamper-evident audit trail: an append-only log whose entries are SHA-256 hash-chained.

Each entry's hash covers its sequence number, time, actor, subject, kind, IP, user agent, payload
and the
previous entry's hash, so editing, deleting or reordering any row breaks the chain at that row, and
a row
removed from the end no longer matches the head. Appends serialise on the single `audit_head` row
(its
UPDATE takes the row lock on PostgreSQL and the write lock on SQLite), in the same transaction as
the change
they record. The application never updates or deletes entries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from contracts.adapters.orm import AuditRow
from contracts.domain.events import Event

GENESIS = "0" * 64


def canonical(
    seq: int,
    at: str,
    actor: str,
    subject: str,
    kind: str,
    ip: str | None,
    ua: str | None,
    payload: dict,
) -> str:
    return json.dumps(
        [seq, at, actor, subject, kind, ip, ua, payload],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


def entry_hash(prev: str, body: str) -> str:
    return hashlib.sha256((prev + "\n" + body).encode("utf-8")).hexdigest()


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def append(session: Session, e: Event) -> AuditRow:
    """Add one entry after the current head (call inside the transaction that makes the change)."""
    seq, prev = session.execute(
        text("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
    ).one()
    at = _iso(e.at)
    payload = json.loads(json.dumps(e.payload, default=str))
    h = entry_hash(
        prev, canonical(seq, at, e.actor, e.aggregate, e.kind, e.ip, e.user_agent, payload)
    )
    row = AuditRow(
        seq=seq,
        at=at,
        actor=e.actor,
        subject=e.aggregate,
        kind=e.kind,
        ip=e.ip,
        user_agent=e.user_agent,
        payload=payload,
        prev_hash=prev,
        hash=h,
    )
    session.add(row)
    session.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": h})
    return row


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    first_broken: int | None = None
    reason: str = ""

    def text(self) -> str:
        if self.ok:
            extra = f"; {self.reason}" if self.reason else ""
            return f"audit trail intact: {self.entries} entries, hash chain verified{extra}"
        return f"audit trail BROKEN at entry {self.first_broken}: {self.reason}"


def verify(session: Session) -> Verdict:
    """Walk the chain from the start; the first entry that does not fit is reported."""
    prev, expected_seq, n = GENESIS, 1, 0
    for row in session.scalars(select(AuditRow).order_by(AuditRow.id)):
        n += 1
        if row.seq != expected_seq:
            return Verdict(
                False,
                n,
                expected_seq,
                f"expected sequence {expected_seq}, found {row.seq}"
                " (an entry was deleted or moved)",
            )
        if row.prev_hash != prev:
            return Verdict(
                False, n, row.seq, "previous-hash link does not match the entry before it"
            )
        body = canonical(
            row.seq, row.at, row.actor, row.subject, row.kind, row.ip, row.user_agent, row.payload
        )
        if entry_hash(prev, body) != row.hash:
            return Verdict(False, n, row.seq, "contents do not match the entry's hash (edited)")
        prev, expected_seq = row.hash, expected_seq + 1
    head_seq, head_hash = session.execute(
        text("SELECT seq, hash FROM audit_head WHERE id = 1")
    ).one()
    if head_seq != expected_seq - 1 or head_hash != prev:
        return Verdict(
            False,
            n,
            expected_seq,
            f"the chain ends at entry {expected_seq - 1} but the head says "
            f"{head_seq} (entries removed from the end)",
        )
    return Verdict(True, n)


def entries(session: Session, subject: str | None = None) -> list[AuditRow]:
    q = select(AuditRow).order_by(AuditRow.seq)
    if subject:
        q = q.where(AuditRow.subject == subject)
    return list(session.scalars(q))
