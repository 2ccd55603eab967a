"""Contract use cases: create a draft, render its PDF, move it along its lifecycle, its SLA
terms."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from contracts.adapters.unit_of_work import AbstractUnitOfWork
from contracts.documents.pdf import render_pdf, sha256_bytes
from contracts.documents.render import render_text
from contracts.domain.contract import Contract
from contracts.domain.lifecycle import (
    ENDED,
    MANUAL_TRANSITIONS,
    REASON_REQUIRED,
    SIGNED_STATES,
    AuditKind,
    ContractState,
)
from contracts.domain.validation import fields_for
from contracts.errors import FieldsError, IllegalTransition, NotFound
from contracts.services.templates import parse_template_ref
from sla_engine.rulebook.terms import Terms


def create_contract(
    uow: AbstractUnitOfWork,
    template_ref: str,
    values: dict[str, Any],
    supersedes: str | None = None,
    actor: str = "system",
    contract_id: str | None = None,
) -> Contract:
    """A draft from a published template version and field values (FieldsError names each bad
    field); `contract_id` is a contract number legal chose (else one is generated)."""
    name, number = parse_template_ref(template_ref)
    with uow:
        t = uow.repo.get_template(name)
        v = t.version(number)
        fields = fields_for(v, values)
        render_text(v.text, fields)  # a template that cannot render is refused now, not at PDF time
        if supersedes:
            old = uow.repo.get_contract(supersedes)
            if old.state != ContractState.SIGNED:
                raise IllegalTransition(
                    f"only a signed contract can be amended; {supersedes} is {old.state}"
                )
        if contract_id is not None:
            try:
                uow.repo.get_contract(contract_id)
            except NotFound:
                pass
            else:
                raise FieldsError([("contract number", f"{contract_id} is already used")])
        c = Contract.create(
            t, v, fields, supersedes=supersedes, actor=actor, contract_id=contract_id
        )
        uow.repo.add_contract(c)
        uow.commit()
        return c


def edit_draft(
    uow: AbstractUnitOfWork, contract_id: str, values: dict[str, Any], actor: str
) -> Contract:
    """New field values for a draft, checked like a new contract's (FieldsError names each bad
    field); audited with the fields that changed."""
    with uow:
        c = uow.repo.get_contract(contract_id)
        t = uow.repo.get_template(c.template_name)
        v = t.version(c.template_version)
        fields = fields_for(v, values)
        render_text(v.text, fields)
        c.edit(fields, actor)
        uow.repo.save_contract(c)
        uow.commit()
        return c


def contract_pdf(uow: AbstractUnitOfWork, contract_id: str) -> bytes:
    """Render with the exact template version the contract came from; records the PDF's SHA-256."""
    with uow:
        c = uow.repo.get_contract(contract_id)
        t = uow.repo.get_template(c.template_name)
        v = t.version(c.template_version)
        fields = c.typed
        text = render_text(v.text, fields)
        pdf = render_pdf(c.id, fields.title, fields, text, f"{t.name} v{v.number}")
        digest = sha256_bytes(pdf)
        if c.pdf_sha256 != digest and c.state == ContractState.DRAFT:
            c.record_pdf(digest)
            uow.repo.save_contract(c)
            uow.commit()
        return pdf


def transition(
    uow: AbstractUnitOfWork,
    contract_id: str,
    to: str,
    actor: str = "system",
    reason: str | None = None,
) -> Contract:
    """A move a person may make (MANUAL_TRANSITIONS); signing moves come from the envelope."""
    try:
        target = ContractState(to)
    except ValueError:
        raise IllegalTransition(f"unknown state {to!r}") from None
    with uow:
        c = uow.repo.get_contract(contract_id)
        if (c.state, target) not in MANUAL_TRANSITIONS:
            if target == ContractState.SIGNED:
                raise IllegalTransition(
                    f"contract {contract_id}: a contract becomes signed only when its envelope "
                    "completes (send it for signature)"
                )
            raise IllegalTransition(
                f"contract {contract_id}: {c.state} to {target} is not a move made by hand"
            )
        if target in REASON_REQUIRED and not (reason or "").strip():
            raise IllegalTransition(f"contract {contract_id}: say why it is {target}")
        c.transition(to, actor=actor, reason=reason)
        uow.repo.save_contract(c)
        uow.commit()
        return c


def signed_family(uow: AbstractUnitOfWork, contract_id: str) -> list[tuple[Contract, Terms]]:
    """Every signed version of a contract family with its SLA terms, oldest first: each cut the day
    before its amendment starts, and a terminated or expired one the day before it ended.

    The terms carry the family's root id, so tickets keep one contract id across amendments.
    """
    with uow:
        family = uow.repo.family(contract_id)
        root = family[0].id
        signed = sorted(
            (c for c in family if c.state in SIGNED_STATES), key=lambda c: c.typed.start_date
        )
        out: list[tuple[Contract, Terms]] = []
        for i, c in enumerate(signed):
            t = c.typed.terms(root, version=f"{c.id} ({c.template_name} v{c.template_version})")
            end = t.effective_to
            if i + 1 < len(signed):  # an amendment takes over
                cut = signed[i + 1].typed.start_date - timedelta(days=1)
                end = min(cut, end) if end else cut
            if c.state in ENDED:
                ended = _ended_on(uow, c.id)
                end = min(ended, end) if end else ended
            out.append((c, t.model_copy(update={"effective_to": end})))
        return out


def _ended_on(uow: AbstractUnitOfWork, contract_id: str) -> date:
    """The last day a terminated or expired contract's terms were in force: the day before the
    state change (from the audit trail)."""
    moves = [
        e
        for e in uow.audit_entries(contract_id)
        if e["kind"] == AuditKind.CONTRACT_STATE_CHANGED and e["payload"].get("to") in ENDED
    ]
    when = datetime.fromisoformat(moves[-1]["at"]).date() if moves else date.today()
    return when - timedelta(days=1)


def terms_versions(uow: AbstractUnitOfWork, contract_id: str) -> list[Terms]:
    """The SLA terms of every signed version of the family (see signed_family)."""
    return [t for _, t in signed_family(uow, contract_id)]


def terms_in_force(uow: AbstractUnitOfWork, contract_id: str, when: date) -> Terms:
    """The SLA terms of the signed version in force on `when`; an unsigned contract has none."""
    for t in terms_versions(uow, contract_id):
        if t.effective_from <= when and (t.effective_to is None or when <= t.effective_to):
            return t
    raise NotFound(f"contract {contract_id} has no signed SLA terms in force on {when}")
