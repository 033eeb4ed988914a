"""The "who sees what" page, written from the live settings so it is never out of date."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.governance.service import controls
from bot.settings import Settings
from bot.teams.models import Team
from bot.workspaces.service import monitored_channels


def _people(ids: list[str]) -> str:
    return ", ".join(f"<@{user_id}>" for user_id in ids)


def who_sees_what(session: Session, *, settings: Settings, workspace_id: str) -> list[str]:
    """Return the page, line by line, for App Home and `/undertone privacy`."""
    state = controls(session, workspace_id, settings)
    k = settings.min_group
    if state.dry_run:
        mode = "*dry run*: Undertone reads and counts, but sends nothing to anyone yet"
    else:
        mode = "*live*: nudges, alerts and reports are sent"
    if state.paused:
        mode += "; *paused* by an admin, so nothing is sent right now"
    nudges = (
        "only if you turn them on (`/undertone nudges on`)"
        if settings.nudges_opt_in
        else "unless you turn them off (`/undertone nudges off`)"
    )
    teams = list(
        session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name))
    )
    managed = [
        f"{team.name} ({_people([m.user_id for m in team.managers])})"
        for team in teams
        if team.managers
    ]
    scope = "teams only" if settings.team_level_only else "teams, channels"
    channels = [
        f"#{c.name or c.id}" for c in monitored_channels(session=session, workspace_id=workspace_id)
    ]
    return [
        "*Who sees what here* (written from Undertone's current settings)",
        f"• *Right now:* {mode}.",
        f"• *You:* a private nudge about your own message, {nudges}; at most "
        f"{settings.user_daily_cap} proactive message(s) a day. Nobody else sees your nudges.",
        "• *Managers:* trend alerts about their own team, numbers only, when at least "
        f"{k} people are behind them: " + ("; ".join(managed) or "no managers set yet") + ".",
        f"• *Leaders:* the monthly culture report ({scope} and customer accounts), every "
        f"number covering at least {k} people: "
        + (_people(settings.leaders) or "no leaders set yet")
        + ".",
        "• *Admins:* settings, status and the audit log of who did and saw what: "
        + (_people(settings.admins) or "no admins set yet")
        + ".",
        f"• *Nobody:* message text (never stored), who wrote what, or any group under {k}.",
        f"• *Kept:* one record per message (label, scores, time, an anonymous author key) for "
        f"{settings.retention_days} days; someone who leaves the workspace is erased at once.",
        "• *Listening in:* " + (", ".join(channels) or "no channels yet") + ".",
        f"• *Profile:* {settings.profile}.",
    ]
