"""Slash commands: `/undertone …` for everyone (and admins), `/culture-report` for leaders."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from bot import blocks
from bot.accounts.commands import account_command
from bot.preferences import service as preferences
from bot.teams.commands import team_command

if TYPE_CHECKING:
    from bot.app import Services


def register(app: App, services: Services) -> None:
    """Register the slash commands."""

    @app.command("/undertone")
    def undertone(ack: Ack, command: dict[str, Any]) -> None:
        ack(**undertone_reply(services, command))


def undertone_reply(services: Services, command: dict[str, Any]) -> dict[str, Any]:
    """Answer `/undertone <words>` privately to whoever typed it."""
    user_id = str(command.get("user_id") or "")
    raw = str(command.get("text") or "").strip().split(maxsplit=1)
    rest = raw[1] if len(raw) > 1 else ""
    words = [w.lower() for w in (raw[0], *rest.split())] if raw else []
    settings = services.settings
    if not words or words[0] == "help":
        return blocks.help_text(is_admin=services.is_admin(user_id))
    workspace_id = str(command.get("team_id") or "")
    if words[0] == "privacy":
        from bot.governance.transparency import who_sees_what

        with services.database.session() as session:
            page = who_sees_what(session, settings=settings, workspace_id=workspace_id)
        return blocks.privacy(
            min_group=settings.min_group, retention_days=settings.retention_days, page=page
        )
    if words[0] == "admin":
        if not services.is_admin(user_id):
            return blocks.simple("`/undertone admin` is for Undertone admins.")
        from bot.governance.commands import admin_command

        with services.database.session() as session:
            reply = admin_command(
                session, workspace_id=workspace_id, actor=user_id, text=rest, settings=settings
            )
        services.controls_changed(workspace_id)
        return blocks.simple(reply)
    if words[0] == "nudges" and len(words) == 2 and words[1] in ("on", "off"):
        with services.database.session() as session:
            preferences.set_nudges(
                session=session,
                workspace_id=workspace_id,
                author_key=services.author_key(user_id),
                enabled=words[1] == "on",
            )
        if words[1] == "on":
            per = blocks.once_per(settings.nudge_cooldown_hours)
            return blocks.simple(f"Nudges are on. You'll get at most one private note {per}.")
        return blocks.simple("Nudges are off. `/undertone nudges on` turns them back on.")
    if words[0] in ("opt-out", "opt-in") and len(words) == 1:
        with services.database.session() as session:
            preferences.set_opted_out(
                session=session,
                workspace_id=workspace_id,
                author_key=services.author_key(user_id),
                opted_out=words[0] == "opt-out",
            )
        if words[0] == "opt-in":
            return blocks.simple(
                "You're back in: Undertone reads your new messages again, counts them in the "
                "anonymous team figures and may nudge you (if your nudges are on)."
            )
        return blocks.simple(
            "You're opted out: from now on Undertone does not read your messages at all, so "
            "they are not classified, counted or nudged. What it recorded before (labels, "
            "never text) stays in the anonymous figures until retention deletes it; an "
            "admin can erase it now. `/undertone opt-in` undoes this."
        )
    if words[0] in _SETTINGS_AREAS:
        area, what, run = _SETTINGS_AREAS[words[0]]
        if not services.is_admin(user_id):
            return blocks.simple(f"{what} settings are for Undertone admins.")
        with services.database.session() as session:
            reply = run(session, workspace_id=workspace_id, text=rest)
            _audit_command(session, workspace_id, user_id, area, rest)
        return blocks.simple(reply)
    if words[0] == "status":
        if not services.is_admin(user_id):
            return blocks.simple("`/undertone status` is for Undertone admins.")
        from bot.status import status_lines

        return blocks.simple("\n".join(status_lines(services)))
    return blocks.help_text(is_admin=services.is_admin(user_id))


AreaCommand = Callable[..., str]
# `/undertone <word> …` settings areas for admins: audit name, what to call it, handler.
_SETTINGS_AREAS: dict[str, tuple[str, str, AreaCommand]] = {
    "team": ("teams", "Team", team_command),
    "account": ("accounts", "Account", account_command),
    "accounts": ("accounts", "Account", account_command),
}


def _audit_command(session: Session, workspace_id: str, user_id: str, area: str, rest: str) -> None:
    """Record an admin's settings command (read-only `list` is not a change)."""
    verb = rest.split(maxsplit=1)[0].lower() if rest else "list"
    if verb == "list":
        return
    from bot.governance.service import audit

    audit(
        session,
        workspace_id=workspace_id,
        actor=user_id,
        action=f"{area}.{verb}",
        details={"command": rest[:200]},
    )
