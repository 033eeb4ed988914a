"""Teams, their channels and their managers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, utcnow


class Team(Base):
    """A group of channels reported together, with the managers who get its alerts."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    channels: Mapped[list[TeamChannel]] = relationship(
        back_populates="team", cascade="all, delete-orphan", lazy="selectin"
    )
    managers: Mapped[list[TeamManager]] = relationship(
        back_populates="team", cascade="all, delete-orphan", lazy="selectin"
    )


class TeamChannel(Base):
    """A channel's team. A channel belongs to at most one team; without one it is its own."""

    __tablename__ = "team_channels"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))

    team: Mapped[Team] = relationship(back_populates="channels")


class TeamManager(Base):
    """A Slack user who manages a team and gets its trend alerts."""

    __tablename__ = "team_managers"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))

    team: Mapped[Team] = relationship(back_populates="managers")
