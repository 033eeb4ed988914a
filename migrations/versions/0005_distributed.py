"""Distributed mode: publish bookkeeping on the pending queue, and set-aside messages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pending_messages") as batch:
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_pending_messages_published", ["published_at", "id"])
    op.create_table(
        "set_aside_messages",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_set_aside_messages")),
    )
    op.create_index(
        op.f("ix_set_aside_messages_set_aside_at"), "set_aside_messages", ["set_aside_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_set_aside_messages_set_aside_at"), table_name="set_aside_messages")
    op.drop_table("set_aside_messages")
    with op.batch_alter_table("pending_messages") as batch:
        batch.drop_index("ix_pending_messages_published")
        batch.drop_column("published_at")
