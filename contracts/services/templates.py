"""Template use cases: install the starters, import, edit a draft, publish."""

from __future__ import annotations

from pathlib import Path

from contracts.adapters.unit_of_work import AbstractUnitOfWork
from contracts.documents.starters import load_template_file, starter_templates
from contracts.domain.template import Template
from contracts.errors import NotFound


def install_starters(uow: AbstractUnitOfWork, publish: bool = True) -> list[str]:
    """Add the shipped templates that are not in the store yet (published as v1)."""
    added = []
    with uow:
        existing = {t.name for t in uow.repo.list_templates()}
        for t in starter_templates():
            if t.name in existing:
                continue
            if publish:
                t.publish()
            uow.repo.add_template(t)
            added.append(t.name)
        uow.commit()
    return added


def import_template(uow: AbstractUnitOfWork, path: Path) -> Template:
    t = load_template_file(path)
    with uow:
        uow.repo.add_template(t)
        uow.commit()
    return t


def edit_template(
    uow: AbstractUnitOfWork,
    name: str,
    text: str,
    requires: list[str] | None = None,
    actor: str = "system",
) -> int:
    with uow:
        t = uow.repo.get_template(name)
        v = t.edit(text, requires, actor=actor)
        uow.repo.save_template(t)
        uow.commit()
        return v.number


def publish_template(
    uow: AbstractUnitOfWork, name: str, number: int | None = None, actor: str = "system"
) -> int:
    with uow:
        t = uow.repo.get_template(name)
        v = t.publish(number, actor=actor)
        uow.repo.save_template(t)
        uow.commit()
        return v.number


def parse_template_ref(ref: str) -> tuple[str, int | None]:
    """'name' or 'name@3'."""
    if "@" in ref:
        name, num = ref.split("@", 1)
        try:
            return name, int(num.lstrip("v"))
        except ValueError as exc:
            raise NotFound(f"{ref!r}: version must be a number, e.g. {name}@2") from exc
    return ref, None
