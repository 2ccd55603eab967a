"""Retention: signed contracts, their documents and the audit trail are kept at least N years
(default 7, set on the Admin page)
from the contract's end; a legal hold blocks deletion indefinitely; a purge after retention removes
the
contract's data and documents and leaves an audit entry of what was purged. Audit entries
themselves are
never deleted by the application (the chain would break, and they are the evidence of the purge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.contract import add_months
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import NotFound, RetentionError

RETENTION_KEY = "retention"


class RetentionOverrides(BaseModel):
    """Years to keep, per template and per contract, over the default (workflow defaults)."""

    model_config = ConfigDict(extra="forbid")
    per_template: dict[str, int] = Field(default_factory=dict)
    per_contract: dict[str, int] = Field(default_factory=dict)


def overrides(uow: UnitOfWork) -> RetentionOverrides:
    with uow:
        stored = uow.setting(RETENTION_KEY)
        return RetentionOverrides.model_validate(stored) if stored else RetentionOverrides()


def set_overrides(uow: UnitOfWork, values: dict, actor: str) -> RetentionOverrides:
    """Validate (1 to 50 years; templates and contracts that exist) and store, audited with the
    old and new values."""
    try:
        new = RetentionOverrides.model_validate(values)
    except ValidationError as exc:
        raise RetentionError(str(exc)) from exc
    for name, years in [*new.per_template.items(), *new.per_contract.items()]:
        if not 1 <= years <= 50:
            raise RetentionError(f"{name}: keep 1 to 50 years, not {years}")
    with uow:
        for name in new.per_template:
            if not uow.retention.template_exists(name):
                raise RetentionError(f"no template {name!r}")
        for cid in new.per_contract:
            if not uow.retention.contract_exists(cid):
                raise RetentionError(f"no contract {cid!r}")
        stored = uow.setting(RETENTION_KEY)
        old = RetentionOverrides.model_validate(stored) if stored else RetentionOverrides()
        if old == new:
            return new
        uow.put_setting(RETENTION_KEY, new.model_dump(), actor)
        uow.record(
            Event(
                AuditKind.SETTINGS_RETENTION_CHANGED,
                "settings:retention",
                {"from": old.model_dump(), "to": new.model_dump()},
                utcnow(),
                actor,
            )
        )
        uow.commit()
    return new


def retention_years(uow: UnitOfWork, contract_id: str | None = None) -> int:
    """The contract's own setting, else its template's, else the Admin page's default (seven
    years unless an admin changed it)."""
    from contracts.services.settings import workflow_defaults

    default = workflow_defaults(uow).retention_years
    if contract_id is None:
        return default
    o = overrides(uow)
    if contract_id in o.per_contract:
        return o.per_contract[contract_id]
    with uow:
        template = uow.retention.template_of(contract_id)
    return o.per_template.get(template or "", default)


@dataclass(frozen=True)
class RetentionStatus:
    contract_id: str
    keep_until: date
    holds: list[str]

    def can_purge(self, today: date) -> bool:
        return today > self.keep_until and not self.holds


def status(uow: UnitOfWork, contract_id: str) -> RetentionStatus:
    # read first: one unit of work at a time (SQLite writes are exclusive)
    years = retention_years(uow, contract_id)
    with uow:
        c = uow.repo.get_contract(contract_id)
        end = c.typed.end_date
        holds = [h.reason for h in uow.retention.open_holds(contract_id)]
        return RetentionStatus(contract_id, add_months(end, 12 * years), holds)


def place_hold(uow: UnitOfWork, contract_id: str, reason: str, actor: str) -> None:
    if not reason.strip():
        raise RetentionError("a legal hold needs a reason (matter, case number)")
    with uow:
        uow.repo.get_contract(contract_id)
        uow.retention.place_hold(contract_id, reason, actor, utcnow())
        uow.record(
            Event(AuditKind.RETENTION_HOLD_PLACED, contract_id, {"reason": reason}, utcnow(), actor)
        )
        uow.commit()


def release_hold(uow: UnitOfWork, contract_id: str, actor: str) -> int:
    with uow:
        holds = uow.retention.open_holds(contract_id)
        for h in holds:
            h.released_by, h.released_at = actor, utcnow()
        uow.record(
            Event(
                AuditKind.RETENTION_HOLD_RELEASED,
                contract_id,
                {"holds": len(holds)},
                utcnow(),
                actor,
            )
        )
        uow.commit()
        return len(holds)


def purge(uow: UnitOfWork, contract_id: str, actor: str, today: date | None = None) -> dict:
    """Delete a contract whose retention has passed and that is not on hold; returns (and audits)
    what went."""
    today = today or utcnow().date()
    st = status(uow, contract_id)
    if st.holds:
        raise RetentionError(
            f"contract {contract_id} is under legal hold ({'; '.join(st.holds)}); deletion refused"
        )
    if today <= st.keep_until:
        raise RetentionError(
            f"contract {contract_id} must be kept until {st.keep_until} "
            f"({retention_years(uow, contract_id)} years after its end); deletion refused"
        )
    with uow:
        gone = uow.retention.purge(contract_id)
        if gone is None:
            raise NotFound(f"no contract {contract_id!r}")
        what = {
            "contract": contract_id,
            "template": gone.template,
            "envelopes": gone.envelopes,
            "documents": [{"kind": k, "file": f, "sha256": h} for k, f, h in gone.documents],
            "kept_until": st.keep_until.isoformat(),
        }
        uow.record(Event(AuditKind.RETENTION_PURGED, contract_id, what, utcnow(), actor))
        uow.commit()
        return what
