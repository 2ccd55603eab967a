"""Templates: clause text whose versions freeze when published; editing a published one starts a
draft."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import datetime

from contracts.domain.events import Event, sha256_text, utcnow
from contracts.domain.fields import ContractFields
from contracts.domain.lifecycle import AuditKind
from contracts.errors import FrozenVersionError, NotFound


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
        return json.dumps(
            {"fields": ContractFields.model_json_schema(), "requires": sorted(self.requires)},
            sort_keys=True,
        )


@dataclass
class Template:
    name: str
    title: str
    description: str = ""
    versions: list[TemplateVersion] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        name: str,
        title: str,
        text: str,
        requires: list[str],
        description: str = "",
        actor: str = "system",
    ) -> Template:
        t = cls(name=name, title=title, description=description)
        t.versions.append(TemplateVersion(1, text, list(requires)))
        t.events.append(Event(AuditKind.TEMPLATE_CREATED, name, {"version": 1}, actor=actor))
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

    def edit(
        self, text: str, requires: list[str] | None = None, actor: str = "system"
    ) -> TemplateVersion:
        """Change the draft; editing a published version starts a new draft version."""
        v = self.latest
        if v.frozen:
            v = TemplateVersion(
                v.number + 1, text, list(requires if requires is not None else v.requires)
            )
            self.versions.append(v)
            self.events.append(
                Event(
                    AuditKind.TEMPLATE_DRAFT_CREATED, self.name, {"version": v.number}, actor=actor
                )
            )
        else:
            v.text = text
            if requires is not None:
                v.requires = list(requires)
            self.events.append(
                Event(
                    AuditKind.TEMPLATE_DRAFT_EDITED, self.name, {"version": v.number}, actor=actor
                )
            )
        return v

    def edit_version(self, number: int, text: str) -> None:
        """Editing a specific version in place: refused once it is published."""
        v = self.version(number)
        if v.frozen:
            raise FrozenVersionError(
                f"{self.name} v{number} is published and frozen; edit() makes a new draft"
            )
        v.text = text

    def publish(self, number: int | None = None, actor: str = "system") -> TemplateVersion:
        v = self.latest if number is None else self.version(number)
        if v.frozen:
            raise FrozenVersionError(f"{self.name} v{v.number} is already published")
        v.status = "published"
        v.text_sha256 = sha256_text(v.text)
        v.schema_sha256 = sha256_text(v.schema_text())
        v.published_at = utcnow()
        self.events.append(
            Event(
                AuditKind.TEMPLATE_PUBLISHED,
                self.name,
                {
                    "version": v.number,
                    "text_sha256": v.text_sha256,
                    "schema_sha256": v.schema_sha256,
                },
                actor=actor,
            )
        )
        return v

    def diff(self, a: int, b: int) -> str:
        """A readable unified diff of two versions' text (and their requirements)."""
        va, vb = self.version(a), self.version(b)
        lines = list(
            difflib.unified_diff(
                va.text.splitlines(),
                vb.text.splitlines(),
                fromfile=f"{self.name} v{a}",
                tofile=f"{self.name} v{b}",
                lineterm="",
            )
        )
        if sorted(va.requires) != sorted(vb.requires):
            lines.append(f"requires: {sorted(va.requires)} -> {sorted(vb.requires)}")
        return "\n".join(lines) if lines else f"{self.name} v{a} and v{b} are identical"
