"""Alert rules (warn before a breach) and the record of every alert sent, unique per rule,
ticket, metric, tier and threshold so that any number of workers send each once.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contract_id", sa.String(100), nullable=True),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("webhook_kind", sa.String(20), nullable=True),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("ticket_url", sa.String(2000), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "alerts_sent",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("rule_id", sa.Integer(), nullable=False, index=True),
        sa.Column("contract_id", sa.String(100), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(20), nullable=False),
        sa.Column("tier", sa.String(100), nullable=False),
        sa.Column("threshold", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("webhook_status", sa.String(40), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.UniqueConstraint(
            "rule_id",
            "contract_id",
            "ticket_id",
            "metric",
            "tier",
            "threshold",
            name="uq_alerts_sent_once",
        ),
    )


def downgrade() -> None:
    op.drop_table("alerts_sent")
    op.drop_table("alert_rules")
