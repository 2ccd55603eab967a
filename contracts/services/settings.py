"""Workflow defaults an admin sets once (the product's suggested settings out of the box).

Reminders every 48 hours until completed, sequential routing, e-mail link plus one-time code,
envelopes
expiring after 30 days, records kept seven years. Stored in the `settings` table; every change is
an audit
entry naming the fields that changed, from what, to what.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.adapters.unit_of_work import AbstractUnitOfWork, UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import SettingsError

WORKFLOW_KEY = "workflow"
AUTH_METHODS = {
    "email_code": "E-mail link + one-time code",
    "email_link": "E-mail link only",
    "sms_code": "E-mail link + SMS code",
}


class WorkflowDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reminder_hours: float = Field(
        48.0, ge=1, le=720, description="remind unsigned signers every N hours"
    )
    routing: Literal["sequential", "parallel"] = Field(
        "sequential", description="default order of signers"
    )
    auth_method: Literal["email_code", "email_link", "sms_code"] = "email_code"
    expires_days: int = Field(
        30, ge=1, le=365, description="an unfinished envelope expires after N days"
    )
    retention_years: int = Field(
        7, ge=1, le=50, description="keep contracts and documents N years after their end"
    )


def workflow_defaults(uow: AbstractUnitOfWork) -> WorkflowDefaults:
    with uow:
        stored = uow.setting(WORKFLOW_KEY)
        return WorkflowDefaults.model_validate(stored) if stored else WorkflowDefaults()


def set_workflow_defaults(uow: UnitOfWork, values: dict, actor: str) -> WorkflowDefaults:
    """Validate and store; the audit entry records each changed field as [old, new]."""
    try:
        new = WorkflowDefaults.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from exc
    with uow:
        stored = uow.setting(WORKFLOW_KEY)
        old = WorkflowDefaults.model_validate(stored) if stored else WorkflowDefaults()
        changed = {
            k: [getattr(old, k), v] for k, v in new.model_dump().items() if getattr(old, k) != v
        }
        if not changed:
            return new
        uow.put_setting(WORKFLOW_KEY, new.model_dump(mode="json"), actor)
        uow.record(
            Event(
                AuditKind.SETTINGS_WORKFLOW_CHANGED, "settings:workflow", changed, utcnow(), actor
            )
        )
        uow.commit()
    return new


class IngestChoices(BaseModel):
    """What a support manager answered for one source of exports (a profile and its columns), so
    the next upload of the same source starts with those answers."""

    tz: str | None = Field(None, max_length=64)
    contract: str | None = Field(None, max_length=100)
    date_order: str | None = Field(None, max_length=20)


def _ingest_key(source: str) -> str:
    return "ingest_source:" + hashlib.sha256(source.encode()).hexdigest()[:40]


def ingest_choices(uow: AbstractUnitOfWork, source: str) -> IngestChoices:
    with uow:
        stored = uow.setting(_ingest_key(source))
        return IngestChoices.model_validate(stored) if stored else IngestChoices()


def remember_ingest_choices(uow: UnitOfWork, source: str, choices: dict, actor: str) -> None:
    """Store the answers of an ingest that loaded rows (audited when they change)."""
    try:
        new = IngestChoices.model_validate(choices)
    except ValidationError as exc:
        raise SettingsError(str(exc)) from exc
    key = _ingest_key(source)
    with uow:
        stored = uow.setting(key)
        old = IngestChoices.model_validate(stored) if stored else IngestChoices()
        if old == new:
            return
        uow.put_setting(key, new.model_dump(mode="json"), actor)
        uow.record(
            Event(
                AuditKind.SETTINGS_INGEST_SOURCE_REMEMBERED,
                f"settings:{key}",
                {"from": old.model_dump(), "to": new.model_dump()},
                utcnow(),
                actor,
            )
        )
        uow.commit()
