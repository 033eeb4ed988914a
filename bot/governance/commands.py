"""`/undertone admin …`: go live, pause and resume, exclude channels, from Slack."""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.governance.service import audit, controls, set_controls
from bot.outbox.models import OutboxMessage
from bot.settings import Settings
from bot.workspaces.models import Channel
from bot.workspaces.service import ensure_channel

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$")

USAGE = (
    "`/undertone admin live` (end the dry run: nudges, alerts and reports start going out) · "
    "`/undertone admin dry-run` · `/undertone admin pause` (stop every outgoing message) · "
    "`/undertone admin pause all` (also stop reading new messages) · "
    "`/undertone admin resume` · `/undertone admin exclude #channel` (stop listening there) · "
    "`/undertone admin include #channel`"
)


def admin_command(
    session: Session, *, workspace_id: str, actor: str, text: str, settings: Settings
) -> str:
    """Run one admin command; every change lands in the audit log."""
    words = text.strip().lower().split()
    verb = words[0] if words else ""
    if verb == "live":
        set_controls(session, workspace_id=workspace_id, actor=actor, live=True)
        # Channels Undertone joined during the dry run get their notice now, before any
        # nudge; what the dry run held back for people is never sent late.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.status == "dry_run",
                OutboxMessage.dedupe_key.like("notice:%"),
            )
            .values(status="pending")
        )
        paused = controls(session, workspace_id, settings).paused
        return "Undertone is live: nudges, alerts and reports will be sent from now on" + (
            ", once you `/undertone admin resume` (it is paused)." if paused else "."
        )
    if verb in ("dry-run", "dryrun", "shadow"):
        set_controls(session, workspace_id=workspace_id, actor=actor, live=False)
        return (
            "Undertone is in dry run again: it classifies and counts, sends nothing, and "
            "shows admins what it would have sent (`undertone outbox --dry-run`)."
        )
    if verb == "pause":
        everything = len(words) > 1 and words[1] == "all"
        set_controls(
            session,
            workspace_id=workspace_id,
            actor=actor,
            paused=True,
            classification_paused=everything,
        )
        return "Paused: nothing leaves Undertone until `/undertone admin resume`" + (
            ", and new messages are not read either." if everything else "; it still counts."
        )
    if verb in ("exclude", "include") and len(words) > 1:
        return _exclusion(session, workspace_id, actor, text.strip().split()[1], verb == "exclude")
    if verb == "resume":
        set_controls(
            session,
            workspace_id=workspace_id,
            actor=actor,
            paused=False,
            classification_paused=False,
        )
        state = controls(session, workspace_id, settings)
        return "Resumed." + (
            " It is still in dry run, so nothing is sent yet." if state.dry_run else ""
        )
    state = controls(session, workspace_id, settings)
    mode = "dry run" if state.dry_run else "live"
    pause = (
        ", paused (not reading messages either)"
        if state.classification_paused
        else ", paused"
        if state.paused
        else ""
    )
    return f"Undertone is {mode}{pause}. " + USAGE


def _exclusion(session: Session, workspace_id: str, actor: str, target: str, exclude: bool) -> str:
    match = _CHANNEL.match(target)
    if match is None:
        return f"{target} is not a channel; mention it as #channel."
    channel_id, name = match.group(1), match.group(2)
    ensure_channel(
        session=session, workspace_id=workspace_id, channel_id=channel_id, name=name or ""
    )
    session.execute(
        update(Channel)
        .where(Channel.workspace_id == workspace_id, Channel.id == channel_id)
        .values(excluded=exclude)
    )
    audit(
        session,
        workspace_id=workspace_id,
        actor=actor,
        action="channels.exclude" if exclude else "channels.include",
        target=channel_id,
    )
    if exclude:
        return (
            f"<#{channel_id}> is excluded: its messages are no longer read or counted. "
            "What was counted before stays until it expires."
        )
    return f"<#{channel_id}> is included again."
