"""Customer accounts, their aliases, which messages mention them, and suggested new ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import ColumnElement

from bot.db.base import Base, JSONType, utcnow
from bot.observations.models import Observation


class Account(Base):
    """A customer account an admin listed (CSV import or `/undertone account add`)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    # The name casefolded and squeezed: "Halvorsen  freight" and "Halvorsen Freight" are one.
    name_key: Mapped[str] = mapped_column(String(200))
    crm_id: Mapped[str | None] = mapped_column(String(64))
    owner_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    aliases: Mapped[list[AccountAlias]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )


class AccountAlias(Base):
    """Another name the account goes by ("HF", "Halvorsen")."""

    __tablename__ = "account_aliases"
    __table_args__ = (UniqueConstraint("account_id", "alias_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(200))
    alias_key: Mapped[str] = mapped_column(String(200))

    account: Mapped[Account] = relationship(back_populates="aliases")


class ObservationAccount(Base):
    """An account a classified message mentions (one row per account; still no text)."""

    __tablename__ = "observation_accounts"
    __table_args__ = (Index("ix_observation_accounts_account", "account_id", "workspace_id"),)

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )


def mention_of_observation() -> ColumnElement[bool]:
    """Return the condition joining an account mention to its message's observation."""
    return and_(
        ObservationAccount.workspace_id == Observation.workspace_id,
        ObservationAccount.channel_id == Observation.channel_id,
        ObservationAccount.message_ts == Observation.message_ts,
    )


class AccountCandidate(Base):
    """An organisation name seen in messages about customers, offered as a suggestion.

    Until enough people have used a name (see `SUGGEST_MIN_MENTIONS`, `…_AUTHORS`) only a
    keyed hash of it is stored, never the words themselves: a name a few people used once
    could be a piece of anyone's message. An admin confirms a suggestion with
    `undertone accounts add` or ignores it.
    """

    __tablename__ = "account_candidates"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    # Filled in only once the name is common enough to suggest.
    name: Mapped[str | None] = mapped_column(String(200))
    # HMAC-SHA256 of the normalised name, keyed with the pepper.
    name_key: Mapped[str] = mapped_column(String(200))
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    # Up to a few pseudonymous author keys, to count distinct people (never shown).
    author_keys: Mapped[list[str]] = mapped_column(JSONType, default=list)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
