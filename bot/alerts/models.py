"""Alerts sent to managers about a team or channel, never about a person."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, JSONType, utcnow
from bot.observations.models import BigId


class Alert(Base):
    """One alert of one kind per scope per week; the unique key is the claim."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "scope_kind", "scope_id", "kind", "week_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    scope_kind: Mapped[str] = mapped_column(String(16))  # team, channel
    scope_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # rise, recovered
    week_start: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict[str, object]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
