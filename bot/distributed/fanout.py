"""Batch jobs (`analyze`, `backfill`) fanned out over the workers with `--distributed`.

The job reads and normalises as usual, but instead of classifying in its own process it
puts messages on the pending queue (the same one live events use) and relays their ids to
the workers; then it watches the queue drain so the terminal still shows progress.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.engine import Database
from bot.distributed.relay import Relay
from bot.ingest.models import PendingMessage
from bot.ingest.normalize import SlackMessage
from bot.ingest.pipeline import BatchResult
from bot.ingest.service import queue_message
from bot.settings import Settings

# Without a single message classified for this long, the job says no worker seems to run.
STALLED_AFTER = 60.0


class QueueSink:
    """Stand where the pipeline stands in a batch job, and queue for the workers instead."""

    def __init__(self, database: Database, relay: Relay) -> None:
        self.database = database
        self.relay = relay
        self.queued = 0

    def process(
        self,
        messages: Sequence[SlackMessage],
        *,
        workspace_id: str,
        source: str = "export",
        done: Callable[[Session], None] | None = None,
        session: Session | None = None,
    ) -> BatchResult:
        """Queue a batch; the workers classify it (and skip what they must skip)."""
        with self.database.session() as writing:
            for message in messages:
                queue_message(
                    session=writing, workspace_id=workspace_id, message=message, source=source
                )
            if done is not None:
                done(writing)
        self.queued += len(messages)
        self.relay.notify()
        return BatchResult([], {})


@contextmanager
def relaying(settings: Settings, database: Database) -> Iterator[Relay]:
    """Run a relay in a thread for the duration of a batch job."""
    from bot.app import make_relay

    relay, _ = make_relay(settings, database)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), name="relay", daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        relay.step()  # whatever was queued last goes out before the job ends
        stop.set()
        relay.notify()
        thread.join(10)


def remaining(database: Database, *, workspace_id: str, source: str) -> int:
    """Return how many messages of a job still wait for a worker."""
    with database.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(PendingMessage)
                .where(PendingMessage.workspace_id == workspace_id, PendingMessage.source == source)
            )
            or 0
        )


def wait_for_workers(
    database: Database,
    *,
    workspace_id: str,
    source: str,
    progress: Callable[[int], None],
    stalled: Callable[[], Any] = lambda: None,
    poll: float = 0.5,
) -> None:
    """Wait until the workers have classified every queued message of a job."""
    last, changed = None, time.monotonic()
    warned = False
    while True:
        left = remaining(database, workspace_id=workspace_id, source=source)
        progress(left)
        if left == 0:
            return
        if left != last:
            last, changed = left, time.monotonic()
        elif not warned and time.monotonic() - changed > STALLED_AFTER:
            stalled()
            warned = True
        time.sleep(poll)
