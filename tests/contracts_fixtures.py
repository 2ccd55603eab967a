"""Fixtures for the contracts tests: an engine on SQLite and on PostgreSQL (skipped with a reason
if absent)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool

from contracts.adapters.orm import make_engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "templates" / "examples"
OWNER, APP = "covenant_owner", "covenant_app"  # roles of the run's cluster (tests/pg_cluster.py)


def _pg_port() -> str:
    return os.environ.get("COVENANT_TEST_PG_PORT", "")


def pg_url(user: str = "postgres", schema: str | None = None) -> str:
    """The run's cluster as `user`, optionally with `schema` first on the search path (also for a
    subprocess, through libpq's options)."""
    url = f"postgresql+psycopg://{user}@127.0.0.1:{_pg_port()}/test"
    return f"{url}?options=-csearch_path%3D{schema}" if schema else url


def pg_dsn(user: str = "postgres") -> str:
    return f"host=127.0.0.1 port={_pg_port()} dbname=test user={user}"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def _pg_available() -> str | None:
    if not _pg_port():
        return os.environ.get("COVENANT_TEST_PG_SKIP") or "no PostgreSQL cluster for this run"
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """The application's engine: SQLite, or PostgreSQL as the least-privileged application role
    (the schema owned by covenant_owner, which ran the migrations and granted the app its
    rights)."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'covenant.sqlite'}")
        yield eng
        eng.dispose()
        return
    with pg_schema() as schema:
        eng = make_engine(pg_url(APP, schema), owner_url=pg_url(OWNER, schema))
        yield eng
        eng.dispose()


def owner_engine(engine):  # noqa: ANN001 - the app engine of the fixture above
    """The same database as its owner (PostgreSQL) or as the file's writer (SQLite): what an
    insider with the owner's credentials can do."""
    if engine.dialect.name == "sqlite":
        return engine
    schema = engine.url.query["options"].split("=", 1)[1]
    return make_engine(pg_url(OWNER, schema), migrate=False, poolclass=NullPool)


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh schema in the local PostgreSQL (the test skips, with the reason, when there is
    none), dropped after."""
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION {OWNER}')
    try:
        yield schema
    finally:
        with psycopg.connect(pg_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
