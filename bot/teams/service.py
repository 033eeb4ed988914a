"""Define teams from a `teams.yml` file or admin commands, and look them up."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.teams.models import Team, TeamChannel, TeamManager
from bot.workspaces.models import Channel

_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")

EXAMPLE = """\
# teams.yml: which channels make a team, and who manages it.
teams:
  - name: Implementation
    channels: ["#implementation", "#halvorsen-rollout"]   # names or ids (C…)
    managers: [U0123ABCD]                                   # Slack user ids
"""


@dataclass
class TeamSpec:
    """One team as written in teams.yml."""

    name: str
    channels: list[str] = field(default_factory=list)
    managers: list[str] = field(default_factory=list)
    line: int = 0


def _fail(path: str, line: int, message: str) -> InputError:
    return InputError(f"{path} line {line}: {message}")


def parse_teams(text: str, *, path: str = "teams.yml") -> list[TeamSpec]:
    """Parse teams.yml; errors name the line."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise _fail(
            path, line, f"not valid YAML ({getattr(exc, 'problem', None) or exc})"
        ) from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root.start_mark.line + 1, "expected `teams:` at the top")
    teams_node = next((v for k, v in root.value if k.value == "teams"), None)
    if teams_node is None:
        raise _fail(path, root.start_mark.line + 1, "expected `teams:` at the top")
    if not isinstance(teams_node, yaml.SequenceNode):
        raise _fail(path, teams_node.start_mark.line + 1, "`teams` must be a list")
    specs: list[TeamSpec] = []
    seen: set[str] = set()
    for item in teams_node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise _fail(
                path, line, "each team needs `name:`, `channels:` and optionally `managers:`"
            )
        fields = {k.value: v for k, v in item.value}
        unknown = set(fields) - {"name", "channels", "managers"}
        if unknown:
            key = next(k for k, _ in item.value if k.value in unknown)
            raise _fail(path, key.start_mark.line + 1, f"unknown key {key.value!r}")
        name_node = fields.get("name")
        if not isinstance(name_node, yaml.ScalarNode) or not str(name_node.value).strip():
            raise _fail(path, line, "a team needs a `name`")
        name = str(name_node.value).strip()
        if name.lower() in seen:
            raise _fail(path, name_node.start_mark.line + 1, f"team {name!r} appears twice")
        seen.add(name.lower())
        spec = TeamSpec(name=name, line=line)
        for key, pattern, what in (
            ("channels", None, "channel"),
            ("managers", _USER, "Slack user id (U…)"),
        ):
            node = fields.get(key)
            if node is None:
                continue
            if not isinstance(node, yaml.SequenceNode):
                raise _fail(path, node.start_mark.line + 1, f"`{key}` must be a list")
            for entry in node.value:
                value = str(getattr(entry, "value", "")).strip()
                if not isinstance(entry, yaml.ScalarNode) or not value:
                    raise _fail(path, entry.start_mark.line + 1, f"empty {what} in `{key}`")
                if pattern is not None and not pattern.match(value):
                    raise _fail(path, entry.start_mark.line + 1, f"{value!r} is not a {what}")
                if key == "channels" and not (value.startswith("#") or _CHANNEL_ID.match(value)):
                    raise _fail(
                        path, entry.start_mark.line + 1, f"{value!r} is not a channel (#name or C…)"
                    )
                getattr(spec, key).append(value)
        specs.append(spec)
    return specs


def load_teams_file(path: Path) -> list[TeamSpec]:
    """Read and parse a teams file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_teams(text, path=str(path))


def resolve_channel(session: Session, workspace_id: str, reference: str) -> str | None:
    """Return a channel id from an id or a #name."""
    if _CHANNEL_ID.match(reference):
        return reference
    name = reference.lstrip("#")
    return session.scalar(
        select(Channel.id).where(Channel.workspace_id == workspace_id, Channel.name == name)
    )


