"""Teams and managers, monthly report claims and kept monthly figures, a covering index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:21:05.796655
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_aggregates",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=80), nullable=False),
        sa.Column("scope_name", sa.String(length=200), nullable=False),
        sa.Column("label_counts", JSON, nullable=False),
        sa.Column("authors", sa.Integer(), nullable=False),
        sa.Column("unsupported", sa.Integer(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("last_observation_id", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_aggregates")),
        sa.UniqueConstraint(
            "workspace_id",
            "month",
            "scope_kind",
            "scope_id",
            name=op.f("uq_monthly_aggregates_workspace_id_month_scope_kind_scope_id"),
        ),
    )
    op.create_table(
        "report_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deliveries")),
        sa.UniqueConstraint(
            "workspace_id", "month", name=op.f("uq_report_deliveries_workspace_id_month")
        ),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_teams_workspace_id_name")),
    )
    op.create_table(
        "team_channels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_channels_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_channels")),
        sa.UniqueConstraint(
            "workspace_id", "channel_id", name=op.f("uq_team_channels_workspace_id_channel_id")
        ),
    )
    with op.batch_alter_table("team_channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_channels_team_id"), ["team_id"], unique=False)

    op.create_table(
        "team_managers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_managers_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_managers")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_team_managers_team_id_user_id")),
    )
    with op.batch_alter_table("team_managers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_managers_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observations_workspace_time"))
        batch_op.create_index(
            "ix_observations_report",
            [
                "workspace_id",
                "message_at",
                "channel_id",
                "label",
                "lang_supported",
                "author_key",
                "id",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("ix_observations_report")
        batch_op.create_index(
            batch_op.f("ix_observations_workspace_time"),
            ["workspace_id", "message_at"],
            unique=False,
        )

    with op.batch_alter_table("team_managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_managers_team_id"))

    op.drop_table("team_managers")
    with op.batch_alter_table("team_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_channels_team_id"))

    op.drop_table("team_channels")
    op.drop_table("teams")
    op.drop_table("report_deliveries")
    op.drop_table("monthly_aggregates")
