"""Signing use cases: send, open a link, consent, one-time codes, sign, decline, void, resend,
remind. Completion (render, seal, distribute) is in completion.py.

Every call is one unit of work: the envelope row is locked for the change, its events become
chained audit entries, and the mail it causes is written to the outbox in the same transaction
(delivered by adapters/mailer.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.adapters.unit_of_work import AbstractUnitOfWork
from contracts.documents.pdf import sha256_bytes
from contracts.documents.render import render_text
from contracts.domain import disclosure
from contracts.domain.envelope import Envelope
from contracts.domain.events import utcnow
from contracts.domain.lifecycle import (
    CONTRACT_FOLLOWS_ENVELOPE,
    SENDABLE,
    ContractState,
    EnvelopeState,
    SignerStatus,
    SignResult,
)
from contracts.domain.signer import Signer
from contracts.errors import IllegalTransition, InvalidToken, SigningError, TemplateError
from contracts.services.completion import complete
from contracts.services.contracts import contract_pdf
from contracts.services.invitations import invite, link


def send_for_signature(
    uow: AbstractUnitOfWork,
    contract_id: str,
    signers: list[dict],
    sender: str,
    auth_method: str | None = None,
    reminder_hours: float | None = None,
    expires_days: int | None = None,
    cc: list[dict] | None = None,
    base_url: str | None = None,
) -> str:
    """Create the envelope, freeze the document, invite the first routing group. Returns the
    envelope id.

    Authentication, reminder frequency and expiry not given come from the Admin page's workflow
    defaults.
    """
    from contracts.services.settings import workflow_defaults

    defaults = workflow_defaults(uow)
    auth_method = auth_method or defaults.auth_method
    reminder_hours = reminder_hours if reminder_hours is not None else defaults.reminder_hours
    expires_days = expires_days if expires_days is not None else defaults.expires_days
    pdf = contract_pdf(uow, contract_id)
    with uow:
        c = uow.repo.get_contract(contract_id)
        if c.state not in SENDABLE:
            raise IllegalTransition(
                f"contract {contract_id} is {c.state}; it cannot be sent for signature"
            )
        live = [e.id for e in uow.envelopes.for_contract(c.id) if e.status == EnvelopeState.SENT]
        if live:  # the state machine already prevents it; a row written by hand must not
            raise IllegalTransition(f"contract {contract_id} already has a live envelope {live[0]}")
        c.transition(ContractState.OUT_FOR_SIGNATURE, actor=sender)
        uow.repo.save_contract(c)
        env, tokens = Envelope.create(
            contract_id,
            sha256_bytes(pdf),
            signers,
            sender,
            auth_method,
            reminder_hours,
            expires_days,
            cc,
        )
        uow.envelopes.add(env)
        uow.envelopes.store_document(env.id, "original", f"{contract_id}.pdf", pdf)
        invite(uow, env, tokens, c.typed.title, base_url)
        uow.commit()
        return env.id


@dataclass(frozen=True)
class SignerView:
    """What the signing page may show: this signer's own envelope, nothing else."""

    envelope_id: str
    envelope_status: str
    contract_title: str
    contract_id: str
    signer_id: str
    signer_name: str
    signer_email: str
    signer_status: str
    auth_method: str
    needs_code: bool
    code_locked: bool
    consent_given: bool
    my_turn: bool
    waiting_for: list[str]
    document: bytes
    clauses: str = ""  # the contract's clause text as rendered into the PDF (for small screens)


def _view(
    uow: AbstractUnitOfWork, env: Envelope, s: Signer, proof: str | None = None
) -> SignerView:
    c = uow.repo.get_contract(env.contract_id)
    doc = uow.envelopes.document(
        env.id, "final" if env.status == EnvelopeState.COMPLETED else "original"
    ).data
    turn = (
        env.status == EnvelopeState.SENT
        and s.status == SignerStatus.INVITED
        and s.group == env.current_group()
    )
    earlier = [o.name for o in env.signers if o.group < s.group and o.status != SignerStatus.SIGNED]
    return SignerView(
        env.id,
        env.status,
        c.typed.title,
        c.id,
        s.id,
        s.name,
        s.email,
        s.status,
        env.auth_method,
        needs_code=env.needs_code(s, proof),
        code_locked=s.code_locked,
        consent_given=s.consent is not None,
        my_turn=turn,
        waiting_for=earlier,
        document=doc,
        clauses=_clauses(uow, c) if turn else "",
    )


