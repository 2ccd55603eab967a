"""Signed → measured: when a contract's envelope completes, the SLA terms embedded in the sealed
document become exactly what the engine measures, with no manual step.

For every signed version of the contract's family (the original and its amendments) the terms are
read back from the sealed PDF, checked equal to the contract's fields, cut where an amendment takes
over or where the contract was terminated or expired, labelled with their provenance and the
sealed document's SHA-256, and registered with the engine (which builds the SLA ledger). Running
it twice changes nothing; each change is audited; a failure is audited and can be retried
(`python -m flows register C-ID`, or the button on the Contracts page).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.adapters.seal_check import check_sealed
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.documents.extract import extract_terms
from contracts.documents.pdf import sha256_bytes
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import ENDED, AuditKind, EnvelopeState
from contracts.errors import ContractsError
from contracts.services import contracts as contract_service
from flows.errors import RegistrationError
from sla_engine.errors import SlaEngineError
from sla_engine.ledger.register import register_terms
from sla_engine.rulebook.terms import SIGNED_IN_COVENANT, Terms
from sla_engine.store.core import Store


@dataclass(frozen=True)
class Registered:
    contract_id: str
    terms_ids: list[str]
    changed: bool


def signed_terms(uow: UnitOfWork, contract_id: str) -> list[tuple[Terms, str]]:
    """(terms as the engine will measure them, sealed SHA-256) for each signed version of the
    family, oldest first: the contract's terms (cut at amendments and at its end, under the
    family's root id) once the terms in its sealed document are found equal to them."""
    versions = contract_service.signed_family(uow, contract_id)
    out: list[tuple[Terms, str]] = []
    with uow:
        for c, terms in versions:
            sealed = [
                e for e in uow.envelopes.for_contract(c.id) if e.status == EnvelopeState.COMPLETED
            ]
            if not sealed:
                raise RegistrationError(
                    f"{c.id} is {c.state} but Covenant holds no sealed document"
                )
            doc = bytes(uow.envelopes.document(sealed[-1].id, "final").data)
            _refuse_unless_sealed(uow, c.id, sealed[-1].id, sealed[-1].final_sha256, doc)
            embedded = extract_terms(doc, f"the sealed document of {c.id}")
            if embedded != c.typed.terms(c.id, version=embedded.version):
                raise RegistrationError(
                    f"the terms in {c.id}'s sealed document differ from its fields; not registered"
                )
            sha = sha256_bytes(doc)
            label = (
                f"{SIGNED_IN_COVENANT}: {c.id} ({c.template_name} v{c.template_version}), "
                f"sealed sha256 {sha[:16]}"
            )
            out.append((terms.model_copy(update={"version": label}), sha))
    return out


def _refuse_unless_sealed(
    uow: UnitOfWork, contract_id: str, envelope_id: str, recorded_sha: str | None, doc: bytes
) -> None:
    """Terms are read only from a document sealed by this deployment: its PAdES certification
    validates against the deployment's trusted root (not anything the database holds), nothing
    was changed after it (DocMDP), and its SHA-256 is the one recorded when the envelope
    completed, in the envelope and in the audit trail."""
    check = check_sealed(doc)
    if not check.ok:
        raise RegistrationError(
            f"the stored document of {contract_id} is not a valid Covenant seal ({check.detail}); "
            "its terms are not measured"
        )
    sha = sha256_bytes(doc)
    completed = [
        e["payload"].get("final_sha256")
        for e in uow.audit_entries(envelope_id)
        if e["kind"] == AuditKind.ENVELOPE_COMPLETED.value
    ]
    if sha != recorded_sha or sha not in completed:
        raise RegistrationError(
            f"the stored document of {contract_id} (sha256 {sha[:16]}…) is not the one sealed "
            f"when its envelope completed ({(recorded_sha or 'none')[:16]}…); its terms are not "
            "measured"
        )


def register_signed(
    store: Store, uow: UnitOfWork, contract_id: str, actor: str = "system"
) -> Registered:
    """Register the family's signed terms with the engine; idempotent; audited either way."""
    try:
        versions = signed_terms(uow, contract_id)
        if not versions:
            raise RegistrationError(
                f"contract {contract_id} is not signed: it has no terms to measure"
            )
        current = {t.terms_id: t for t in store.terms()}
        new = [t for t, _ in versions if current.get(t.terms_id) != t]
        if new:
            register_terms(store, new)
    except (ContractsError, SlaEngineError, RegistrationError) as exc:
        with uow:
            uow.record(
                Event(
                    AuditKind.TERMS_REGISTRATION_FAILED,
                    contract_id,
                    {"error": str(exc)},
                    utcnow(),
                    actor,
                )
            )
            uow.commit()
        if isinstance(exc, RegistrationError):
            raise
        raise RegistrationError(f"registering the terms of {contract_id} failed: {exc}") from exc
    changed = {t.terms_id for t in new}
    if changed:
        with uow:
            for t, sha in versions:
                if t.terms_id in changed:
                    uow.record(
                        Event(
                            AuditKind.TERMS_REGISTERED,
                            versions[0][0].contract_id,
                            {
                                "terms_id": t.terms_id,
                                "version": t.version,
                                "sealed_sha256": sha,
                                "effective_from": t.effective_from.isoformat(),
                                "effective_to": t.effective_to.isoformat()
                                if t.effective_to
                                else None,
                                "source": "sealed document",
                            },
                            utcnow(),
                            actor,
                        )
                    )
            uow.commit()
    return Registered(versions[0][0].contract_id, [t.terms_id for t, _ in versions], bool(changed))


def measured(store: Store, uow: UnitOfWork, contract_id: str) -> bool:
    """Whether the engine measures exactly this family's signed terms now."""
    try:
        versions = signed_terms(uow, contract_id)
    except (ContractsError, RegistrationError):
        return False
    current = {t.terms_id: t for t in store.terms()}
    return bool(versions) and all(current.get(t.terms_id) == t for t, _ in versions)


def end_contract(
    store: Store, uow: UnitOfWork, contract_id: str, to: str, actor: str, reason: str
) -> Registered:
    """Terminate or expire a signed contract (with a reason, audited) and end its measured terms
    from that date, in one step."""
    if to not in ENDED:
        raise RegistrationError(f"a signed contract ends as terminated or expired, not {to}")
    contract_service.transition(uow, contract_id, to, actor=actor, reason=reason)
    return register_signed(store, uow, contract_id, actor)


def finish_stalled(store: Store, uow: UnitOfWork, actor: str = "worker") -> list[str]:
    """Envelopes every signer signed but that were never sealed (the sealing failed, or the
    process stopped in between): seal them now and measure their terms. What still fails stays
    retryable and is audited by the completion itself; the ids finished are returned."""
    from contracts.services import completion

    with uow:
        stalled = [
            (e.id, e.contract_id)
            for e in uow.envelopes.open_envelopes()
            if e.current_group() is None
        ]
    done = []
    for env_id, contract_id in stalled:
        try:
            if completion.complete(uow, env_id):
                from contracts.domain.events import EnvelopeCompleted
                from flows import bus

                bus.handle(EnvelopeCompleted(env_id, contract_id), store, uow, actor)
                done.append(env_id)
        except (ContractsError, RegistrationError):
            continue  # audited where it failed; the next turn tries again
    return done
