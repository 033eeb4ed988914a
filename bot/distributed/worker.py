"""`undertone worker`: a Celery worker that classifies batches of queued messages."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery_batches import Batches

from bot.db.engine import Database
from bot.distributed.handler import BatchHandler
from bot.distributed.queue import TASK, make_celery
from bot.ingest.pipeline import Classifier, Pipeline
from bot.nudges.policy import NudgePolicy
from bot.settings import Settings

log = logging.getLogger(__name__)


def build_worker_app(
    settings: Settings,
    *,
    database: Database,
    classifier: Classifier,
    flush_seconds: float = 0.25,
) -> tuple[Celery, BatchHandler]:
    """Return a Celery app whose batch task feeds a BatchHandler, and that handler."""
    pipeline = Pipeline(
        database=database,
        classifier=classifier,
        settings=settings,
        policies=[NudgePolicy(settings)],
    )
    handler = BatchHandler(database=database, pipeline=pipeline, batch_size=settings.batch_size)
    celery = make_celery(settings)

    @celery.task(  # type: ignore[untyped-decorator]
        name=TASK,
        base=Batches,
        flush_every=settings.batch_size,
        flush_interval=flush_seconds,
        acks_late=True,
    )
    def classify(requests: list[Any]) -> None:
        ids = [int(row_id) for request in requests for row_id in (request.args or [[]])[0]]
        handler.handle(ids)

    return celery, handler


def run_worker(
    settings: Settings,
    *,
    database: Database,
    classifier: Classifier,
    name: str | None = None,
    loglevel: str = "INFO",
) -> None:
    """Consume the queue in this process until SIGTERM or Ctrl-C (the batch in hand ends)."""
    celery, _ = build_worker_app(settings, database=database, classifier=classifier)
    worker = celery.Worker(
        pool="solo",
        concurrency=1,
        hostname=name,
        loglevel=loglevel,
        quiet=True,
        without_mingle=True,
        without_gossip=True,
    )
    worker.start()
