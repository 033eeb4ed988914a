"""Nudges sent (or held back) for a message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow
from bot.observations.models import BigId


class Nudge(Base):
    """One nudge per message at most; `status` records whether Slack delivered it."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id", "message_ts"),
        Index("ix_nudges_author_time", "workspace_id", "author_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    author_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
