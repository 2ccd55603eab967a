"""Least privilege on PostgreSQL: migrations run as an owner role, the application as a role that
owns nothing and may only read and append to the audit trail.

Configure both: `DATABASE_OWNER_URL` (the role that owns the schema; used only to migrate and to
grant) and `DATABASE_URL` (the application's login role). Then `make_engine()` migrates as the
owner and grants the application role exactly `APP_GRANTS` below: it cannot UPDATE, DELETE or
TRUNCATE `audit_log` or `audit_checkpoints`, and, owning no table, it cannot `ALTER TABLE … DISABLE
TRIGGER` the append-only guard (PostgreSQL allows that only to a table's owner).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY = ("audit_log", "audit_checkpoints")  # read and append, never change
READ_ONLY = ("alembic_version",)  # the schema version is the owner's


def grant_app_role(conn: Connection, role: str) -> None:
    """Grant `role` what the application needs in the current schema, and no more."""
    q = conn.dialect.identifier_preparer.quote
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    r, s = q(role), q(schema)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {s} TO {r}"))
    conn.execute(text(f"REVOKE CREATE ON SCHEMA {s} FROM {r}"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}"))
    for table in APPEND_ONLY:
        conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {s}.{q(table)} FROM {r}"))
    for table in READ_ONLY:
        conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {s}.{q(table)} FROM {r}"))