def _clauses(uow: AbstractUnitOfWork, c: Any) -> str:
    """The clauses as the PDF has them, for a phone to reflow (the PDF stays what is signed)."""
    v = uow.repo.get_template(c.template_name).version(c.template_version)
    try:
        return render_text(v.text, c.typed)
    except TemplateError:
        return ""


def open_link(
    uow: AbstractUnitOfWork,
    token: str,
    ip: str | None = None,
    ua: str | None = None,
    proof: str | None = None,
) -> SignerView:
    """The page behind a link: records the view (audited); refuses finished, expired or unknown
    links. `proof` is what verify_code gave this browser session (a code is asked again in any
    other)."""
    with uow:
        env, s = uow.envelopes.by_token(token, lock=True)
        if env.status == EnvelopeState.COMPLETED:
            return _view(uow, env, s, proof)  # the link now offers the signed copy
        now = utcnow()
        if env.expire_if_due(now):
            _expired(uow, env)
            uow.commit()
            raise InvalidToken("this envelope expired before everyone signed")
        env.signer_for_token(token, now)  # raises for declined or voided envelopes
        env.view(s, now, ip, ua)
        uow.envelopes.save(env)
        view = _view(uow, env, s, proof)
        uow.commit()
        return view


def _expired(uow: AbstractUnitOfWork, env: Envelope) -> None:
    """An envelope that expired: the contract can be corrected and sent again; the sender hears."""
    c = uow.repo.get_contract(env.contract_id)
    c.transition(CONTRACT_FOLLOWS_ENVELOPE[env.status], actor="system", reason="signing expired")
    uow.repo.save_contract(c)
    uow.envelopes.save(env)
    uow.envelopes.queue_mail(
        env.sender,
        f"Expired: {c.typed.title}",
        f"Envelope {env.id} expired before everyone signed. The contract can be corrected and "
        "sent again from the Contracts page.\n",
        envelope_id=env.id,
    )


def _act(uow: AbstractUnitOfWork, token: str, fn) -> Any:
    with uow:
        env, s = uow.envelopes.by_token(token, lock=True)
        now = utcnow()
        if env.expire_if_due(now):
            _expired(uow, env)
            uow.commit()
            raise SigningError(f"envelope {env.id} has expired; it can no longer be signed")
        env.signer_for_token(token, now)
        result = fn(uow, env, s, now)
        uow.envelopes.save(env)
        uow.commit()
        return result


def request_code(uow: AbstractUnitOfWork, token: str) -> None:
    """Send a fresh one-time code by e-mail (or SMS through the configured sender)."""

    def go(uow: AbstractUnitOfWork, env: Envelope, s: Signer, now: datetime) -> None:
        code = env.issue_code(s, now)
        text = f"Your Covenant signing code is {code}. It is valid for 10 minutes. Do not share it."
        if env.auth_method == "sms_code":
            uow.envelopes.queue_mail(f"sms:{s.phone}", "signing code", text, envelope_id=env.id)
        else:
            uow.envelopes.queue_mail(s.email, "Your signing code", text, envelope_id=env.id)

    _act(uow, token, go)


def verify_code(
    uow: AbstractUnitOfWork, token: str, code: str, ip: str | None = None, ua: str | None = None
) -> str | None:
    """The session proof when the code is right (keep it in the browser session), else None.
    The fifth wrong code in all locks the signer and tells the sender."""

    def go(uow: AbstractUnitOfWork, env: Envelope, s: Signer, now: datetime) -> str | None:
        proof = env.verify_code(s, code, now, ip, ua)
        if s.code_locked:
            uow.envelopes.queue_mail(
                env.sender,
                f"Signer locked: {s.name}",
                f"{s.name} <{s.email}> entered a wrong signing code {s.code_tries} times on "
                f"envelope {env.id} and is locked.\nIf you trust it was them, unlock them on the "
                f"Contracts page (or: python -m contracts unlock {env.id} {s.id} --actor YOU).\n",
                envelope_id=env.id,
            )
        return proof

    return _act(uow, token, go)


def unlock_signer(uow: AbstractUnitOfWork, envelope_id: str, signer_id: str, actor: str) -> None:
    """The sender lets a signer locked by wrong codes try again (audited)."""
    with uow:
        env = uow.envelopes.get(envelope_id, lock=True)
        env.unlock_signer(env.signer(signer_id), actor, utcnow())
        uow.envelopes.save(env)
        uow.commit()


def give_consent(
    uow: AbstractUnitOfWork, token: str, ip: str | None = None, ua: str | None = None
) -> None:
    _act(
        uow,
        token,
        lambda uow, env, s, now: env.give_consent(
            s, disclosure.VERSION, disclosure.SHA256, now, ip, ua
        ),
    )


