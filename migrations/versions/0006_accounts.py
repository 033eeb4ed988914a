"""Customer accounts: the list, aliases, mentions on observations, suggestions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 13:01:51.068871
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_candidates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column(
            "author_keys",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_candidates")),
        sa.UniqueConstraint(
            "workspace_id", "name_key", name=op.f("uq_account_candidates_workspace_id_name_key")
        ),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("crm_id", sa.String(length=64), nullable=True),
        sa.Column("owner_team_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_team_id"],
            ["teams.id"],
            name=op.f("fk_accounts_owner_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint(
            "workspace_id", "name_key", name=op.f("uq_accounts_workspace_id_name_key")
        ),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_owner_team_id"), ["owner_team_id"], unique=False
        )

    op.create_table(
        "account_aliases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("alias_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_aliases_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_aliases")),
        sa.UniqueConstraint(
            "account_id", "alias_key", name=op.f("uq_account_aliases_account_id_alias_key")
        ),
    )
    with op.batch_alter_table("account_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_aliases_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "observation_accounts",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_observation_accounts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "channel_id",
            "message_ts",
            "account_id",
            name=op.f("pk_observation_accounts"),
        ),
    )
    with op.batch_alter_table("observation_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observation_accounts_account", ["account_id", "workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("observation_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_accounts_account")

    op.drop_table("observation_accounts")
    with op.batch_alter_table("account_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_aliases_account_id"))

    op.drop_table("account_aliases")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_owner_team_id"))

    op.drop_table("accounts")
    op.drop_table("account_candidates")
