"""Feedback on nudges: corrections without text, and text only when the author shares it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow
from bot.observations.models import BigId


class Feedback(Base):
    """An author's verdict on the nudge about one of their messages."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id", "message_ts"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    author_key: Mapped[str] = mapped_column(String(64), index=True)
    # fair_point, not_customer or fair_criticism
    verdict: Mapped[str] = mapped_column(String(32))
    # The label the author says is right, when they disagree with the model.
    corrected_label: Mapped[str | None] = mapped_column(String(16))
    model_label: Mapped[str | None] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(64))
    # Only ever set when the author presses "Share this message" after a correction.
    shared_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
