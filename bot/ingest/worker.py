"""The classification worker: takes pending messages in micro-batches and runs the pipeline.

A batch is flushed when it is full or when its oldest message has waited `flush_seconds`,
so a quiet channel still gets its nudge in well under a second and a busy one gets full
batches. Rows are claimed with a lease: if the process dies mid-batch, another worker (or
the same one after a restart) picks them up when the lease runs out.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from bot.db.engine import Database
from bot.ingest.models import PendingMessage
from bot.ingest.normalize import SlackMessage
from bot.ingest.pipeline import Pipeline
from bot.ingest.service import MAX_ATTEMPTS, set_aside

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


@dataclass
class WorkerStats:
    """Counters for status pages and metrics."""

    batches: int = 0
    classified: int = 0
    skipped: int = 0
    poisoned: int = 0
    last_lag_seconds: float = 0.0
    lags: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    id: int
    workspace_id: str
    channel_id: str
    message_ts: str
    thread_ts: str | None
    user_id: str
    text: str
    source: str
    received_at: datetime
    attempts: int


class ClassificationWorker:
    """Drain the pending queue through the pipeline."""

    def __init__(
        self,
        *,
        database: Database,
        pipeline: Pipeline,
        batch_size: int = 32,
        flush_seconds: float = 0.25,
        name: str | None = None,
    ) -> None:
        self.database = database
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.name = name or f"worker-{uuid.uuid4().hex[:8]}"
        self.stats = WorkerStats()
        self._wake = threading.Event()

    def notify(self) -> None:
        """Tell the worker something was queued."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; the batch in hand is always finished first."""
        while not stop.is_set():
            try:
                wait = self.step()
            except Exception:
                log.exception("worker: a batch failed; retrying shortly")
                wait = 1.0
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()

    def step(self, *, now: datetime | None = None) -> float:
        """Process one batch if one is due; return how long to wait before the next look."""
        now = now or datetime.now(UTC)
        with self.database.session() as session:
            ready, oldest = _ready(session, now, self.batch_size)
        if ready == 0:
            return 1.0
        age = (now - oldest).total_seconds() if oldest else 0.0
        if ready < self.batch_size and age < self.flush_seconds:
            return self.flush_seconds - age
        self.process_batch(now=now)
        return 0.0

    def drain(self) -> int:
        """Process everything that is pending now; return how many rows were handled."""
        handled = 0
        while True:
            count = self.process_batch()
            if not count:
                return handled
            handled += count

    def process_batch(self, *, now: datetime | None = None) -> int:
        """Claim up to one batch and classify it; return how many rows were claimed."""
        rows = self._claim(now or datetime.now(UTC))
        if not rows:
            return 0
        try:
            self._process(rows)
        except Exception as exc:  # noqa: BLE001 - any failure: find the poison message below
            if len(rows) == 1:
                self._failed(rows[0], exc)
            else:
                # Find the message that breaks classification: retry one by one.
                log.warning("worker: batch of %d failed; retrying messages one by one", len(rows))
                for row in rows:
                    try:
                        self._process([row])
                    except Exception as one:  # noqa: BLE001
                        self._failed(row, one)
        return len(rows)

    def _claim(self, now: datetime) -> list[_Row]:
        with self.database.session() as session:
            query = (
                select(PendingMessage)
                .where(
                    or_(PendingMessage.claimed_until.is_(None), PendingMessage.claimed_until < now)
                )
                .order_by(PendingMessage.id)
                .limit(self.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            found = list(session.scalars(query))
            if not found:
                return []
            ids = [row.id for row in found]
            claimed = session.execute(
                update(PendingMessage)
                .where(
                    PendingMessage.id.in_(ids),
                    or_(PendingMessage.claimed_until.is_(None), PendingMessage.claimed_until < now),
                )
                .values(claimed_until=now + LEASE)
            )
            if claimed.rowcount != len(ids):  # type: ignore[attr-defined]
                # Another process got some of them first; take none and look again.
                session.rollback()
                return []
            return [
                _Row(
                    r.id,
                    r.workspace_id,
                    r.channel_id,
                    r.message_ts,
                    r.thread_ts,
                    r.user_id,
                    r.text,
                    r.source,
                    r.received_at,
                    r.attempts,
                )
                for r in found
            ]

    def _process(self, rows: list[_Row]) -> None:
        # Edits may queue a message twice; only its latest text counts, and every row of
        # the message leaves the queue with it.
        latest: dict[tuple[str, str, str], _Row] = {}
        row_ids: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for row in rows:
            key = (row.workspace_id, row.channel_id, row.message_ts)
            latest[key] = row
            row_ids[key].append(row.id)
        groups: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
        for key, row in latest.items():
            groups[(row.workspace_id, row.source)].append(key)
        for (workspace_id, source), keys in groups.items():
            ids = [row_id for key in keys for row_id in row_ids[key]]
            result = self.pipeline.process(
                [
                    SlackMessage(r.channel_id, r.message_ts, r.user_id, r.text, r.thread_ts)
                    for r in (latest[key] for key in keys)
                ],
                workspace_id=workspace_id,
                source=source,
                done=lambda session, ids=ids: _delete_rows(session, ids),  # type: ignore[misc]
            )
            self.stats.classified += len(result.classified)
            self.stats.skipped += sum(result.skipped.values())
        done_at = datetime.now(UTC)
        for row in latest.values():
            lag = (done_at - row.received_at).total_seconds()
            self.stats.last_lag_seconds = lag
            self.stats.lags.append(lag)
        del self.stats.lags[:-1000]
        self.stats.batches += 1

    def _failed(self, row: _Row, error: Exception) -> None:
        attempts = row.attempts + 1
        with self.database.session() as session:
            if attempts >= MAX_ATTEMPTS:
                pending = session.get(PendingMessage, row.id)
                if pending is not None:
                    set_aside(session, pending, attempts=attempts, error=error)
                self.stats.poisoned += 1
            else:
                session.execute(
                    update(PendingMessage)
                    .where(PendingMessage.id == row.id)
                    .values(attempts=attempts, claimed_until=None)
                )


def _delete_rows(session: Session, ids: list[int]) -> None:
    session.execute(delete(PendingMessage).where(PendingMessage.id.in_(ids)))


def _ready(session: Session, now: datetime, limit: int) -> tuple[int, datetime | None]:
    unclaimed = or_(PendingMessage.claimed_until.is_(None), PendingMessage.claimed_until < now)
    ids = session.scalars(
        select(PendingMessage.received_at).where(unclaimed).order_by(PendingMessage.id).limit(limit)
    ).all()
    return len(ids), (min(ids) if ids else None)
