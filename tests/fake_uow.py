"""An in-memory unit of work: the services run on it with no database, so the domain's rules and the
use cases can be tested on their own. It keeps what a real one keeps: aggregates only change when
saved and committed, events become the trail on commit, a rolled-back unit leaves nothing behind."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from contracts.adapters.unit_of_work import AbstractUnitOfWork
from contracts.domain.contract import Contract
from contracts.domain.envelope import Envelope
from contracts.domain.events import Event
from contracts.domain.lifecycle import EnvelopeState
from contracts.domain.signer import Signer, digest
from contracts.domain.template import Template
from contracts.errors import FrozenVersionError, InvalidToken, NotFound


@dataclass
class Stored:
    templates: dict[str, Template] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    envelopes: dict[str, Envelope] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    trail: list[Event] = field(default_factory=list)


def _kept(obj: Any) -> Any:
    """What the store keeps of an aggregate: its state, not its pending events."""
    c = copy.deepcopy(obj)
    c.events = []
    return c


class FakeRepository:
    def __init__(self, db: Stored, seen: list[Any]) -> None:
        self.db, self.seen = db, seen

    def _hand_out(self, obj: Any) -> Any:
        obj = copy.deepcopy(obj)
        self.seen.append(obj)
        return obj

    def add_template(self, t: Template) -> None:
        if t.name in self.db.templates:
            raise FrozenVersionError(f"template {t.name} already exists")
        self.db.templates[t.name] = _kept(t)
        self.seen.append(t)

    def get_template(self, name: str) -> Template:
        if name not in self.db.templates:
            raise NotFound(f"no template named {name!r}")
        return self._hand_out(self.db.templates[name])

    def list_templates(self) -> list[Template]:
        return [self.get_template(n) for n in sorted(self.db.templates)]

    def save_template(self, t: Template) -> None:
        self.db.templates[t.name] = _kept(t)

    def add_contract(self, c: Contract) -> None:
        self.db.contracts[c.id] = _kept(c)
        self.seen.append(c)

    def get_contract(self, contract_id: str) -> Contract:
        if contract_id not in self.db.contracts:
            raise NotFound(f"no contract {contract_id!r}")
        return self._hand_out(self.db.contracts[contract_id])

    def list_contracts(self, state: str | None = None) -> list[Contract]:
        return [
            self._hand_out(c)
            for c in self.db.contracts.values()
            if state is None or c.state == state
        ]

    def family(self, contract_id: str) -> list[Contract]:
        root = self.get_contract(contract_id)
        while root.supersedes:
            root = self.get_contract(root.supersedes)
        out, frontier = [root], [root.id]
        while frontier:
            kids = [c for c in self.db.contracts.values() if c.supersedes in frontier]
            frontier = [k.id for k in kids]
            out.extend(self._hand_out(k) for k in kids)
        return out

    def save_contract(self, c: Contract) -> None:
        if c.id not in self.db.contracts:
            raise NotFound(f"no contract {c.id!r}")
        self.db.contracts[c.id] = _kept(c)


class FakeEnvelopes:
    _ids = itertools.count(1)

    def __init__(self, db: Stored, seen: list[Any]) -> None:
        self.db, self.seen = db, seen

    def add(self, env: Envelope) -> None:
        self.db.envelopes[env.id] = _kept(env)
        self.seen.append(env)

    def get(self, envelope_id: str, lock: bool = False) -> Envelope:
        if envelope_id not in self.db.envelopes:
            raise NotFound(f"no envelope {envelope_id!r}")
        env = copy.deepcopy(self.db.envelopes[envelope_id])
        self.seen.append(env)
        return env

    def by_token(self, token: str, lock: bool = False) -> tuple[Envelope, Signer]:
        h = digest(token)
        for env_id, env in self.db.envelopes.items():
            for s in env.signers:
                if h in s.token_hashes:
                    loaded = self.get(env_id, lock)
                    return loaded, loaded.signer(s.id)
        raise InvalidToken("this link is not valid")

    def for_contract(self, contract_id: str) -> list[Envelope]:
        return [self.get(e.id) for e in self.db.envelopes.values() if e.contract_id == contract_id]

    def open_envelopes(self) -> list[Envelope]:
        return [
            self.get(e.id) for e in self.db.envelopes.values() if e.status == EnvelopeState.SENT
        ]

    def save(self, env: Envelope) -> None:
        self.db.envelopes[env.id] = _kept(env)

    def store_document(self, envelope_id: str, kind: str, filename: str, data: bytes) -> int:
        doc_id = next(self._ids)
        self.db.documents.append(
            {
                "id": doc_id,
                "envelope_id": envelope_id,
                "kind": kind,
                "filename": filename,
                "data": data,
            }
        )
        return doc_id

    def document(self, envelope_id: str, kind: str) -> Any:
        for d in reversed(self.db.documents):
            if d["envelope_id"] == envelope_id and d["kind"] == kind:
                return type("Doc", (), d)
        raise NotFound(f"envelope {envelope_id} has no {kind} document")

    def queue_mail(
        self,
        to: str,
        subject: str,
        body: str,
        envelope_id: str | None = None,
        attachments: list[int] | None = None,
    ) -> None:
        self.db.outbox.append(
            {
                "to": to,
                "subject": subject,
                "body": body,
                "envelope_id": envelope_id,
                "attachments": list(attachments or []),
            }
        )


class FakeUnitOfWork(AbstractUnitOfWork):
    def __init__(self, db: Stored | None = None) -> None:
        self.db = db or Stored()
        self._open = False

    def __enter__(self) -> Self:
        if self._open:
            raise RuntimeError("this unit of work is already open")
        self._open, self._committed = True, False
        self._snapshot = copy.deepcopy(self.db)
        self.seen: list[Any] = []
        self.extra: list[Event] = []
        self.repo = FakeRepository(self.db, self.seen)
        self.envelopes = FakeEnvelopes(self.db, self.seen)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:  # like a rollback: nothing of this unit stays
            self.db.__dict__.update(self._snapshot.__dict__)
        self._open = False

    def record(self, event: Event) -> None:
        self.extra.append(event)

    def commit(self) -> None:
        for agg in self.seen:
            self.db.trail.extend(agg.events)
            agg.events.clear()
        self.db.trail.extend(self.extra)
        self.extra.clear()
        self._snapshot = copy.deepcopy(self.db)
        self._committed = True

    def setting(self, key: str) -> dict[str, Any] | None:
        return self.db.settings.get(key)

    def audit_entries(self, subject: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "seq": i + 1,
                "at": e.at.isoformat(),
                "kind": str(e.kind),
                "actor": e.actor,
                "ip": e.ip,
                "payload": e.payload,
            }
            for i, e in enumerate(self.db.trail)
            if subject is None or e.aggregate == subject
        ]
