"""Anchors for the audit trail: checkpoints of the chain's head signed with the seal key (and
time-stamped when a TSA is configured); on PostgreSQL the audit table refuses UPDATE, DELETE and
TRUNCATE, whoever the application connects as.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("tsa_token", sa.Text(), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION covenant_audit_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP; END $$ "
            "LANGUAGE plpgsql"
        )
        for table in ("audit_log", "audit_checkpoints"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION covenant_audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION covenant_audit_append_only()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_log", "audit_checkpoints"):
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION covenant_audit_append_only()")
    op.drop_table("audit_checkpoints")
