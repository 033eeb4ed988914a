"""`/undertone team …`: admins define teams from Slack."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.teams.models import Team
from bot.teams.service import add_channel, add_manager, create_team, find_team, resolve_channel
from bot.workspaces.models import Channel
from bot.workspaces.service import ensure_channel

USAGE = (
    "`/undertone team list` · `/undertone team add NAME` · "
    "`/undertone team channel NAME #channel` · `/undertone team manager NAME @person` · "
    "`/undertone team remove NAME`"
)
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$|^#([\w-]+)$")
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def team_command(session: Session, *, workspace_id: str, text: str) -> str:
    """Run one team command and return the answer to show the admin."""
    verb, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    if verb == "list" or not verb:
        return _list(session, workspace_id)
    if verb == "add" and rest:
        team = create_team(session, workspace_id=workspace_id, name=rest)
        return (
            f"Team *{team.name}* is ready. Add channels with "
            f"`/undertone team channel {team.name} #channel`."
        )
    if verb == "remove" and rest:
        gone = find_team(session, workspace_id, rest)
        if gone is None:
            return f"There is no team called *{rest}*."
        session.delete(gone)
        return f"Team *{gone.name}* is gone; its channels now count as their own teams."
    if verb in ("channel", "manager") and " " in rest:
        name, _, target = rest.rpartition(" ")
        found = find_team(session, workspace_id, name.strip())
        if found is None:
            return (
                f"There is no team called *{name.strip()}*. "
                f"Create it with `/undertone team add {name.strip()}`."
            )
        if verb == "channel":
            match = _CHANNEL.match(target)
            channel_id = match.group(1) if match and match.group(1) else None
            if match and channel_id is None:
                channel_id = resolve_channel(session, workspace_id, match.group(3))
            if channel_id is None:
                return f"I don't know the channel {target}; mention it as #channel."
            if match and match.group(2):
                ensure_channel(
                    session=session,
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    name=match.group(2),
                )
            add_channel(session, team=found, channel_id=channel_id)
            return f"<#{channel_id}> is now part of *{found.name}*."
        user = _USER.match(target)
        if user is None:
            return f"{target} is not a person; mention them as @name."
        add_manager(session, team=found, user_id=user.group(1))
        return f"<@{user.group(1)}> now manages *{found.name}* and will get its trend alerts."
    return USAGE


def _list(session: Session, workspace_id: str) -> str:
    teams = list(
        session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name))
    )
    if not teams:
        return "No teams yet: every channel counts as its own team. " + USAGE
    names = {
        c.id: c.name
        for c in session.scalars(select(Channel).where(Channel.workspace_id == workspace_id))
    }
    lines = []
    for team in teams:
        channels = (
            ", ".join(f"#{names.get(c.channel_id) or c.channel_id}" for c in team.channels)
            or "no channels"
        )
        managers = ", ".join(f"<@{m.user_id}>" for m in team.managers) or "no managers"
        lines.append(f"• *{team.name}*: {channels}; managed by {managers}")
    return "\n".join(lines)
