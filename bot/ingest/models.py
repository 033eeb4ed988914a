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
