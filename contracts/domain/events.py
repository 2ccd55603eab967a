"""Domain events: something that happened to an aggregate. The unit of work turns them into audit
entries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.domain.lifecycle import AuditKind


def utcnow() -> datetime:
    return datetime.now(UTC)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Event:
    """Kind (one of `AuditKind`), the aggregate it concerns, payload, time, and who did it from
    where."""

    kind: AuditKind
    aggregate: str
    payload: dict[str, Any]
    at: datetime = field(default_factory=utcnow)
    actor: str = "system"
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class EnvelopeCompleted:
    """Every signer signed and the document is sealed: what the contract says is now binding, so
    it can be measured. Handled once, by flows/bus.py, wherever the completion happened (the
    signing page, the Contracts page's retry, the CLI, the worker, the demo)."""

    envelope_id: str
    contract_id: str
