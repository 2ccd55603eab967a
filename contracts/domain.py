"""Domain: templates with frozen versions, contracts with a lifecycle. No SQLAlchemy, no Streamlit.

Every state change appends a domain event to `events`; the unit of work turns them into rows of the
event log that the audit trail (signing issue) records.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .errors import FrozenVersionError, IllegalTransition, NotFound
from .fields import ContractFields

STATES = ("draft", "out_for_signature", "signed", "declined", "voided", "expired", "terminated")
TRANSITIONS: dict[str, set[str]] = {
    "draft": {"out_for_signature"},
    "out_for_signature": {"signed", "declined", "voided"},
    "declined": {"draft", "out_for_signature"},  # a declined attempt ends; the contract can be fixed and resent
    "voided": {"draft", "out_for_signature"},
    "signed": {"expired", "terminated"},
    "expired": set(),
    "terminated": set(),
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Event:
    """Something that happened to an aggregate (type, aggregate id, payload, time)."""

    kind: str
    aggregate: str
    payload: dict[str, Any]
    at: datetime = field(default_factory=utcnow)
    actor: str = "system"
    ip: str | None = None
    user_agent: str | None = None


@dataclass
class TemplateVersion:
    number: int
    text: str
    requires: list[str]
    status: str = "draft"  # draft | published
    text_sha256: str | None = None
    schema_sha256: str | None = None
    published_at: datetime | None = None

    @property
    def frozen(self) -> bool:
        return self.status == "published"

    def schema_text(self) -> str:
        """The typed field schema this version asks for (JSON Schema + its extra requirements)."""
        return json.dumps({"fields": ContractFields.model_json_schema(), "requires": sorted(self.requires)},
                          sort_keys=True)


@dataclass
class Template:
    name: str
    title: str
    description: str = ""
    versions: list[TemplateVersion] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @classmethod
    def create(cls, name: str, title: str, text: str, requires: list[str], description: str = "",
               actor: str = "system") -> "Template":
        t = cls(name=name, title=title, description=description)
        t.versions.append(TemplateVersion(1, text, list(requires)))
        t.events.append(Event("template.created", name, {"version": 1}, actor=actor))
        return t

    def version(self, number: int | None = None) -> TemplateVersion:
        """A version by number; None = the latest published one."""
        if number is None:
            published = [v for v in self.versions if v.frozen]
            if not published:
                raise NotFound(f"template {self.name} has no published version")
            return published[-1]
        for v in self.versions:
            if v.number == number:
                return v
        raise NotFound(f"template {self.name} has no version {number}")

    @property
    def latest(self) -> TemplateVersion:
        return self.versions[-1]

    def edit(self, text: str, requires: list[str] | None = None, actor: str = "system") -> TemplateVersion:
        """Change the draft; editing a published version starts a new draft version."""
        v = self.latest
        if v.frozen:
            v = TemplateVersion(v.number + 1, text, list(requires if requires is not None else v.requires))
            self.versions.append(v)
            self.events.append(Event("template.draft_created", self.name, {"version": v.number}, actor=actor))
        else:
            v.text = text
            if requires is not None:
                v.requires = list(requires)
            self.events.append(Event("template.draft_edited", self.name, {"version": v.number}, actor=actor))
        return v

    def edit_version(self, number: int, text: str) -> None:
        """Editing a specific version in place: refused once it is published."""
        v = self.version(number)
        if v.frozen:
            raise FrozenVersionError(f"{self.name} v{number} is published and frozen; edit() makes a new draft")
        v.text = text

    def publish(self, number: int | None = None, actor: str = "system") -> TemplateVersion:
        v = self.latest if number is None else self.version(number)
        if v.frozen:
            raise FrozenVersionError(f"{self.name} v{v.number} is already published")
        v.status = "published"
        v.text_sha256 = sha256_text(v.text)
        v.schema_sha256 = sha256_text(v.schema_text())
        v.published_at = utcnow()
        self.events.append(Event("template.published", self.name,
                                 {"version": v.number, "text_sha256": v.text_sha256,
                                  "schema_sha256": v.schema_sha256}, actor=actor))
        return v

    def diff(self, a: int, b: int) -> str:
        """A readable unified diff of two versions' text (and their requirements)."""
        va, vb = self.version(a), self.version(b)
        lines = list(difflib.unified_diff(
            va.text.splitlines(), vb.text.splitlines(),
            fromfile=f"{self.name} v{a}", tofile=f"{self.name} v{b}", lineterm=""))
        if sorted(va.requires) != sorted(vb.requires):
            lines.append(f"requires: {sorted(va.requires)} -> {sorted(vb.requires)}")
        return "\n".join(lines) if lines else f"{self.name} v{a} and v{b} are identical"


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    import calendar as _cal

    return date(y, m, min(d.day, _cal.monthrange(y, m)[1]))


@dataclass
class Contract:
    id: str
    template_name: str
    template_version: int
    template_text_sha256: str
    fields: dict[str, Any]
    state: str = "draft"
    supersedes: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    pdf_sha256: str | None = None
    events: list[Event] = field(default_factory=list)

    @classmethod
    def create(cls, template: Template, version: TemplateVersion, fields: ContractFields,
               supersedes: str | None = None, actor: str = "system") -> "Contract":
        if not version.frozen:
            raise IllegalTransition(f"{template.name} v{version.number} is a draft; publish it before use")
        c = cls(id=f"C-{uuid.uuid4().hex[:10].upper()}", template_name=template.name,
                template_version=version.number, template_text_sha256=version.text_sha256 or "",
                fields=fields.model_dump(mode="json"), supersedes=supersedes)
        c.events.append(Event("contract.created", c.id, {"template": template.name, "version": version.number,
                                                        "supersedes": supersedes}, actor=actor))
        return c

    @property
    def typed(self) -> ContractFields:
        return ContractFields.model_validate(self.fields)

    def transition(self, to: str, actor: str = "system", reason: str | None = None) -> None:
        if to not in STATES:
            raise IllegalTransition(f"unknown state {to!r}")
        if to not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"contract {self.id}: cannot go from {self.state} to {to}")
        frm, self.state = self.state, to
        self.events.append(Event("contract.state_changed", self.id,
                                 {"from": frm, "to": to, "reason": reason}, actor=actor))

    def record_pdf(self, sha256: str, actor: str = "system") -> None:
        """The fingerprint of the document people will sign (drafts only: later states keep theirs)."""
        if self.state != "draft":
            raise IllegalTransition(f"contract {self.id} is {self.state}; its document is fixed")
        self.pdf_sha256 = sha256
        self.events.append(Event("contract.pdf_rendered", self.id, {"sha256": sha256}, actor=actor))

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
