"""Saved import recipes: named, versioned, audited texts.

The recipe's meaning belongs to the SLA engine (sla_engine/recipes); this service keeps what a
support manager saved on the Ingest page, every version of it, and who saved it. flows/recipes.py
validates a text before it reaches here, so what is stored always parses.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import SettingsError

PREFIX = "import_recipe:"
MAX_VERSIONS = 50
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,47}$")


@dataclass(frozen=True)
class SavedRecipe:
    name: str
    version: int
    text: str
    saved_by: str
    saved_at: str


def _key(name: str) -> str:
    return PREFIX + name.strip().lower()


def _versions(value: dict) -> list[SavedRecipe]:
    return [SavedRecipe(**v) for v in value.get("versions", [])]


def save_recipe(uow: UnitOfWork, name: str, text: str, actor: str) -> SavedRecipe:
    """Store `text` as the next version of recipe `name` (nothing when it is unchanged)."""
    if not NAME.match(name.strip()):
        raise SettingsError(
            f"recipe name {name[:60]!r}: use 1 to 48 letters, digits, spaces, dots, dashes or "
            "underscores"
        )
    with uow:
        stored = uow.setting(_key(name)) or {}
        versions = _versions(stored)
        if versions and versions[-1].text == text:
            return versions[-1]
        saved = SavedRecipe(
            name.strip(),
            (versions[-1].version + 1) if versions else 1,
            text,
            actor,
            utcnow().isoformat(timespec="seconds"),
        )
        kept = [*versions, saved][-MAX_VERSIONS:]
        uow.put_setting(_key(name), {"versions": [v.__dict__ for v in kept]}, actor)
        uow.record(
            Event(
                AuditKind.RECIPE_SAVED,
                f"recipe:{saved.name}",
                {
                    "name": saved.name,
                    "version": saved.version,
                    "sha256": hashlib.sha256(text.encode()).hexdigest(),
                },
                utcnow(),
                actor,
            )
        )
        uow.commit()
    return saved


def saved_recipes(uow: UnitOfWork) -> dict[str, SavedRecipe]:
    """The latest version of every saved recipe, by name."""
    with uow:
        rows = uow.settings_under(PREFIX)
    out = {}
    for value in rows.values():
        versions = _versions(value)
        if versions:
            out[versions[-1].name] = versions[-1]
    return dict(sorted(out.items()))


def recipe_versions(uow: UnitOfWork, name: str) -> list[SavedRecipe]:
    with uow:
        return _versions(uow.setting(_key(name)) or {})
