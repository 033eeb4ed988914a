"""Decide who gets a private nudge, and queue it in the same transaction as the observation."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import blocks
from bot.db.locks import lock_all
from bot.db.statements import insert_if_absent
from bot.ingest.pipeline import Classified
from bot.nudges.models import Nudge
from bot.outbox.service import enqueue
from bot.preferences import service as preferences
from bot.settings import Settings
from classifiers.labels import CONTEMPT

log = logging.getLogger(__name__)


class NudgePolicy:
    """Nudge the author of a contemptuous live message, kindly and rarely.

    A nudge needs all of: label contempt, contempt probability above the threshold, a
    language the model is trusted in, nudges on for the author, and no nudge to the same
    author in the cooldown window. History (backfill, exports) is never nudged.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cooldown = timedelta(hours=settings.nudge_cooldown_hours)

    def after_store(
        self, *, session: Session, classified: Sequence[Classified], source: str
    ) -> None:
        """Queue nudges for the messages of a stored batch that deserve one."""
        if source != "live":
            return
        nudged_now: set[str] = set()
        # Two workers may store contempt from one author at once: each author's cooldown
        # is checked and claimed under a lock on that author, taken in a fixed order.
        lock_all(
            session,
            [
                ("nudge-author", item.ref.workspace_id, item.author_key)
                for item in classified
                if item.prediction.label == CONTEMPT
            ],
        )
        for item in classified:
            prediction = item.prediction
            if (
                prediction.label != CONTEMPT
                or prediction.contempt < self.settings.nudge_threshold
                or not prediction.supported
                or item.author_key in nudged_now
            ):
                continue
            ref = item.ref
            prefs = preferences.get(
                session=session,
                workspace_id=ref.workspace_id,
                author_key=item.author_key,
                nudges_default=not self.settings.nudges_opt_in,
            )
            if not prefs.nudges_enabled or self._recently_nudged(session, item):
                continue
            if not _claim_nudge(session, item):
                continue  # this message was already nudged (a redelivery)
            message = blocks.nudge(
                channel_id=ref.channel_id,
                message_ts=ref.ts,
                scores=prediction.scores,
                seed=f"{item.author_key}:{ref.ts}",
            )
            payload = {"channel": ref.channel_id, "user": item.user_id, **message}
            if ref.thread_ts:
                payload["thread_ts"] = ref.thread_ts
            enqueue(
                session=session,
                method="chat.postEphemeral",
                payload=payload,
                workspace_id=ref.workspace_id,
                dedupe_key=nudge_key(ref.workspace_id, ref.channel_id, ref.ts),
            )
            nudged_now.add(item.author_key)

    def _recently_nudged(self, session: Session, item: Classified) -> bool:
        since = datetime.now(UTC) - self.cooldown
        count = session.scalar(
            select(func.count())
            .select_from(Nudge)
            .where(
                Nudge.workspace_id == item.ref.workspace_id,
                Nudge.author_key == item.author_key,
                Nudge.created_at >= since,
                Nudge.status != "failed",
            )
        )
        return bool(count)


def nudge_key(workspace_id: str, channel_id: str, ts: str) -> str:
    """Return the outbox dedupe key of the nudge about one message."""
    return f"nudge:{workspace_id}:{channel_id}:{ts}"


def _claim_nudge(session: Session, item: Classified) -> bool:
    return insert_if_absent(
        session,
        Nudge,
        conflict=["workspace_id", "channel_id", "message_ts"],
        workspace_id=item.ref.workspace_id,
        channel_id=item.ref.channel_id,
        message_ts=item.ref.ts,
        author_key=item.author_key,
        status="queued",
        created_at=datetime.now(UTC),
    )
