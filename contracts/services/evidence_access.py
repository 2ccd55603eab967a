"""Who viewed or exported evidence for a contract: one audit entry per export (its format) and per
first view in a session of a month's breach evidence, so a contract's trail says who saw what."""

from __future__ import annotations

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind

FORMATS = ("view", "csv", "xlsx", "pdf", "sealed pdf")


def record(
    uow: UnitOfWork, actor: str, contract_id: str, what: str, fmt: str, ip: str | None = None
) -> None:
    """Audit one view or export of `what` (e.g. "2026-10 P1 resolution breaches") as `fmt`."""
    kind = AuditKind.EVIDENCE_VIEWED if fmt == "view" else AuditKind.EVIDENCE_EXPORTED
    with uow:
        uow.record(
            Event(
                kind,
                contract_id,
                {"what": what[:200], "format": fmt if fmt in FORMATS else "other"},
                utcnow(),
                actor or "(unknown)",
                ip,
            )
        )
        uow.commit()
