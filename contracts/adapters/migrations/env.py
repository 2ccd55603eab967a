"""Alembic environment: runs on the connection handed over by contracts.db.upgrade (or a URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from contracts.adapters.orm import Base, database_url

target_metadata = Base.metadata


def run() -> None:
    conn = context.config.attributes.get("connection")
    if conn is not None:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url())
    with engine.begin() as c:
        context.configure(connection=c, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
