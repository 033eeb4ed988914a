"""Accept Slack message events quickly and durably; classify them later, in batches.

The listener's whole job is `accept_event`: drop redeliveries, skip what is never
classified, and persist the rest to the pending queue. That is one small transaction, so
Slack gets its acknowledgement in milliseconds and nothing accepted is lost on a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.statements import insert_if_absent
from bot.events.models import ProcessedEvent
from bot.ingest.models import PendingMessage, SetAsideMessage
from bot.ingest.normalize import Skipped, SlackMessage, normalize
from bot.observations.service import MessageRef, forget_message

log = logging.getLogger(__name__)

# Channel types Undertone listens to: public and private channels, never DMs.
MONITORED_CHANNEL_TYPES = frozenset({"channel", "group"})
# Remember event ids this long; Slack's last retry comes about 5 minutes after the first.
EVENT_MEMORY = timedelta(days=2)


@dataclass(frozen=True)
class Accepted:
    """What happened to an incoming event."""

    outcome: str  # queued, duplicate, skipped, deleted, unchanged
    reason: str = ""


def remember_event(*, session: Session, event_id: str) -> bool:
    """Record an event id; return False if it was already seen (a redelivery)."""
    return insert_if_absent(
        session,
        ProcessedEvent,
        conflict=["event_id"],
        event_id=event_id,
        received_at=datetime.now(UTC),
    )


def queue_message(
    *, session: Session, workspace_id: str, message: SlackMessage, source: str = "live"
) -> None:
    """Put a message on the pending queue."""
    session.add(
        PendingMessage(
            workspace_id=workspace_id,
            channel_id=message.channel_id,
            message_ts=message.ts,
            thread_ts=message.thread_ts,
            user_id=message.user_id,
            text=message.text,
            source=source,
            received_at=datetime.now(UTC),
        )
    )


def accept_event(
    *,
    session: Session,
    event: dict[str, Any],
    workspace_id: str,
    event_id: str | None,
    bot_user_id: str | None,
) -> Accepted:
    """Handle one `message` event: new, edited or deleted."""
    if event_id and not remember_event(session=session, event_id=event_id):
        return Accepted("duplicate")
    channel_id = str(event.get("channel") or "")
    channel_type = event.get("channel_type")
    if not channel_id or (channel_type and channel_type not in MONITORED_CHANNEL_TYPES):
        return Accepted("skipped", f"channel type {channel_type}")
    subtype = event.get("subtype") or ""
    if subtype == "message_deleted":
        ts = str(event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts") or "")
        return _delete(session, MessageRef(workspace_id, channel_id, ts))
    if subtype == "message_changed":
        new = event.get("message") or {}
        old = event.get("previous_message") or {}
        # Slack also sends message_changed for unfurls and its own bookkeeping.
        if old and new.get("text") == old.get("text") and new.get("blocks") == old.get("blocks"):
            return Accepted("unchanged")
        if new.get("subtype") == "tombstone":
            return _delete(session, MessageRef(workspace_id, channel_id, str(new.get("ts", ""))))
        event = new
    result = normalize(event, channel_id=channel_id, bot_user_id=bot_user_id)
    if isinstance(result, Skipped):
        return Accepted("skipped", result.reason)
    queue_message(session=session, workspace_id=workspace_id, message=result)
    return Accepted("queued")


def _delete(session: Session, ref: MessageRef) -> Accepted:
    if not ref.ts:
        return Accepted("skipped", "no ts")
    # A message deleted before it was classified must not be classified afterwards. The
    # pending rows go first: if a worker is classifying the message right now, this waits
    # for its transaction, and the observation it stored is then forgotten below.
    session.execute(
        delete(PendingMessage).where(
            PendingMessage.workspace_id == ref.workspace_id,
            PendingMessage.channel_id == ref.channel_id,
            PendingMessage.message_ts == ref.ts,
        )
    )
    forget_message(session=session, ref=ref)
    return Accepted("deleted")


def forget_old_events(*, session: Session, now: datetime | None = None) -> int:
    """Drop event ids older than any retry Slack would still send."""
    cutoff = (now or datetime.now(UTC)) - EVENT_MEMORY
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def queue_depth(session: Session) -> tuple[int, datetime | None]:
    """Return how many messages wait for the classifier and since when the oldest has."""
    count, oldest = session.execute(
        select(func.count(), func.min(PendingMessage.received_at))
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), oldest


# A message that breaks classification this many times is set aside (and its text deleted)
# so it can never block the queue; the single-process worker and the distributed workers
# both count to this.
MAX_ATTEMPTS = 3


def set_aside(session: Session, row: PendingMessage, *, attempts: int, error: Exception) -> None:
    """Move a message that keeps failing out of the queue; its text goes with it."""
    log.error(
        "message %s/%s failed classification %d times (%s); set aside",
        row.channel_id, row.message_ts, attempts, type(error).__name__,
    )  # fmt: skip
    session.add(
        SetAsideMessage(
            workspace_id=row.workspace_id,
            channel_id=row.channel_id,
            message_ts=row.message_ts,
            attempts=attempts,
            error=type(error).__name__[:200],
            set_aside_at=datetime.now(UTC),
        )
    )
    session.execute(
        delete(PendingMessage).where(
            PendingMessage.workspace_id == row.workspace_id,
            PendingMessage.channel_id == row.channel_id,
            PendingMessage.message_ts == row.message_ts,
        )
    )


__all__ = [
    "Accepted",
    "IntegrityError",
    "accept_event",
    "queue_depth",
    "queue_message",
    "set_aside",
]
