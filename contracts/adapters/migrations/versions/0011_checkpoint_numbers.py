"""Audit checkpoints are numbered and chained (each signs the digest of the one before), so a
deleted checkpoint shows as a gap against the count kept outside the database.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_digest", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_audit_checkpoints_number", ["number"])


def downgrade() -> None:
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.drop_constraint("uq_audit_checkpoints_number", type_="unique")
        batch.drop_column("prev_digest")
        batch.drop_column("number")
