"""Named exceptions of the contracts package, caught once at the edge (CLI or page)."""
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
    """A contract cannot move from its state to the requested one."""


class NotFound(ContractsError):
    """No template, version or contract with that name or id."""


class TermsExtractionError(ContractsError):
    """A PDF does not carry readable SLA terms; `problems` names each missing or malformed field."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(f"{f}: {m}" for f, m in problems))
