"""Envelopes, signers, link tokens (hashes only), stored documents and the mail outbox.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "envelopes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "contract_id", sa.String(40), sa.ForeignKey("contracts.id"), nullable=False, index=True
        ),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("auth_method", sa.String(20), nullable=False),
        sa.Column("reminder_hours", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cc", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("final_sha256", sa.String(64)),
        sa.Column("reason", sa.Text()),
        sa.Column("row_version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "envelope_signers",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "envelope_id", sa.String(40), sa.ForeignKey("envelopes.id"), nullable=False, index=True
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
    )
    op.create_table(
        "signer_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "signer_id",
            sa.String(40),
            sa.ForeignKey("envelope_signers.id"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "envelope_id", sa.String(40), sa.ForeignKey("envelopes.id"), nullable=False, index=True
        ),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "envelope_id", sa.String(40), sa.ForeignKey("envelopes.id"), nullable=False, index=True
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("to_addr", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("envelope_id", sa.String(40), index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
    )


def downgrade() -> None:
    for t in ("outbox", "documents", "signer_tokens", "envelope_signers", "envelopes"):
        op.drop_table(t)
