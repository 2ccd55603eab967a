"""Repository and unit of work: the only code that knows the domain is stored with SQLAlchemy.

Services take an `AbstractUnitOfWork`; `UnitOfWork(engine)` is the SQL one, and the domain tests
use an
in-memory one (tests/fake_uow.py). A unit of work can be entered again after it exits (each `with`
is a fresh transaction), never while it is open.
"""

from __future__ import annotations

import abc
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from contracts.adapters import audit
from contracts.adapters.envelope_repo import EnvelopeRepository
from contracts.adapters.orm import (
    AuditRow,
    ContractRow,
    SettingRow,
    TemplateRow,
    TemplateVersionRow,
)
from contracts.domain.contract import Contract
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind, ContractState
from contracts.domain.template import Template, TemplateVersion
from contracts.errors import FrozenVersionError, NotFound


class Repository:
    """Load and save aggregates; remembers what it handed out so the unit of work can collect
    events."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: list[Template | Contract] = []

    # ---- templates ----
    def add_template(self, t: Template) -> None:
        if self.session.get(TemplateRow, t.name) is not None:
            raise FrozenVersionError(f"template {t.name} already exists")
        self.session.add(
            TemplateRow(name=t.name, title=t.title, description=t.description, created_at=utcnow())
        )
        self.session.flush()
        self._sync_versions(t)
        self.seen.append(t)

    def get_template(self, name: str) -> Template:
        row = self.session.get(TemplateRow, name)
        if row is None:
            raise NotFound(f"no template named {name!r}")
        versions = self.session.scalars(
            select(TemplateVersionRow)
            .where(TemplateVersionRow.template_name == name)
            .order_by(TemplateVersionRow.number)
        ).all()
        t = Template(
            name=row.name,
            title=row.title,
            description=row.description,
            versions=[
                TemplateVersion(
                    v.number,
                    v.text,
                    list(v.requires),
                    v.status,
                    v.text_sha256,
                    v.schema_sha256,
                    v.published_at,
                )
                for v in versions
            ],
        )
        self.seen.append(t)
        return t

    def list_templates(self) -> list[Template]:
        return [
            self.get_template(n)
            for n in self.session.scalars(select(TemplateRow.name).order_by(TemplateRow.name))
        ]

    def save_template(self, t: Template) -> None:
        self._sync_versions(t)

    def _sync_versions(self, t: Template) -> None:
        rows = {
            r.number: r
            for r in self.session.scalars(
                select(TemplateVersionRow).where(TemplateVersionRow.template_name == t.name)
            )
        }
        for v in t.versions:
            row = rows.get(v.number)
            if row is None:
                self.session.add(
                    TemplateVersionRow(
                        template_name=t.name,
                        number=v.number,
                        text=v.text,
                        requires=list(v.requires),
                        status=v.status,
                        text_sha256=v.text_sha256,
                        schema_sha256=v.schema_sha256,
                        published_at=v.published_at,
                    )
                )
                continue
            if row.status == "published":
                if (row.text, list(row.requires)) != (
                    v.text,
                    list(v.requires),
                ) or v.status != "published":
                    raise FrozenVersionError(
                        f"{t.name} v{v.number} is published; its stored text cannot change"
                    )
                continue
            row.text, row.requires, row.status = v.text, list(v.requires), v.status
            row.text_sha256, row.schema_sha256, row.published_at = (
                v.text_sha256,
                v.schema_sha256,
                v.published_at,
            )

    # ---- contracts ----
    def add_contract(self, c: Contract) -> None:
        self.session.add(
            ContractRow(
                id=c.id,
                template_name=c.template_name,
                template_version=c.template_version,
                template_text_sha256=c.template_text_sha256,
                fields=c.fields,
                state=str(c.state),
                supersedes=c.supersedes,
                created_at=c.created_at,
                pdf_sha256=c.pdf_sha256,
            )
        )
        self.seen.append(c)

    def get_contract(self, contract_id: str) -> Contract:
        row = self.session.get(ContractRow, contract_id)
        if row is None:
            raise NotFound(f"no contract {contract_id!r}")
        c = self._to_domain(row)
        self.seen.append(c)
        return c

    def list_contracts(self, state: str | None = None) -> list[Contract]:
        q = select(ContractRow).order_by(ContractRow.created_at)
        if state:
            q = q.where(ContractRow.state == state)
        out = [self._to_domain(r) for r in self.session.scalars(q)]
        self.seen.extend(out)
        return out

    def family(self, contract_id: str) -> list[Contract]:
        """The contract, what it supersedes and what supersedes it, oldest first."""
        root = self.get_contract(contract_id)
        while root.supersedes:
            root = self.get_contract(root.supersedes)
        out, frontier = [root], [root.id]
        while frontier:
            kids = self.session.scalars(
                select(ContractRow).where(ContractRow.supersedes.in_(frontier))
            ).all()
            frontier = [k.id for k in kids]
            out.extend(self._to_domain(k) for k in kids)
        return out

    def save_contract(self, c: Contract) -> None:
        row = self.session.get(ContractRow, c.id)
        if row is None:
            raise NotFound(f"no contract {c.id!r}")
        row.state, row.fields, row.pdf_sha256 = str(c.state), c.fields, c.pdf_sha256

    @staticmethod
    def _to_domain(row: ContractRow) -> Contract:
        return Contract(
            id=row.id,
            template_name=row.template_name,
            template_version=row.template_version,
            template_text_sha256=row.template_text_sha256,
            fields=dict(row.fields),
            state=ContractState(row.state),
            supersedes=row.supersedes,
            created_at=row.created_at,
            pdf_sha256=row.pdf_sha256,
        )


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

    def setting(self, key: str) -> dict[str, Any] | None:
        row = self.session.get(SettingRow, key)
        return dict(row.value) if row is not None else None

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
        "kind": r.kind,
        "actor": r.actor,
        "ip": r.ip,
        "payload": r.payload,
    }
