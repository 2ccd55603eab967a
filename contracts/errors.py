"""Every named exception of the contracts package, caught once at the edge (the CLI, or
`ui.errors`).

ContractsError
├── FieldsError            field values break a template's schema (`problems` names each field)
├── TemplateError          a template cannot be rendered, or its text is unsafe
├── FrozenVersionError     a published template version cannot change
├── IllegalTransition      a move the lifecycle tables (domain/lifecycle.py) do not allow
├── NotFound               no template, version, contract or envelope by that name or id
├── TermsExtractionError   a PDF carries no readable SLA terms (`problems` names each field)
├── SigningError           a signing action not allowed now (finished, not your turn, locked, ...)
│   └── InvalidToken       a signing link that is unknown or can no longer be opened
├── SealError              the document could not be sealed (key, certificate, time-stamping)
├── RetentionError         deletion refused: within retention, or under a legal hold
├── SettingsError          a setting was given a value it cannot take
└── UserError              a dashboard user cannot be created or changed as asked
"""

from __future__ import annotations


class ContractsError(Exception):
    """Base class of every error raised on purpose."""


class FieldsError(ContractsError):
    """Field values do not satisfy a template's schema; `problems` names every field."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("invalid contract fields: " + "; ".join(f"{f}: {m}" for f, m in problems))


class TemplateError(ContractsError):
    """A template cannot be rendered or its text is unsafe."""


class FrozenVersionError(ContractsError):
    """A published template version cannot change."""


class IllegalTransition(ContractsError):
    """A contract, envelope or signer cannot move from its state to the requested one."""


class NotFound(ContractsError):
    """No template, version, contract or envelope with that name or id."""


class TermsExtractionError(ContractsError):
    """A PDF does not carry readable SLA terms; `problems` names each missing or malformed field."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(f"{f}: {m}" for f, m in problems))


class SigningError(ContractsError):
    """A signing action that is not allowed now (finished envelope, wrong turn, locked code,
    ...)."""


class InvalidToken(SigningError):
    """The link is unknown, or belongs to an envelope that can no longer be opened."""


class SealError(ContractsError):
    """The document could not be sealed (key, certificate or time-stamping authority)."""


class RetentionError(ContractsError):
    """Deletion refused: still within retention, or under legal hold."""


class SettingsError(ContractsError):
    """A setting was given a value it cannot take."""


class UserError(ContractsError):
    """A user cannot be created or changed as asked."""
