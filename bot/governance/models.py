"""Tables for what admins decide and what auditors check."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, JSONType, utcnow
from bot.observations.models import BigId


class WorkspaceControl(Base):
    """What admins switched from Slack: live or dry run, paused or sending."""

    __tablename__ = "workspace_controls"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None: follow UNDERTONE_DRY_RUN. True once an admin said `/undertone admin live`.
    live: Mapped[bool | None]
    paused: Mapped[bool] = mapped_column(default=False)
    # Paused with `pause all`: new messages are not even read until resumed.
    classification_paused: Mapped[bool] = mapped_column(default=False)
    changed_by: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SendCounter(Base):
    """How many proactive messages went out per workspace (or per person) per day.

    The counter row is the claim: a send happens only if it could raise the count without
    passing the cap, in one conditional UPDATE, so replicas cannot overshoot together.
    """

    __tablename__ = "send_counters"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)  # workspace, user:U…
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Who did or saw what, and when. Never any message text."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_at", "workspace_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # A Slack user id, "cli:<login>" for the command line, or "undertone" for jobs.
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, object]] = mapped_column(JSONType, default=dict)
