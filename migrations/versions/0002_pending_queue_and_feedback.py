"""Live app: the pending queue (the only place message text waits) and nudge feedback.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:12:44.833057
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("author_key", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("corrected_label", sa.String(length=16), nullable=True),
        sa.Column("model_label", sa.String(length=16), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("shared_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint(
            "workspace_id",
            "channel_id",
            "message_ts",
            name=op.f("uq_feedback_workspace_id_channel_id_message_ts"),
        ),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_author_key"), ["author_key"], unique=False)

    op.create_table(
        "pending_messages",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_messages")),
    )
    with op.batch_alter_table("pending_messages", schema=None) as batch_op:
        batch_op.create_index("ix_pending_messages_claim", ["claimed_until", "id"], unique=False)
        batch_op.create_index(
            "ix_pending_messages_message",
            ["workspace_id", "channel_id", "message_ts"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_messages_message")
        batch_op.drop_index("ix_pending_messages_claim")

    op.drop_table("pending_messages")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_author_key"))

    op.drop_table("feedback")
