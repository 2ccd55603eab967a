"""Fixtures for the contracts tests: an engine on SQLite and on PostgreSQL (skipped with a reason
if absent)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from contracts.adapters.orm import make_engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "templates" / "examples"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_DSN, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "no server here"; the reason is shown in the skip
        return f"no PostgreSQL at 127.0.0.1:5432/test ({type(exc).__name__}: {exc})"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'covenant.sqlite'}")
        yield eng
        eng.dispose()
        return
    with pg_schema() as schema:
        eng = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        yield eng
        eng.dispose()


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh schema in the local PostgreSQL (the test skips, with the reason, when there is
    none), dropped after."""
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
