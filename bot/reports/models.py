"""Which monthly reports were sent, and the monthly figures kept for reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, JSONType, utcnow
from bot.observations.models import BigId


class ReportDelivery(Base):
    """The claim that one month's report was (or is being) sent for a workspace."""

    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("workspace_id", "month"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonthlyAggregate(Base):
    """A complete month's figures for one group, kept so reports stay fast and so the
    trend outlives observations purged after the retention period."""

    __tablename__ = "monthly_aggregates"
    __table_args__ = (UniqueConstraint("workspace_id", "month", "scope_kind", "scope_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))
    scope_kind: Mapped[str] = mapped_column(String(16))  # overall, team, channel
    scope_id: Mapped[str] = mapped_column(String(80))
    scope_name: Mapped[str] = mapped_column(String(200), default="")
    label_counts: Mapped[dict[str, int]] = mapped_column(JSONType)
    authors: Mapped[int] = mapped_column(Integer)
    unsupported: Mapped[int] = mapped_column(Integer)
    # What the month held when this was computed; a change means it must be recomputed.
    observations: Mapped[int] = mapped_column(Integer)
    last_observation_id: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
