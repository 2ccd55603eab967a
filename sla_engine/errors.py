"""Named exceptions of the SLA engine, caught once at the edge (CLI or page)."""

from __future__ import annotations


class SlaEngineError(Exception):
    """Base class: every error the engine raises on purpose."""


class TermsError(SlaEngineError):
    """An SLA terms document is invalid; the message names the file and field."""


class CalendarError(SlaEngineError):
    """A business calendar cannot be built (bad zone, overlapping windows, ...)."""


class IngestError(SlaEngineError):
    """A whole file cannot be read; nothing was stored."""


class StoreError(SlaEngineError):
    """The ticket store is missing, locked or inconsistent."""


class EvaluationError(SlaEngineError):
    """The inputs of an evaluation cannot be judged (e.g. no terms cover a ticket)."""


class NoContractColumn(IngestError):
    """The export has no contract column and no contract was chosen for it: each edge says how
    to choose one (the CLI's --contract, the page's Contract choice)."""

    def __init__(self, file: str) -> None:
        self.file = file
        super().__init__(
            f"{file}: the export has no contract column; say which contract it belongs to"
        )


class RecipeError(IngestError):
    """An import recipe is invalid; the message names the recipe and the key."""
