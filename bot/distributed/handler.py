"""The worker's side: classify and store the messages behind a batch of pending-row ids.

Exactly-once effects come from PostgreSQL, not from the broker:

- each message is classified under an advisory lock on (workspace, channel, ts), taken in
  a fixed order, so two workers handed the same message (a redelivery, a republish, an
  edit queued twice) store it one after the other, never side by side;
- under that lock the worker reads every pending row of the message and keeps only the
  newest text, so an edit that arrives before its original is classified wins;
- the observation, the nudge claim and the deletion of the pending rows commit in one
  transaction: a worker killed mid-batch commits nothing, and its rows are still there
  for the task's redelivery (or the relay's republish);
- a message the classifier keeps failing on is set aside after MAX_ATTEMPTS tries.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from bot.db.engine import Database
from bot.db.locks import lock_all
from bot.ingest.models import PendingMessage
from bot.ingest.normalize import SlackMessage
from bot.ingest.pipeline import Pipeline
from bot.ingest.service import MAX_ATTEMPTS, set_aside

log = logging.getLogger(__name__)

# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled
# back through no fault of its messages, and simply runs again.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
TRANSIENT_RETRIES = 3

MessageKey = tuple[str, str, str]


class BatchHandler:
    """Turn pending-row ids into stored observations."""

    def __init__(self, *, database: Database, pipeline: Pipeline, batch_size: int = 32) -> None:
        self.database = database
        self.pipeline = pipeline
        self.batch_size = batch_size

    def handle(self, ids: list[int]) -> None:
        """Process the messages behind these ids, in classifier-sized chunks."""
        unique = sorted(set(ids))
        for start in range(0, len(unique), self.batch_size):
            chunk = unique[start : start + self.batch_size]
            try:
                self._process_retrying(chunk)
            except (OperationalError, InterfaceError):
                # The database, not a message, failed (a restart, a lost connection): count
                # nothing against the messages; the relay publishes them again.
                log.warning("worker: the database failed mid-batch; the batch will be retried")
                raise
            except Exception as exc:  # noqa: BLE001 - find the message that breaks it
                if len(chunk) == 1:
                    self._failed(chunk[0], exc)
                    continue
                log.warning("worker: a batch of %d failed; retrying one by one", len(chunk))
                for row_id in chunk:
                    try:
                        self._process([row_id])
                    except (OperationalError, InterfaceError):
                        raise
                    except Exception as one:  # noqa: BLE001
                        self._failed(row_id, one)

    def _process_retrying(self, ids: list[int]) -> None:
        """Process a chunk, trying again at once if PostgreSQL picked it to break a deadlock
        (or a serialization conflict): nothing of it was stored, and a retry is cheaper
        than waiting for the relay to publish the messages again."""
        for attempt in range(1, TRANSIENT_RETRIES + 1):
            try:
                self._process(ids)
                return
            except OperationalError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if code not in TRANSIENT_SQLSTATES or attempt == TRANSIENT_RETRIES:
                    raise
                log.warning("worker: a batch hit a transient conflict (%s); retrying", code)

    def _process(self, ids: list[int]) -> None:
        with self.database.session() as session:
            keys = _keys(session, ids)
            if not keys:
                return  # already classified, or deleted before it could be
            lock_all(session, [("message", *key) for key in keys])
            rows = session.scalars(
                select(PendingMessage)
                .where(
                    tuple_(
                        PendingMessage.workspace_id,
                        PendingMessage.channel_id,
                        PendingMessage.message_ts,
                    ).in_(keys)
                )
                .order_by(PendingMessage.id)
            ).all()
            latest: dict[MessageKey, PendingMessage] = {}
            for row in rows:
                # Ordered by id: the newest text (an edit) wins.
                latest[(row.workspace_id, row.channel_id, row.message_ts)] = row
            groups: dict[tuple[str, str], list[PendingMessage]] = defaultdict(list)
            for row in latest.values():
                groups[(row.workspace_id, row.source)].append(row)
            for (workspace_id, source), group in groups.items():
                self.pipeline.process(
                    [
                        SlackMessage(r.channel_id, r.message_ts, r.user_id, r.text, r.thread_ts)
                        for r in group
                    ],
                    workspace_id=workspace_id,
                    source=source,
                    session=session,
                )
            # Every row of these messages leaves the queue, the older texts of edits too.
            session.execute(
                delete(PendingMessage).where(PendingMessage.id.in_([r.id for r in rows]))
            )

    def _failed(self, row_id: int, error: Exception) -> None:
        with self.database.session() as session:
            row = session.get(PendingMessage, row_id, with_for_update=True)
            if row is None:
                return
            attempts = row.attempts + 1
            if attempts < MAX_ATTEMPTS:
                # Unpublished again: the relay sends it once more on its next round.
                session.execute(
                    update(PendingMessage)
                    .where(PendingMessage.id == row_id)
                    .values(attempts=attempts, published_at=None)
                )
                log.warning(
                    "worker: message %s/%s failed (%s), attempt %d of %d",
                    row.channel_id, row.message_ts, type(error).__name__, attempts, MAX_ATTEMPTS,
                )  # fmt: skip
                return
            set_aside(session, row, attempts=attempts, error=error)


def _keys(session: Session, ids: list[int]) -> list[MessageKey]:
    rows = session.execute(
        select(PendingMessage.workspace_id, PendingMessage.channel_id, PendingMessage.message_ts)
        .where(PendingMessage.id.in_(ids))
        .distinct()
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]