def apply_specs(
    session: Session,
    *,
    workspace_id: str,
    specs: list[TeamSpec],
    path: str = "teams.yml",
    actor: str = "undertone",
) -> None:
    """Make the teams in the database exactly those of the file (all or nothing).

    A change to the teams is recorded in the audit log; loading the same file again is not.
    """
    resolved: list[tuple[TeamSpec, list[str]]] = []
    claimed: dict[str, str] = {}
    for spec in specs:
        channel_ids = []
        for reference in spec.channels:
            channel_id = resolve_channel(session, workspace_id, reference)
            if channel_id is None:
                raise _fail(
                    path,
                    spec.line,
                    f"team {spec.name!r}: no channel named {reference!r} is known yet",
                )
            if channel_id in claimed and claimed[channel_id] != spec.name:
                raise _fail(
                    path, spec.line, f"{reference} is already in team {claimed[channel_id]!r}"
                )
            claimed[channel_id] = spec.name
            channel_ids.append(channel_id)
        resolved.append((spec, channel_ids))
    before = _layout(session, workspace_id)
    session.execute(delete(Team).where(Team.workspace_id == workspace_id))
    session.flush()
    for spec, channel_ids in resolved:
        team = Team(workspace_id=workspace_id, name=spec.name)
        team.channels = [
            TeamChannel(workspace_id=workspace_id, channel_id=c) for c in dict.fromkeys(channel_ids)
        ]
        team.managers = [TeamManager(user_id=u) for u in dict.fromkeys(spec.managers)]
        session.add(team)
    session.flush()
    if _layout(session, workspace_id) != before:
        from bot.governance.service import audit

        audit(
            session,
            workspace_id=workspace_id,
            actor=actor,
            action="teams.file",
            target=Path(path).name,
            details={"teams": len(resolved)},
        )


def _layout(session: Session, workspace_id: str) -> set[tuple[str, frozenset[str], frozenset[str]]]:
    """Return the workspace's teams as comparable values: name, channels, managers."""
    return {
        (
            team.name,
            frozenset(c.channel_id for c in team.channels),
            frozenset(m.user_id for m in team.managers),
        )
        for team in session.scalars(select(Team).where(Team.workspace_id == workspace_id))
    }


def find_team(session: Session, workspace_id: str, name: str) -> Team | None:
    """Return a team by name, case-insensitively."""
    for team in session.scalars(select(Team).where(Team.workspace_id == workspace_id)):
        if team.name.lower() == name.lower():
            return team
    return None


def create_team(session: Session, *, workspace_id: str, name: str) -> Team:
    """Create a team, or return the existing one of that name."""
    team = find_team(session, workspace_id, name)
    if team is None:
        team = Team(workspace_id=workspace_id, name=name)
        session.add(team)
        session.flush()
    return team


def add_channel(session: Session, *, team: Team, channel_id: str) -> None:
    """Move a channel into a team (a channel is in one team at most)."""
    session.execute(
        delete(TeamChannel).where(
            TeamChannel.workspace_id == team.workspace_id, TeamChannel.channel_id == channel_id
        )
    )
    session.add(TeamChannel(team_id=team.id, workspace_id=team.workspace_id, channel_id=channel_id))


def add_manager(session: Session, *, team: Team, user_id: str) -> None:
    """Make someone a manager of a team."""
    if all(m.user_id != user_id for m in team.managers):
        session.add(TeamManager(team_id=team.id, user_id=user_id))


def managers_of(session: Session, *, workspace_id: str, team_key: str) -> list[str]:
    """Return the Slack user ids who manage a team (or, for a lone channel, the channel)."""
    if team_key.startswith("team:"):
        team = session.get(Team, int(team_key.removeprefix("team:")))
        return [m.user_id for m in team.managers] if team else []
    channel = session.get(Channel, (workspace_id, team_key.removeprefix("channel:")))
    return [channel.manager_id] if channel and channel.manager_id else []


def teams_managed_by(session: Session, *, workspace_id: str, user_id: str) -> list[Team]:
    """Return the teams a person manages."""
    return list(
        session.scalars(
            select(Team)
            .join(TeamManager)
            .where(Team.workspace_id == workspace_id, TeamManager.user_id == user_id)
        )
    )
