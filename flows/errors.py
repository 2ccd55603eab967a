"""Named exceptions of the flows that cross both engines, caught once at the edge (`ui.errors`).

FlowError
├── ClosingError        a credit month cannot be closed (already closed, or no figures)
└── RegistrationError   signed terms cannot be registered, or uploaded terms are refused
"""

from __future__ import annotations


class FlowError(Exception):
    """Base class of every error the cross-engine flows raise on purpose."""


class RegistrationError(FlowError):
    """Signed terms cannot be registered with the engine, or uploaded terms are refused."""


class ClosingError(FlowError):
    """A month cannot be closed (already closed, or no figures)."""
