"""Completing an envelope: the signed contract rendered with every signature, the certificate of
completion appended, the PAdES seal, the sealed copy stored and sent to everyone.

Exactly once: the envelope row is locked and completion checks it is still out for signature. A seal
failure (key, certificate, time-stamping authority) is audited and leaves the envelope retryable.
"""

from __future__ import annotations

from reportlab.platypus.doctemplate import LayoutError

from contracts.adapters.seal import load_signer, seal_pdf
from contracts.adapters.unit_of_work import AbstractUnitOfWork
from contracts.documents.certificate import certificate_flowables
from contracts.documents.pdf import render_pdf, sha256_bytes
from contracts.documents.render import render_text
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import CONTRACT_FOLLOWS_ENVELOPE, AuditKind, EnvelopeState
from contracts.errors import SealError, TemplateError


def complete(uow: AbstractUnitOfWork, envelope_id: str, tsa_url: str | None = None) -> bool:
    """Seal a fully signed envelope exactly once; a failure is audited and leaves it retryable."""
    try:
        with uow:
            env = uow.envelopes.get(envelope_id, lock=True)
            if env.status != EnvelopeState.SENT or env.current_group() is not None:
                return False  # already completed by someone else, or not fully signed
            c = uow.repo.get_contract(env.contract_id)
            t = uow.repo.get_template(c.template_name)
            v = t.version(c.template_version)
            fields = c.typed
            now = utcnow()
            signatures = {
                s.email: {
                    "name": s.name,
                    "role": s.role,
                    "signer_id": s.id,
                    **(s.signature or {}),
                    "at": s.signed_at.isoformat(timespec="seconds"),
                }
                for s in env.signers
            }
            try:
                text = render_text(v.text, fields)
                label = f"{t.name} v{v.number}"
                signed_pages = render_pdf(
                    c.id, fields.title, fields, text, label, signatures=signatures
                )
                signed_sha = sha256_bytes(signed_pages)
                events = uow.audit_entries(env.id)
                appendix = certificate_flowables(env, env.document_sha256, signed_sha, events)
                final = render_pdf(
                    c.id,
                    fields.title,
                    fields,
                    text,
                    label,
                    signatures=signatures,
                    appendix=appendix,
                )
            except (LayoutError, TemplateError, ValueError) as exc:
                raise SealError(f"the signed document could not be rendered: {exc}") from exc
            sealed = seal_pdf(
                final, load_signer(), reason=f"Envelope {env.id} completed", tsa_url=tsa_url
            )
            doc_id = uow.envelopes.store_document(env.id, "final", f"{c.id}-signed.pdf", sealed)
            env.complete(sha256_bytes(sealed), now)
            uow.envelopes.save(env)
            c.transition(CONTRACT_FOLLOWS_ENVELOPE[env.status], actor="system")
            uow.repo.save_contract(c)
            for person in [*({"name": s.name, "email": s.email} for s in env.signers), *env.cc]:
                uow.envelopes.queue_mail(
                    person["email"],
                    f"Completed: {fields.title}",
                    f'Hello {person["name"]},\n\nEveryone has signed "{fields.title}". The sealed '
                    "contract with its certificate of completion is attached.\n",
                    envelope_id=env.id,
                    attachments=[doc_id],
                )
            uow.commit()
            return True
    except SealError as exc:
        with uow:
            uow.record(
                Event(
                    AuditKind.ENVELOPE_SEAL_FAILED,
                    envelope_id,
                    {"error": str(exc)},
                    utcnow(),
                    "system",
                )
            )
            uow.commit()
        raise
