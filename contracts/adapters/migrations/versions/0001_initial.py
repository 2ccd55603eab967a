"""Templates, template versions, contracts and the domain event log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "template_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("template_name", sa.String(100), sa.ForeignKey("templates.name"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("requires", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("text_sha256", sa.String(64)),
        sa.Column("schema_sha256", sa.String(64)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("template_name", "number"),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("template_name", sa.String(100), sa.ForeignKey("templates.name"), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("template_text_sha256", sa.String(64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        sa.Column("supersedes", sa.String(40), sa.ForeignKey("contracts.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf_sha256", sa.String(64)),
        sa.Column("row_version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "domain_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False, index=True),
        sa.Column("aggregate", sa.String(100), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("domain_events")
    op.drop_table("contracts")
    op.drop_table("template_versions")
    op.drop_table("templates")
