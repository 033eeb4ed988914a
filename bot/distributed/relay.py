"""The relay: publish the ids of queued messages to the workers, and again if lost.

The app's listener stores each accepted message in the pending queue (one small
transaction, so Slack's acknowledgement never waits for a broker) and wakes the relay. The
relay claims rows that were never published, or published long ago and still pending, and
sends their ids in batches. Claims use SKIP LOCKED, so any number of app replicas can run
a relay without publishing the same row twice in one round; and since a worker stores
each message once whatever it is sent, publishing twice is harmless anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from bot.db.engine import Database
from bot.ingest.models import PendingMessage

log = logging.getLogger(__name__)

# Rows claimed for publishing per round; big enough for an incident's burst.
ROUND = 2000


@dataclass
class RelayStats:
    """How the broker has been answering, for the status page and the logs."""

    failures: int = 0
    broker_down_since: datetime | None = None


class Relay:
    """Move pending-row ids from the database to the task queue."""

    def __init__(
        self,
        *,
        database: Database,
        publish: Callable[[list[int]], None],
        batch_size: int = 32,
        republish_after: timedelta = timedelta(minutes=2),
        gather_seconds: float = 0.05,
    ) -> None:
        self.database = database
        self.publish = publish
        self.batch_size = batch_size
        self.republish_after = republish_after
        self.gather_seconds = gather_seconds
        self.stats = RelayStats()
        self._wake = threading.Event()

    def notify(self) -> None:
        """Tell the relay a message was queued."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set: at once when woken, and every second to sweep."""
        while not stop.is_set():
            woken = self._wake.wait(1.0)
            self._wake.clear()
            if woken and self.gather_seconds:
                stop.wait(self.gather_seconds)  # let a burst gather into full batches
            try:
                self.step()
            except Exception:  # the database may be restarting; try again
                log.exception("relay: a round failed; trying again shortly")
                stop.wait(1.0)

    def step(self, *, now: datetime | None = None) -> int:
        """Publish one round; return how many ids were published."""
        now = now or datetime.now(UTC)
        published = 0
        while True:
            ids = self._claim(now)
            if not ids:
                return published
            if not self._send(ids):
                return published
            published += len(ids)
            if len(ids) < ROUND:
                return published

    def _claim(self, now: datetime) -> list[int]:
        stale = now - self.republish_after
        due = or_(PendingMessage.published_at.is_(None), PendingMessage.published_at < stale)
        with self.database.session() as session:
            query = select(PendingMessage.id).where(due)
            query = query.order_by(PendingMessage.id).limit(ROUND)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if not ids:
                return []
            session.execute(
                update(PendingMessage).where(PendingMessage.id.in_(ids)).values(published_at=now)
            )
        return ids

    def _send(self, ids: list[int]) -> bool:
        try:
            for start in range(0, len(ids), self.batch_size):
                self.publish(ids[start : start + self.batch_size])
        except Exception as exc:  # noqa: BLE001 - any broker failure: keep the rows, retry
            self.stats.failures += 1
            with self.database.session() as session:
                session.execute(
                    update(PendingMessage)
                    .where(PendingMessage.id.in_(ids))
                    .values(published_at=None)
                )
            if self.stats.broker_down_since is None:
                self.stats.broker_down_since = datetime.now(UTC)
                log.error(
                    "relay: the task broker is unreachable (%s); messages stay safe in the "
                    "pending queue and are sent when it is back",
                    type(exc).__name__,
                )
            return False
        if self.stats.broker_down_since is not None:
            log.warning(
                "relay: the task broker is back after %.0fs",
                (datetime.now(UTC) - self.stats.broker_down_since).total_seconds(),
            )
            self.stats.broker_down_since = None
        return True
