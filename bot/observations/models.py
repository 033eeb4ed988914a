"""The observation table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, JSONType, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Observation(Base):
    """One classified message: ids, times, a pseudonymous author, the label and scores.

    There is deliberately no column for the message text.
    """

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id", "message_ts"),
        # The report scans a time range per workspace and groups by channel, label and
        # author; with every column it reads in the index, it never touches the table.
        Index(
            "ix_observations_report",
            "workspace_id",
            "message_at",
            "channel_id",
            "label",
            "lang_supported",
            "author_key",
            "id",
        ),
        Index("ix_observations_channel_time", "workspace_id", "channel_id", "message_at"),
        Index("ix_observations_author", "workspace_id", "author_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    author_key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(16))
    scores: Mapped[dict[str, float]] = mapped_column(JSONType)
    lang: Mapped[str | None] = mapped_column(String(8))
    # False when the model is not trusted in `lang`; such rows are not counted as scored.
    lang_supported: Mapped[bool] = mapped_column(Boolean, default=True)
    model_version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="live")
    message_at: Mapped[datetime]
    classified_at: Mapped[datetime] = mapped_column(default=utcnow)
