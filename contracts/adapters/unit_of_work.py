"""Units of work. Services take an `AbstractUnitOfWork`; `UnitOfWork(engine)` is the SQL one,
and the domain tests use an in-memory one (tests/fake_uow.py).

A unit of work can be entered again after it exits (each `with` is a fresh transaction), never
while it is open. Commit writes the aggregates it handed out and their domain events, as chained
audit entries, in one transaction.
"""

from __future__ import annotations

import abc
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from contracts.adapters import audit, audit_anchor
from contracts.adapters.accounts import Accounts, SignInSessions, ThrottleCounters
from contracts.adapters.alert_log import AlertLog
from contracts.adapters.closed_months import ClosedMonthRepository
from contracts.adapters.connection_repo import ConnectionRepository
from contracts.adapters.envelope_repo import EnvelopeRepository
from contracts.adapters.notice_log import NoticeLog
from contracts.adapters.orm import AuditRow, SettingRow
from contracts.adapters.repository import Repository
from contracts.adapters.retention_repo import RetentionRepository
from contracts.adapters.routing_repo import RoutingRepository
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind


class AbstractUnitOfWork(abc.ABC):
    """What a service needs: repositories, a place for events with no aggregate, commit, the
    trail."""

    repo: Any
    envelopes: Any

    @abc.abstractmethod
    def __enter__(self) -> Self: ...

    @abc.abstractmethod
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    @abc.abstractmethod
    def record(self, event: Event) -> None:
        """An audit entry that belongs to no aggregate change (a view, a download, a failed
        code)."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Aggregates and their events in one transaction."""

    @abc.abstractmethod
    def setting(self, key: str) -> dict[str, Any] | None:
        """A stored setting (the Admin page's workflow defaults, ...), None when never set."""

    @abc.abstractmethod
    def audit_entries(self, subject: str | None = None) -> list[dict[str, Any]]:
        """Entries of the audit trail (oldest first): seq, at, kind, actor, ip, payload."""


class UnitOfWork(AbstractUnitOfWork):
    """One transaction: commit writes the aggregates and their domain events together, or
    nothing."""

    session: Session

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(bind=engine, expire_on_commit=False)
        self._open = False

    def __enter__(self) -> Self:
        if self._open:
            raise RuntimeError("this unit of work is already open; use one `with` at a time")
        self._open = True
        self.session = self._factory()
        self.repo = Repository(self.session)
        self.envelopes = EnvelopeRepository(self.session, self.repo.seen)
        self.closed_months = ClosedMonthRepository(self.session)
        self.notices = NoticeLog(self.session)
        self.alert_log = AlertLog(self.session)
        self.routing = RoutingRepository(self.session)
        self.accounts = Accounts(self.session)
        self.sign_ins = SignInSessions(self.session)
        self.throttle = ThrottleCounters(self.session)
        self.retention = RetentionRepository(self.session)
        self.connections = ConnectionRepository(self.session)
        self.extra_events: list[Event] = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.session.rollback()
        self.session.close()
        self._open = False

    def record(self, event: Event) -> None:
        self.extra_events.append(event)

    def commit(self) -> None:
        """Aggregates and their events (as chained audit entries) in one transaction."""
        for agg in self.repo.seen:
            for e in agg.events:
                audit.append(self.session, e)
            agg.events.clear()
        for e in self.extra_events:
            audit.append(self.session, e)
        self.extra_events.clear()
        self.session.commit()

    def audit_entries(self, subject: str | None = None) -> list[dict[str, Any]]:
        return [_entry(r) for r in audit.entries(self.session, subject)]

    def verify_trail(
        self,
        extra: list[dict[str, Any]] | None = None,
        trusted: list[Any] | None = None,
        use_journal: bool = True,
    ) -> audit.Verdict:
        """The audit trail checked: its hash chain, its signed checkpoints (and `extra` ones kept
        elsewhere), the journal outside the database (audit_anchor.verify)."""
        return audit_anchor.verify(self.session, extra, trusted, use_journal=use_journal)

    def checkpoints(self) -> list[dict[str, Any]]:
        """Every signed checkpoint, as exported to be kept outside the database."""
        return audit_anchor.as_records(self.session)

    def setting(self, key: str) -> dict[str, Any] | None:
        row = self.session.get(SettingRow, key)
        return dict(row.value) if row is not None else None

    def settings_under(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every setting whose key starts with `prefix` (e.g. each saved import recipe)."""
        rows = self.session.scalars(
            select(SettingRow).where(SettingRow.key.startswith(prefix, autoescape=True))
        )
        return {r.key: dict(r.value) for r in rows}

    def put_setting(self, key: str, value: dict[str, Any], actor: str) -> None:
        """Create or replace one setting (the caller records the audit event)."""
        row = self.session.get(SettingRow, key)
        if row is None:
            row = SettingRow(key=key)
            self.session.add(row)
        row.value, row.updated_by, row.updated_at = value, actor, utcnow()

    def events(self, aggregate: str | None = None) -> list[Event]:
        return [
            Event(
                AuditKind(r.kind),
                r.subject,
                dict(r.payload),
                datetime.fromisoformat(r.at),
                r.actor,
                r.ip,
                r.user_agent,
            )
            for r in audit.entries(self.session, aggregate)
        ]


def _entry(r: AuditRow) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "at": r.at,
        "subject": r.subject,
        "kind": r.kind,
        "actor": r.actor,
        "ip": r.ip,
        "payload": r.payload,
        "hash": r.hash,
    }
