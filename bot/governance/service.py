"""Controls (dry run, pause), daily caps, and the audit log.

The settings give a fresh install's defaults (UNDERTONE_DRY_RUN, UNDERTONE_PAUSED); what
admins switch from Slack is stored per workspace and wins over the defaults, so every
replica and worker sees the same state on its next look.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.statements import insert_if_absent
from bot.governance.models import AuditEntry, SendCounter, WorkspaceControl
from bot.settings import Settings


@dataclass(frozen=True)
class Controls:
    """The effective state of one workspace."""

    dry_run: bool
    paused: bool
    classification_paused: bool

    @property
    def sending(self) -> bool:
        """Tell whether messages may leave Undertone now."""
        return not (self.dry_run or self.paused)


def controls(session: Session, workspace_id: str | None, settings: Settings) -> Controls:
    """Return a workspace's controls: what admins switched, over the settings' defaults."""
    row = session.get(WorkspaceControl, workspace_id) if workspace_id else None
    live = row.live if row is not None else None
    return Controls(
        dry_run=settings.dry_run if live is None else not live,
        paused=settings.paused or bool(row and row.paused),
        classification_paused=bool(row and row.classification_paused),
    )


def set_controls(
    session: Session, *, workspace_id: str, actor: str, **changes: bool | None
) -> WorkspaceControl:
    """Change a workspace's controls and write the change to the audit log."""
    row = session.get(WorkspaceControl, workspace_id, with_for_update=True)
    if row is None:
        row = WorkspaceControl(workspace_id=workspace_id, paused=False, classification_paused=False)
        session.add(row)
    before = {name: getattr(row, name) for name in changes}
    for name, value in changes.items():
        setattr(row, name, value)
    row.changed_by, row.changed_at = actor, datetime.now(UTC)
    session.flush()
    audit(
        session,
        workspace_id=workspace_id,
        actor=actor,
        action="controls.change",
        details={"before": before, "after": changes},
    )
    return row


def take_send_slot(
    session: Session,
    *,
    workspace_id: str,
    day: date,
    recipient: str | None,
    daily_cap: int,
    user_daily_cap: int,
) -> str | None:
    """Count one proactive message against the caps; return which cap stops it, if any.

    Each count is a conditional UPDATE (count < cap) on a row claimed with INSERT … ON
    CONFLICT, so two senders racing for the last slot cannot both get it.
    """
    scopes = [("workspace", daily_cap)]
    if recipient:
        scopes.append((f"user:{recipient}", user_daily_cap))
    for scope, cap in scopes:
        insert_if_absent(
            session,
            SendCounter,
            conflict=["workspace_id", "day", "scope"],
            workspace_id=workspace_id,
            day=day,
            scope=scope,
            count=0,
        )
        taken = session.execute(
            update(SendCounter)
            .where(
                SendCounter.workspace_id == workspace_id,
                SendCounter.day == day,
                SendCounter.scope == scope,
                SendCounter.count < cap,
            )
            .values(count=SendCounter.count + 1)
            .returning(SendCounter.count)
        ).first()
        if taken is None:
            return "the daily cap per person" if scope.startswith("user:") else "the daily cap"
    return None


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    workspace_id: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record an admin action or a report view. Never pass message text here."""
    session.add(
        AuditEntry(
            workspace_id=workspace_id,
            at=datetime.now(UTC),
            actor=actor[:64],
            action=action[:64],
            target=target[:200] if target else None,
            details=details or {},
        )
    )


def cli_actor() -> str:
    """Return the audit actor for a command typed at a terminal."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli:unknown"


def erased_key(author_key: str) -> str:
    """Return how the audit log names an erased person: a short, one-way tag."""
    return "person:" + hashlib.sha256(author_key.encode()).hexdigest()[:12]


def audit_entries(
    session: Session, *, workspace_id: str | None = None, since: datetime | None = None
) -> list[AuditEntry]:
    """Return audit entries, oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
    if workspace_id:
        query = query.where(AuditEntry.workspace_id == workspace_id)
    if since:
        query = query.where(AuditEntry.at >= since)
    return list(session.scalars(query))


GOVERNANCE_SETTINGS = (
    "profile",
    "dry_run",
    "paused",
    "min_group",
    "nudges_opt_in",
    "team_level_only",
    "retention_days",
    "daily_cap",
    "user_daily_cap",
    "nudge_threshold",
    "leaders",
    "admins",
)


def record_settings(session: Session, *, settings: Settings, workspace_id: str | None) -> bool:
    """Audit the governance settings when they differ from the last ones recorded."""
    current = {name: getattr(settings, name) for name in GOVERNANCE_SETTINGS}
    last = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "settings.loaded", AuditEntry.workspace_id == workspace_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    if last is not None and last.details == current:
        return False
    audit(
        session,
        workspace_id=workspace_id,
        actor="undertone",
        action="settings.loaded",
        details=current,
    )
    return True
