"""SLA engine: ticket exports in, business-time compliance and service credits out (DuckDB)."""

from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
