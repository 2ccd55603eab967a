"""Use cases: what the CLI and the pages call. Each runs in one unit of work."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from sla_engine.terms import Terms

from .domain import Contract, Template
from .errors import IllegalTransition, NotFound
from .pdf import render_pdf, sha256_bytes
from .render import render_text
from .repository import UnitOfWork
from .starters import load_template_file, starter_templates
from .validation import fields_for


def install_starters(engine: Engine, publish: bool = True) -> list[str]:
    """Add the shipped templates that are not in the store yet (published as v1)."""
    added = []
    with UnitOfWork(engine) as uow:
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


def import_template(engine: Engine, path: Path) -> Template:
    t = load_template_file(path)
    with UnitOfWork(engine) as uow:
        uow.repo.add_template(t)
        uow.commit()
    return t


def edit_template(engine: Engine, name: str, text: str, requires: list[str] | None = None, actor: str = "system") -> int:
    with UnitOfWork(engine) as uow:
        t = uow.repo.get_template(name)
        v = t.edit(text, requires, actor=actor)
        uow.repo.save_template(t)
        uow.commit()
        return v.number


def publish_template(engine: Engine, name: str, number: int | None = None, actor: str = "system") -> int:
    with UnitOfWork(engine) as uow:
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


def create_contract(engine: Engine, template_ref: str, values: dict, supersedes: str | None = None,
                    actor: str = "system") -> Contract:
    """A draft contract from a published template version and field values (FieldsError names each bad field)."""
    name, number = parse_template_ref(template_ref)
    with UnitOfWork(engine) as uow:
        t = uow.repo.get_template(name)
        v = t.version(number)
        fields = fields_for(v, values)
        render_text(v.text, fields)  # a template that cannot render is refused now, not at PDF time
        if supersedes:
            old = uow.repo.get_contract(supersedes)
            if old.state != "signed":
                raise IllegalTransition(f"only a signed contract can be amended; {supersedes} is {old.state}")
        c = Contract.create(t, v, fields, supersedes=supersedes, actor=actor)
        uow.repo.add_contract(c)
        uow.commit()
        return c


def contract_pdf(engine: Engine, contract_id: str) -> bytes:
    """Render the contract with the exact template version it came from; records the PDF's SHA-256."""
    with UnitOfWork(engine) as uow:
        c = uow.repo.get_contract(contract_id)
        t = uow.repo.get_template(c.template_name)
        v = t.version(c.template_version)
        fields = c.typed
        pdf = render_pdf(c.id, fields.title, fields, render_text(v.text, fields), f"{t.name} v{v.number}")
        digest = sha256_bytes(pdf)
        if c.pdf_sha256 != digest and c.state == "draft":
            c.record_pdf(digest)
            uow.repo.save_contract(c)
            uow.commit()
        return pdf


def transition(engine: Engine, contract_id: str, to: str, actor: str = "system", reason: str | None = None) -> Contract:
    with UnitOfWork(engine) as uow:
        c = uow.repo.get_contract(contract_id)
        c.transition(to, actor=actor, reason=reason)
        uow.repo.save_contract(c)
        uow.commit()
        return c


def terms_versions(engine: Engine, contract_id: str) -> list[Terms]:
    """Every signed version of a contract family as SLA terms, each cut where its amendment starts.

    The terms carry the family's root id, so tickets keep one contract id across amendments.
    """
    with UnitOfWork(engine) as uow:
        family = uow.repo.family(contract_id)
        root = family[0].id
        signed = sorted((c for c in family if c.state in ("signed", "expired", "terminated")),
                        key=lambda c: c.typed.start_date)
        out: list[Terms] = []
        for i, c in enumerate(signed):
            f = c.typed
            t = f.terms(root, version=f"{c.id} ({c.template_name} v{c.template_version})")
            if i + 1 < len(signed):
                cut = signed[i + 1].typed.start_date - timedelta(days=1)
                t = t.model_copy(update={"effective_to": min(cut, t.effective_to) if t.effective_to else cut})
            out.append(t)
        return out


def terms_in_force(engine: Engine, contract_id: str, when: date) -> Terms:
    """The SLA terms of the signed version in force on `when`; a contract that is not signed has none."""
    for t in terms_versions(engine, contract_id):
        if t.effective_from <= when and (t.effective_to is None or when <= t.effective_to):
            return t
    raise NotFound(f"contract {contract_id} has no signed SLA terms in force on {when}")
