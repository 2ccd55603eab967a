"""An alert's outcome: sent, or suppressed with the reason (already breached when first seen, or
one of a storm summarised in one message), so the history says what was not sent and why.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts_sent") as batch:
        batch.add_column(
            sa.Column("outcome", sa.String(200), nullable=False, server_default="sent")
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts_sent") as batch:
        batch.drop_column("outcome")
