"""The contracts database as JSON lines, table by table, and back (flows/backup.py puts them in an
archive): a logical dump, engine-neutral — a SQLite deployment restores into PostgreSQL and back;
binary columns base64, times ISO 8601."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import MetaData, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.types import Integer

SKIP_TABLES = {"alembic_version"}  # the target's migrations write their own


def _json_value(v: Any) -> Any:
    if isinstance(v, bytes | memoryview):
        return {"$b64": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, datetime | date):
        return {"$time": v.isoformat()}
    return v


def _from_json(v: Any) -> Any:
    if isinstance(v, dict) and set(v) == {"$b64"}:
        return base64.b64decode(v["$b64"])
    if isinstance(v, dict) and set(v) == {"$time"}:
        return datetime.fromisoformat(v["$time"])
    return v


def _tables(engine: Engine) -> MetaData:
    md = MetaData()
    md.reflect(bind=engine)
    return md


def dump_tables(engine: Engine) -> dict[str, bytes]:
    """Every table as JSON lines, read in one transaction (a consistent snapshot)."""
    out: dict[str, bytes] = {}
    md = _tables(engine)
    with engine.connect() as conn, conn.begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        for table in md.sorted_tables:
            if table.name in SKIP_TABLES:
                continue
            order = list(table.primary_key.columns) or list(table.columns)[:1]
            rows = conn.execute(select(table).order_by(*order)).mappings()
            out[table.name] = b"".join(
                (json.dumps({k: _json_value(v) for k, v in r.items()}, default=str) + "\n").encode()
                for r in rows
            )
    return out


def schema_version(engine: Engine) -> str | None:
    """The Alembic revision the database is at."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def first_table_with_rows(engine: Engine, names: tuple[str, ...]) -> str | None:
    md = _tables(engine)
    with engine.connect() as conn:
        for name in names:
            if (
                name in md.tables
                and conn.execute(select(func.count()).select_from(md.tables[name])).scalar()
            ):
                return name
    return None


def load_tables(engine: Engine, dumped: dict[str, bytes]) -> None:
    """Load dump_tables' JSON lines into an empty schema, in dependency order, in one
    transaction; PostgreSQL's serial columns then continue after the rows."""
    md = _tables(engine)
    rows = {
        name: [
            {k: _from_json(v) for k, v in json.loads(line).items()}
            for line in data.decode().splitlines()
            if line.strip()
        ]
        for name, data in dumped.items()
    }
    with engine.begin() as conn:
        for table in md.sorted_tables:
            if table.name in SKIP_TABLES or table.name not in rows:
                continue
            if table.name == "audit_head":  # the migration wrote the genesis head: replace it
                conn.execute(table.delete())
            batch = [
                {c.name: r.get(c.name) for c in table.columns if c.name in r}
                for r in rows[table.name]
            ]
            if batch:
                conn.execute(insert(table), batch)
        if engine.dialect.name == "postgresql":  # serial columns continue after the rows
            for table in md.sorted_tables:
                for c in table.primary_key.columns:
                    if isinstance(c.type, Integer):
                        conn.execute(
                            text(
                                "SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE("
                                f"(SELECT max({c.name}) FROM {table.name}), 0) + 1, false)"
                            ),
                            {"t": table.name, "c": c.name},
                        )
