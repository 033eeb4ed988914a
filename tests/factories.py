"""Rows for tests, made quickly and readably."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bot.observations.models import Observation
from bot.teams.models import Team, TeamChannel, TeamManager
from bot.workspaces.models import Channel, Workspace
from classifiers.labels import LABELS

_serial = itertools.count(1)


def observations(
    session: Session,
    *,
    channel: str,
    at: datetime,
    labels: dict[str, int],
    authors: int,
    workspace: str = "T1",
    supported: bool = True,
    author_prefix: str | None = None,
    spread: timedelta = timedelta(hours=1),
) -> None:
    """Insert observations with the given label counts, spread over `authors` people."""
    rows = []
    prefix = author_prefix or channel
    index = 0
    for label, count in labels.items():
        assert label in LABELS, label
        for _ in range(count):
            n = next(_serial)
            rows.append(
                {
                    "workspace_id": workspace,
                    "channel_id": channel,
                    "message_ts": f"{at.timestamp():.0f}.{n:06d}",
                    "thread_ts": None,
                    "author_key": f"{prefix}-author-{index % authors}",
                    "label": label,
                    "scores": {label: 0.9},
                    "lang": "en",
                    "lang_supported": supported,
                    "model_version": "test",
                    "source": "live",
                    "message_at": at + spread * (index % 20) / 20,
                    "classified_at": datetime.now(UTC),
                }
            )
            index += 1
    if rows:
        session.execute(insert(Observation), rows)


def channel(
    session: Session,
    channel_id: str,
    name: str,
    *,
    workspace: str = "T1",
    manager: str | None = None,
) -> None:
    """Create a workspace (if needed) and a named channel."""
    if session.get(Workspace, workspace) is None:
        session.add(Workspace(id=workspace, name="Quillon"))
        session.flush()
    session.add(Channel(workspace_id=workspace, id=channel_id, name=name, manager_id=manager))
    session.flush()


def team(
    session: Session,
    name: str,
    channels: list[str],
    managers: list[str] = (),
    *,
    workspace: str = "T1",
) -> Team:  # type: ignore[assignment]
    """Create a team with channels and managers."""
    created = Team(workspace_id=workspace, name=name)
    created.channels = [TeamChannel(workspace_id=workspace, channel_id=c) for c in channels]
    created.managers = [TeamManager(user_id=m) for m in managers]
    session.add(created)
    session.flush()
    return created
