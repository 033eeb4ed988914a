"""Store and remove observations: the only record of a classified message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.db.statements import dialect_insert
from bot.observations.models import Observation


@dataclass(frozen=True)
class MessageRef:
    """Where a message lives in Slack; the natural key of its observation."""

    workspace_id: str
    channel_id: str
    ts: str
    thread_ts: str | None = None

    @property
    def sent_at(self) -> datetime:
        """Return when the message was posted, from its Slack timestamp."""
        return ts_to_datetime(self.ts)


def ts_to_datetime(ts: str) -> datetime:
    """Convert a Slack `ts` ("1700000000.000100") to an aware UTC datetime."""
    return datetime.fromtimestamp(float(ts), tz=UTC)


@dataclass(frozen=True)
class NewObservation:
    """What is stored about one classified message (never its text)."""

    ref: MessageRef
    author_key: str
    label: str
    scores: dict[str, float]
    lang: str | None
    lang_supported: bool
    model_version: str
    source: str = "live"


# Columns an edit (the same message classified again) replaces.
_CHANGING = ("label", "scores", "lang", "lang_supported", "model_version", "classified_at")


def record(*, session: Session, observations: Sequence[NewObservation]) -> None:
    """Insert the observations of a batch, updating messages seen before, in one statement.

    The unique key (workspace, channel, ts) makes this idempotent: a redelivered event or
    a re-run over the same export leaves one row, and an edit replaces the label. A batch
    holds each message once (the pipeline keeps the later of two versions).
    """
    if not observations:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "workspace_id": o.ref.workspace_id,
            "channel_id": o.ref.channel_id,
            "message_ts": o.ref.ts,
            "thread_ts": o.ref.thread_ts,
            "author_key": o.author_key,
            "label": o.label,
            "scores": o.scores,
            "lang": o.lang,
            "lang_supported": o.lang_supported,
            "model_version": o.model_version,
            "source": o.source,
            "message_at": o.ref.sent_at,
            "classified_at": now,
        }
        for o in observations
    ]
    statement = dialect_insert(session, Observation)
    statement = statement.on_conflict_do_update(
        index_elements=["workspace_id", "channel_id", "message_ts"],
        set_={name: statement.excluded[name] for name in _CHANGING},
    )
    session.execute(statement, rows)


def forget_message(*, session: Session, ref: MessageRef) -> int:
    """Delete the observation of a deleted message; return how many rows went."""
    from bot.accounts.service import forget_links

    forget_links(session, ref)
    result = session.execute(
        delete(Observation).where(
            Observation.workspace_id == ref.workspace_id,
            Observation.channel_id == ref.channel_id,
            Observation.message_ts == ref.ts,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
