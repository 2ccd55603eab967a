"""Completing an envelope: the signed contract rendered with every signature, the certificate of
completion appended, the PAdES seal, the sealed copy stored and sent to everyone.

Exactly once: the envelope row is locked and completion checks it is still out for signature. A seal
failure (key, certificate, time-stamping authority) is audited and leaves the envelope retryable.
"""

from __future__ import annotations

from typing import Any

from reportlab.platypus.doctemplate import LayoutError

from contracts.adapters.seal import load_signer, seal_pdf
from contracts.adapters.unit_of_work import AbstractUnitOfWork
from contracts.documents.certificate import certificate_flowables
from contracts.documents.pdf import render_pdf, sha256_bytes
from contracts.documents.render import render_text
from contracts.domain.envelope import Envelope
from contracts.domain.events import Event, utcnow
from contracts.domain.fields import ContractFields
from contracts.domain.lifecycle import CONTRACT_FOLLOWS_ENVELOPE, AuditKind, EnvelopeState
from contracts.errors import SealError, TemplateError


def complete(uow: AbstractUnitOfWork, envelope_id: str, tsa_url: str | None = None) -> bool:
    """Seal a fully signed envelope exactly once; a failure is audited and leaves it retryable.

    Rendering and sealing (seconds with a slow time-stamping authority) happen outside any
    transaction; the envelope row is locked only to record the result, and whoever records first
    wins (a concurrent completer's seal is discarded)."""
    try:
        with uow:
            env = uow.envelopes.get(envelope_id)
            if env.status != EnvelopeState.SENT or env.current_group() is not None:
                return False  # already completed by someone else, or not fully signed
            c = uow.repo.get_contract(env.contract_id)
            t = uow.repo.get_template(c.template_name)
            v = t.version(c.template_version)
            events = uow.audit_entries(env.id)
        sealed = _render_and_seal(env, c.id, c.typed, t.name, v.number, v.text, events, tsa_url)
    except SealError as exc:
        with uow:
            uow.record(
                Event(AuditKind.ENVELOPE_SEAL_FAILED, envelope_id, {"error": str(exc)}, utcnow())
            )
            uow.commit()
        raise
    with uow:
        env = uow.envelopes.get(envelope_id, lock=True)
        if env.status != EnvelopeState.SENT or env.current_group() is not None:
            return False  # completed meanwhile by a concurrent signer's request
        c = uow.repo.get_contract(env.contract_id)
        title = c.typed.title
        doc_id = uow.envelopes.store_document(env.id, "final", f"{c.id}-signed.pdf", sealed)
        env.complete(sha256_bytes(sealed), utcnow())
        uow.envelopes.save(env)
        c.transition(CONTRACT_FOLLOWS_ENVELOPE[env.status], actor="system")
        uow.repo.save_contract(c)
        people = [
            *({"name": s.name, "email": s.email} for s in env.signers),
            *env.cc,
            {"name": env.sender, "email": env.sender},  # the sender gets the sealed copy too
        ]
        seen: set[str] = set()
        for person in people:
            if person["email"].lower() in seen:
                continue
            seen.add(person["email"].lower())
            uow.envelopes.queue_mail(
                person["email"],
                f"Completed: {title}",
                f'Hello {person["name"]},\n\nEveryone has signed "{title}". The sealed '
                "contract with its certificate of completion is attached.\n",
                envelope_id=env.id,
                attachments=[doc_id],
            )
        uow.commit()
        return True


def _render_and_seal(
    env: Envelope,
    contract_id: str,
    fields: ContractFields,
    template_name: str,
    version: int,
    template_text: str,
    events: list[dict[str, Any]],
    tsa_url: str | None,
) -> bytes:
    """The signed contract with every signature and the certificate of completion, sealed."""
    signatures = {
        s.email: {
            "name": s.name,
            "role": s.role,
            "signer_id": s.id,
            **(s.signature or {}),
            "at": s.signed_at.isoformat(timespec="seconds") if s.signed_at else "",
        }
        for s in env.signers
    }
    try:
        text = render_text(template_text, fields)
        label = f"{template_name} v{version}"
        signed_pages = render_pdf(
            contract_id, fields.title, fields, text, label, signatures=signatures
        )
        appendix = certificate_flowables(
            env, env.document_sha256, sha256_bytes(signed_pages), events
        )
        final = render_pdf(
            contract_id, fields.title, fields, text, label, signatures=signatures, appendix=appendix
        )
    except (LayoutError, TemplateError, ValueError) as exc:
        raise SealError(f"the signed document could not be rendered: {exc}") from exc
    return seal_pdf(final, load_signer(), reason=f"Envelope {env.id} completed", tsa_url=tsa_url)
