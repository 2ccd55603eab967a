"""Hash-chained audit log replaces the plain domain event table (its rows are carried over, in
order).

Revision ID: 0002
Revises: 0001
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("seq", sa.Integer(), nullable=False, unique=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False, index=True),
        sa.Column("kind", sa.String(60), nullable=False, index=True),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(400)),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    conn = op.get_bind()
    prev, seq = "0" * 64, 0
    rows = conn.execute(
        sa.text("SELECT at, actor, aggregate, kind, payload FROM domain_events ORDER BY id")
    ).all()
    for at, actor, subject, kind, payload in rows:
        seq += 1
        at_text = at.isoformat(timespec="microseconds") if hasattr(at, "isoformat") else str(at)
        payload = json.loads(payload) if isinstance(payload, str) else payload
        body = json.dumps(
            [seq, at_text, actor, subject, kind, None, None, payload],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            default=str,
        )
        h = hashlib.sha256((prev + "\n" + body).encode("utf-8")).hexdigest()
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (seq, at, actor, subject, kind, ip, user_agent, payload,"
                " prev_hash, hash) VALUES (:seq, :at, :actor, :subject, :kind, NULL, NULL, "
                ":payload,"
                " :prev, :hash)"
            ),
            {
                "seq": seq,
                "at": at_text,
                "actor": actor,
                "subject": subject,
                "kind": kind,
                "payload": json.dumps(payload),
                "prev": prev,
                "hash": h,
            },
        )
        prev = h
    conn.execute(
        sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"),
        {"seq": seq, "hash": prev},
    )
    op.drop_table("domain_events")


def downgrade() -> None:
    raise NotImplementedError("the audit trail is append-only; it is never migrated down")