def sign(
    uow: AbstractUnitOfWork,
    token: str,
    kind: str,
    value: str,
    ip: str | None = None,
    ua: str | None = None,
    base_url: str | None = None,
    proof: str | None = None,
) -> SignResult:
    """Record one signature (SIGNED), inviting the next group; the last one also completes the
    envelope (COMPLETED). With a code, `proof` is what verify_code gave this browser session."""

    def go(uow: AbstractUnitOfWork, env: Envelope, s: Signer, now: datetime) -> tuple[bool, str]:
        tokens, done = env.sign(s, kind, value, now, ip, ua, proof)
        invite(uow, env, tokens, uow.repo.get_contract(env.contract_id).typed.title, base_url)
        return done, env.id

    done, env_id = _act(uow, token, go)
    if done:
        complete(uow, env_id)
        return SignResult.COMPLETED
    return SignResult.SIGNED


def decline(
    uow: AbstractUnitOfWork, token: str, reason: str, ip: str | None = None, ua: str | None = None
) -> None:
    def go(uow: AbstractUnitOfWork, env: Envelope, s: Signer, now: datetime) -> None:
        env.decline(s, reason, now, ip, ua)
        c = uow.repo.get_contract(env.contract_id)
        c.transition(CONTRACT_FOLLOWS_ENVELOPE[env.status], actor=s.email, reason=reason)
        uow.repo.save_contract(c)
        uow.envelopes.queue_mail(
            env.sender,
            f"Declined: {c.typed.title}",
            f"{s.name} <{s.email}> declined to sign envelope {env.id}.\nReason: {reason}\n",
            envelope_id=env.id,
        )

    _act(uow, token, go)


def void(uow: AbstractUnitOfWork, envelope_id: str, reason: str, actor: str) -> None:
    with uow:
        env = uow.envelopes.get(envelope_id, lock=True)
        env.void(reason, actor, utcnow())
        uow.envelopes.save(env)
        c = uow.repo.get_contract(env.contract_id)
        c.transition(CONTRACT_FOLLOWS_ENVELOPE[env.status], actor=actor, reason=reason)
        uow.repo.save_contract(c)
        for s in env.signers:
            if s.status == SignerStatus.INVITED:
                uow.envelopes.queue_mail(
                    s.email,
                    f"Cancelled: {c.typed.title}",
                    f'The signing request for "{c.typed.title}" was cancelled by {actor}.\n'
                    f"Reason: {reason}\n",
                    envelope_id=env.id,
                )
        uow.commit()


def resend(
    uow: AbstractUnitOfWork,
    envelope_id: str,
    signer_id: str,
    actor: str,
    base_url: str | None = None,
    to_copy: bool = False,
) -> str | None:
    """A new link for one signer, e-mailed (older links stop working). With `to_copy`, the link is
    also returned for the sender to pass on, only where a one-time code still guards it
    (COPYABLE_AUTH): a bare e-mail link is the signer's only proof and never leaves the mail."""
    with uow:
        env = uow.envelopes.get(envelope_id, lock=True)
        if to_copy and env.auth_method not in COPYABLE_AUTH:
            raise SigningError(
                f"envelope {envelope_id} authenticates signers by the e-mailed link alone: a "
                "copied link would let anyone who sees it sign; resend it by e-mail instead"
            )
        token = env.resend(env.signer(signer_id), actor, utcnow(), shown_to_sender=to_copy)
        invite(
            uow,
            env,
            {signer_id: token},
            uow.repo.get_contract(env.contract_id).typed.title,
            base_url,
        )
        uow.envelopes.save(env)
        uow.commit()
        return link(token, base_url) if to_copy else None


COPYABLE_AUTH = frozenset({"email_code", "sms_code"})  # a code still proves who opens the link


def remind_due(
    uow: AbstractUnitOfWork, now: datetime | None = None, base_url: str | None = None
) -> int:
    """Send every reminder that is due (and expire what has expired). Safe to run twice: nothing is
    sent twice."""
    now = now or utcnow()
    sent = 0
    with uow:
        for env in uow.envelopes.open_envelopes():
            if env.expire_if_due(now):
                _expired(uow, env)
                continue
            due = env.due_reminders(now)
            tokens = {s.id: env.remind(s, now) for s in due}
            if tokens:
                invite(
                    uow,
                    env,
                    tokens,
                    uow.repo.get_contract(env.contract_id).typed.title,
                    base_url,
                    reminder=True,
                )
                uow.envelopes.save(env)
                sent += len(tokens)
        uow.commit()
    return sent
