"""Named exceptions of the flows that cross both engines, caught once at the edge (`ui.errors`).

FlowError
└── ClosingError    a credit month cannot be closed (already closed, or no figures)
"""

from __future__ import annotations


class FlowError(Exception):
    """Base class of every error the cross-engine flows raise on purpose."""


class ClosingError(FlowError):
    """A month cannot be closed (already closed, or no figures)."""
