"""Contracts: field values from one frozen template version, a lifecycle (see lifecycle.py), term
dates."""

from __future__ import annotations

import calendar
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from contracts.domain.events import Event, utcnow
from contracts.domain.fields import ContractFields
from contracts.domain.lifecycle import CONTRACT_TRANSITIONS, AuditKind, ContractState
from contracts.domain.template import Template, TemplateVersion
from contracts.errors import FieldsError, IllegalTransition

CONTRACT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


@dataclass
class Contract:
    id: str
    template_name: str
    template_version: int
    template_text_sha256: str
    fields: dict[str, Any]
    state: ContractState = ContractState.DRAFT
    supersedes: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    pdf_sha256: str | None = None
    events: list[Event] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        template: Template,
        version: TemplateVersion,
        fields: ContractFields,
        supersedes: str | None = None,
        actor: str = "system",
        contract_id: str | None = None,
    ) -> Contract:
        """A draft; `contract_id` is the contract number legal chose (letters, digits, . _ -),
        else one is generated."""
        if contract_id is not None and not CONTRACT_NUMBER.match(contract_id):
            raise FieldsError(
                [
                    (
                        "contract number",
                        "1 to 40 letters, digits, '.', '_' or '-', starting with a letter or digit",
                    )
                ]
            )
        if not version.frozen:
            raise IllegalTransition(
                f"{template.name} v{version.number} is a draft; publish it before use"
            )
        c = cls(
            id=contract_id or f"C-{uuid.uuid4().hex[:10].upper()}",
            template_name=template.name,
            template_version=version.number,
            template_text_sha256=version.text_sha256 or "",
            fields=fields.model_dump(mode="json"),
            supersedes=supersedes,
        )
        c.events.append(
            Event(
                AuditKind.CONTRACT_CREATED,
                c.id,
                {"template": template.name, "version": version.number, "supersedes": supersedes},
                actor=actor,
            )
        )
        return c

    @property
    def typed(self) -> ContractFields:
        return ContractFields.model_validate(self.fields)

    def transition(self, to: str, actor: str = "system", reason: str | None = None) -> None:
        """Move along CONTRACT_TRANSITIONS (lifecycle.py); anything else is an IllegalTransition."""
        try:
            target = ContractState(to)
        except ValueError:
            raise IllegalTransition(f"unknown state {to!r}") from None
        if target not in CONTRACT_TRANSITIONS[self.state]:
            raise IllegalTransition(f"contract {self.id}: cannot go from {self.state} to {target}")
        frm, self.state = self.state, target
        self.events.append(
            Event(
                AuditKind.CONTRACT_STATE_CHANGED,
                self.id,
                {"from": frm, "to": to, "reason": reason},
                actor=actor,
            )
        )

    def edit(self, fields: ContractFields, actor: str) -> None:
        """New field values for a draft (a sent or signed contract's text is fixed); the audit
        entry names the fields that changed."""
        if self.state != ContractState.DRAFT:
            raise IllegalTransition(
                f"contract {self.id} is {self.state}; only a draft can be edited"
            )
        new = fields.model_dump(mode="json")
        changed = sorted(k for k in set(new) | set(self.fields) if new.get(k) != self.fields.get(k))
        self.fields = new
        self.pdf_sha256 = None
        self.events.append(
            Event(AuditKind.CONTRACT_DRAFT_EDITED, self.id, {"changed": changed}, actor=actor)
        )

    def record_pdf(self, sha256: str, actor: str = "system") -> None:
        """The fingerprint of the document people will sign (drafts only: later states keep
        theirs)."""
        if self.state != ContractState.DRAFT:
            raise IllegalTransition(f"contract {self.id} is {self.state}; its document is fixed")
        self.pdf_sha256 = sha256
        self.events.append(
            Event(AuditKind.CONTRACT_PDF_RENDERED, self.id, {"sha256": sha256}, actor=actor)
        )

    # ---- term and renewal ----
    @property
    def start(self) -> date:
        return self.typed.start_date

    @property
    def end(self) -> date:
        return self.typed.end_date

    def renewal_date(self) -> date:
        """The day the next term starts (the day after the end date)."""
        return self.end + timedelta(days=1)

    def notice_deadline(self) -> date:
        """Last day to give notice of non-renewal."""
        return self.end - timedelta(days=self.typed.notice_period_days)

    def renewal_status(self, today: date) -> str:
        """Where the contract stands on renewal today, in words: notice still due, notice missed
        (it renews, or lapses without auto-renewal), renewed, lapsed, or ended."""
        if self.state in (ContractState.TERMINATED, ContractState.EXPIRED):
            return f"ended ({self.state})"
        if self.state != ContractState.SIGNED:
            return f"not signed ({self.state})"
        deadline, end, renews = self.notice_deadline(), self.end, self.renewal_date()
        months = self.typed.renewal_term_months
        if today <= deadline:
            return f"notice due by {deadline} ({(deadline - today).days} days left)"
        if today <= end:
            if self.typed.auto_renew:
                return (
                    f"notice missed ({(today - deadline).days} days ago): renews {renews} for "
                    f"{months} months"
                )
            return f"lapses on {end} (no auto-renewal)"
        if self.typed.auto_renew:
            return f"renewed on {renews} for {months} months (no notice on file)"
        return f"lapsed on {end}"
