"""Workspaces and channels: create on first sight, introduce Undertone once, rename."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import blocks
from bot.db.statements import dialect_insert
from bot.outbox.service import enqueue
from bot.workspaces.models import Channel, Workspace


def ensure_workspace(*, session: Session, workspace_id: str, name: str = "") -> None:
    """Create the workspace row if it is new (and fill in a name learnt later)."""
    statement = dialect_insert(session, Workspace).values(
        id=workspace_id, name=name, created_at=datetime.now(UTC)
    )
    if name:
        statement = statement.on_conflict_do_update(index_elements=["id"], set_={"name": name})
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["id"])
    session.execute(statement)


def ensure_channel(
    *,
    session: Session,
    workspace_id: str,
    channel_id: str,
    name: str = "",
    is_private: bool = False,
) -> None:
    """Create the channel row if it is new; update its name when one is given."""
    ensure_workspace(session=session, workspace_id=workspace_id)
    statement = dialect_insert(session, Channel).values(
        workspace_id=workspace_id,
        id=channel_id,
        name=name,
        is_private=is_private,
        excluded=False,
        created_at=datetime.now(UTC),
    )
    if name:
        statement = statement.on_conflict_do_update(
            index_elements=["workspace_id", "id"], set_={"name": name}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["workspace_id", "id"])
    session.execute(statement)


def introduce(
    *,
    session: Session,
    workspace_id: str,
    channel_id: str,
    is_private: bool,
    min_group: int,
    nudge_hours: int = 24,
) -> bool:
    """Post the transparency notice in a channel Undertone just joined, once ever."""
    ensure_channel(
        session=session, workspace_id=workspace_id, channel_id=channel_id, is_private=is_private
    )
    claimed = session.execute(
        update(Channel)
        .where(
            Channel.workspace_id == workspace_id,
            Channel.id == channel_id,
            Channel.notice_posted_at.is_(None),
        )
        .values(notice_posted_at=datetime.now(UTC))
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return False
    enqueue(
        session=session,
        method="chat.postMessage",
        payload={
            "channel": channel_id,
            **blocks.channel_notice(min_group=min_group, nudge_hours=nudge_hours),
        },
        workspace_id=workspace_id,
        dedupe_key=f"notice:{workspace_id}:{channel_id}",
    )
    return True


def rename(*, session: Session, workspace_id: str, channel_id: str, name: str) -> None:
    """Record a channel's new name."""
    if channel_id and name:
        ensure_channel(session=session, workspace_id=workspace_id, channel_id=channel_id, name=name)


def monitored_channels(*, session: Session, workspace_id: str) -> list[Channel]:
    """Return the channels Undertone has joined and does not exclude."""
    return list(
        session.scalars(
            select(Channel)
            .where(Channel.workspace_id == workspace_id, Channel.excluded.is_(False))
            .order_by(Channel.name)
        )
    )


def pick_workspace(session: Session, wanted: str | None) -> str:
    """Return the workspace to report on: the one asked for, or the only one there is."""
    from bot.errors import InputError
    from bot.observations.models import Observation

    known = sorted(
        set(session.scalars(select(Workspace.id)))
        | set(session.scalars(select(Observation.workspace_id).distinct()))
    )
    if wanted:
        if wanted not in known:
            raise InputError(
                f"no workspace {wanted!r} in the database (known: {', '.join(known) or 'none'})"
            )
        return wanted
    if not known:
        raise InputError(
            "the database holds no observations yet; run `undertone analyze` or `undertone run`"
        )
    if len(known) > 1:
        raise InputError(
            "the database holds several workspaces; choose one with --workspace "
            f"({', '.join(known)})"
        )
    return known[0]
