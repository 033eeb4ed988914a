"""The persisted queue of messages accepted from Slack and not yet classified."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow
from bot.observations.models import BigId


class PendingMessage(Base):
    """A message waiting for the classifier.

    This is the only table that ever holds message text, and only until the message is
    classified: the row is deleted in the same transaction that stores the observation.
    """

    __tablename__ = "pending_messages"
    __table_args__ = (
        Index("ix_pending_messages_claim", "claimed_until", "id"),
        Index("ix_pending_messages_message", "workspace_id", "channel_id", "message_ts"),
        Index("ix_pending_messages_published", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # The Slack user id is needed to nudge the author; it goes with the row.
    user_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="live")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker's lease on the row; expired leases are picked up again after a crash.
    claimed_until: Mapped[datetime | None]
    # Distributed mode: when the row's id was last put on the task queue. Rows never
    # published (broker down) or published long ago and still here are published again.
    published_at: Mapped[datetime | None]


class SetAsideMessage(Base):
    """A message that broke classification again and again, set aside so it never blocks.

    Its text is deleted with its pending row; what remains says which message it was and
    what kind of error it raised, for an operator to look into.
    """

    __tablename__ = "set_aside_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(String(200))
    set_aside_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
