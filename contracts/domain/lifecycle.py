"""Both lifecycles, written down as data: every state, every allowed transition, and every audit
kind.

Contract:  draft -> out_for_signature -> signed -> expired | terminated
           out_for_signature -> declined | voided | signing_expired  (an ended signing attempt;
           fix it and send again)
Envelope:  sent -> completed | declined | voided | expired
Signer:    waiting -> invited -> signed | declined

The contract follows its envelope (`CONTRACT_FOLLOWS_ENVELOPE`): it becomes signed only when the
envelope completes, and declined, voided or signing_expired when the envelope ends so. People may
make only the `MANUAL_TRANSITIONS` (back to draft after an ended attempt; expire or terminate a
signed contract, with a reason). `Contract.transition`, `Envelope._move` and `Signer` moves check
these tables and raise `IllegalTransition` otherwise.

`AuditKind` lists every kind of entry the audit trail holds; every event is created with one of
them.
"""

from __future__ import annotations

from enum import StrEnum


class ContractState(StrEnum):
    DRAFT = "draft"
    OUT_FOR_SIGNATURE = "out_for_signature"
    SIGNED = "signed"
    DECLINED = "declined"
    VOIDED = "voided"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    SIGNING_EXPIRED = "signing_expired"  # the envelope expired before everyone signed
    DISCARDED = "discarded"  # a draft legal threw away (kept, audited, never sent)


CONTRACT_TRANSITIONS: dict[ContractState, frozenset[ContractState]] = {
    ContractState.DRAFT: frozenset({ContractState.OUT_FOR_SIGNATURE, ContractState.DISCARDED}),
    ContractState.OUT_FOR_SIGNATURE: frozenset(
        {
            ContractState.SIGNED,
            ContractState.DECLINED,
            ContractState.VOIDED,
            ContractState.SIGNING_EXPIRED,
        }
    ),
    # a declined or voided attempt ends; the contract can be fixed (back to draft) and sent again
    ContractState.DECLINED: frozenset({ContractState.DRAFT, ContractState.OUT_FOR_SIGNATURE}),
    ContractState.VOIDED: frozenset({ContractState.DRAFT, ContractState.OUT_FOR_SIGNATURE}),
    ContractState.SIGNING_EXPIRED: frozenset(
        {ContractState.DRAFT, ContractState.OUT_FOR_SIGNATURE}
    ),
    ContractState.SIGNED: frozenset({ContractState.EXPIRED, ContractState.TERMINATED}),
    ContractState.EXPIRED: frozenset(),
    ContractState.TERMINATED: frozenset(),
    ContractState.DISCARDED: frozenset(),
}

# states from which a contract may be sent for signature
SENDABLE = frozenset(
    {
        ContractState.DRAFT,
        ContractState.DECLINED,
        ContractState.VOIDED,
        ContractState.SIGNING_EXPIRED,
    }
)
# what a person may do by hand (the rest follows the envelope); targets in REASON_REQUIRED need one
MANUAL_TRANSITIONS: frozenset[tuple[ContractState, ContractState]] = frozenset(
    {
        (ContractState.DECLINED, ContractState.DRAFT),
        (ContractState.VOIDED, ContractState.DRAFT),
        (ContractState.SIGNING_EXPIRED, ContractState.DRAFT),
        (ContractState.SIGNED, ContractState.EXPIRED),
        (ContractState.SIGNED, ContractState.TERMINATED),
        (ContractState.DRAFT, ContractState.DISCARDED),
    }
)
REASON_REQUIRED = frozenset(
    {ContractState.EXPIRED, ContractState.TERMINATED, ContractState.DISCARDED}
)
# a signed contract that ended: its terms stop the day before it ended
ENDED = frozenset({ContractState.TERMINATED, ContractState.EXPIRED})
# states whose SLA terms were signed (in force, or were in force until expiry or termination)
SIGNED_STATES = frozenset({ContractState.SIGNED, ContractState.EXPIRED, ContractState.TERMINATED})


class EnvelopeState(StrEnum):
    SENT = "sent"
    COMPLETED = "completed"
    DECLINED = "declined"
    VOIDED = "voided"
    EXPIRED = "expired"


ENVELOPE_TRANSITIONS: dict[EnvelopeState, frozenset[EnvelopeState]] = {
    EnvelopeState.SENT: frozenset(
        {
            EnvelopeState.COMPLETED,
            EnvelopeState.DECLINED,
            EnvelopeState.VOIDED,
            EnvelopeState.EXPIRED,
        }
    ),
    EnvelopeState.COMPLETED: frozenset(),
    EnvelopeState.DECLINED: frozenset(),
    EnvelopeState.VOIDED: frozenset(),
    EnvelopeState.EXPIRED: frozenset(),
}

# the contract's state once its envelope reaches a final state
CONTRACT_FOLLOWS_ENVELOPE: dict[EnvelopeState, ContractState] = {
    EnvelopeState.COMPLETED: ContractState.SIGNED,
    EnvelopeState.DECLINED: ContractState.DECLINED,
    EnvelopeState.VOIDED: ContractState.VOIDED,
    EnvelopeState.EXPIRED: ContractState.SIGNING_EXPIRED,
}


