"""A contract's operational settings (not part of the signed text): the customer keys that route a
help desk's tickets to it, and the help desk's priority labels mapped to its tiers.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_routing",
        sa.Column("contract_id", sa.String(100), primary_key=True),  # as the SLA engine knows it
        sa.Column("customer_keys", sa.JSON(), nullable=False),
        sa.Column("severity_map", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("contract_routing")
