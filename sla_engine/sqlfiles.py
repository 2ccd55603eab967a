"""Load the .sql files that live beside the engine's modules."""
from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent


@cache
def sql(name: str) -> str:
    """Text of sla_engine/<name>.sql (read once)."""
    return (_HERE / f"{name}.sql").read_text(encoding="utf-8")