class SignerStatus(StrEnum):
    WAITING = "waiting"  # an earlier routing group has not signed yet
    INVITED = "invited"
    SIGNED = "signed"
    DECLINED = "declined"


class SignResult(StrEnum):
    """What one signature did: recorded it (the next group is invited), or completed the
    envelope (the last signature: sealed, and its terms measured)."""

    SIGNED = "signed"
    COMPLETED = "completed"


SIGNER_TRANSITIONS: dict[SignerStatus, frozenset[SignerStatus]] = {
    SignerStatus.WAITING: frozenset({SignerStatus.INVITED}),
    SignerStatus.INVITED: frozenset({SignerStatus.SIGNED, SignerStatus.DECLINED}),
    SignerStatus.SIGNED: frozenset(),
    SignerStatus.DECLINED: frozenset(),
}


class AuditKind(StrEnum):
    """Every kind of audit entry. The value is what the trail stores."""

    TEMPLATE_CREATED = "template.created"
    TEMPLATE_DRAFT_CREATED = "template.draft_created"
    TEMPLATE_DRAFT_EDITED = "template.draft_edited"
    TEMPLATE_PUBLISHED = "template.published"

    CONTRACT_CREATED = "contract.created"
    CONTRACT_STATE_CHANGED = "contract.state_changed"
    CONTRACT_PDF_RENDERED = "contract.pdf_rendered"
    CONTRACT_DRAFT_EDITED = "contract.draft_edited"
    CONTRACT_ROUTING_CHANGED = "contract.routing_changed"

    ENVELOPE_CREATED = "envelope.created"
    ENVELOPE_SENT = "envelope.sent"
    ENVELOPE_VIEWED = "envelope.viewed"
    ENVELOPE_CONSENT_GIVEN = "envelope.consent_given"
    ENVELOPE_CODE_SENT = "envelope.code_sent"
    ENVELOPE_CODE_VERIFIED = "envelope.code_verified"
    ENVELOPE_CODE_FAILED = "envelope.code_failed"
    ENVELOPE_SIGNER_LOCKED = "envelope.signer_locked"
    ENVELOPE_SIGNER_UNLOCKED = "envelope.signer_unlocked"
    ENVELOPE_SIGNED = "envelope.signed"
    ENVELOPE_DECLINED = "envelope.declined"
    ENVELOPE_VOIDED = "envelope.voided"
    ENVELOPE_RESENT = "envelope.resent"
    ENVELOPE_REMINDED = "envelope.reminded"
    ENVELOPE_EXPIRED = "envelope.expired"
    ENVELOPE_COMPLETED = "envelope.completed"
    ENVELOPE_SEAL_FAILED = "envelope.seal_failed"

    MAIL_DELIVERED = "mail.delivered"
    MAIL_FAILED = "mail.failed"

    RETENTION_HOLD_PLACED = "retention.hold_placed"
    RETENTION_HOLD_RELEASED = "retention.hold_released"
    RETENTION_PURGED = "retention.purged"

    USER_CREATED = "user.created"
    USER_ENABLED = "user.enabled"
    USER_DISABLED = "user.disabled"
    USER_ROLES_CHANGED = "user.roles_changed"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_SIGNED_IN = "user.signed_in"
    USER_SIGN_IN_FAILED = "user.sign_in_failed"
    USER_SIGN_IN_UNLOCKED = "user.sign_in_unlocked"
    USER_SIGNED_OUT = "user.signed_out"

    SETTINGS_WORKFLOW_CHANGED = "settings.workflow_changed"
    SETTINGS_SSO_CHANGED = "settings.sso_changed"
    SETTINGS_RETENTION_CHANGED = "settings.retention_changed"
    SETTINGS_INGEST_SOURCE_REMEMBERED = "settings.ingest_source_remembered"
    RECIPE_SAVED = "recipe.saved"
    ALERT_RULE_CREATED = "alert.rule_created"
    ALERT_RULE_ENABLED = "alert.rule_enabled"
    ALERT_RULE_DISABLED = "alert.rule_disabled"
    ALERT_SENT = "alert.sent"
    ALERT_WEBHOOK_DEAD = "alert.webhook_dead"
    ALERT_TEST_SENT = "alert.test_sent"
    NOTICE_SENT = "notice.sent"
    EVIDENCE_VIEWED = "evidence.viewed"
    EVIDENCE_EXPORTED = "evidence.exported"
    CONNECTION_ADDED = "connection.added"
    CONNECTION_PAUSED = "connection.paused"
    CONNECTION_RESUMED = "connection.resumed"
    CONNECTION_SYNCED = "connection.synced"
    CONNECTION_FAILED = "connection.failed"
    BACKUP_MADE = "backup.made"

    CREDITS_MONTH_CLOSED = "credits.month_closed"
    CREDITS_MONTH_REOPENED = "credits.month_reopened"

    TERMS_REGISTERED = "terms.registered"
    TERMS_REGISTRATION_FAILED = "terms.registration_failed"
