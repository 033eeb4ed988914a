"""Per-person preferences, keyed by the pseudonymous author key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow


class UserPreference(Base):
    """A person's choices. Keyed by author key, so no Slack user id is stored."""

    __tablename__ = "user_preferences"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    author_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    nudges_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Opted-out people's messages are not classified at all.
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
