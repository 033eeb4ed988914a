"""The Celery side of distributed mode: one app object, one queue, one batch task.

Only pending-row ids travel through the broker. Message text stays in PostgreSQL's
pending queue (deleted the moment a message is classified), so the broker never holds
anything an employee wrote, and a lost broker loses nothing: the relay publishes the ids
again.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery

from bot.settings import Settings

log = logging.getLogger(__name__)

QUEUE = "undertone.classify"
TASK = "undertone.classify"


def make_celery(settings: Settings) -> Celery:
    """Return the Celery app for the configured broker."""
    broker = settings.broker_url.get_secret_value()
    celery = Celery("undertone", broker=broker, set_as_current=False)
    celery.conf.update(
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # A task is acknowledged after its batch is stored; a killed worker's tasks go back
        # to the queue (RabbitMQ at once, Redis after the visibility timeout).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # The batch task gathers up to batch_size tasks before it runs; the worker must be
        # allowed to hold that many unacknowledged.
        worker_prefetch_multiplier=max(4, settings.batch_size * 2),
        broker_transport_options={"visibility_timeout": max(60, int(settings.republish_after))},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return celery


class Publisher:
    """Send batches of pending-row ids to the workers."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def publish(self, ids: list[int]) -> None:
        """Enqueue one task carrying these ids; raise if the broker cannot take it."""
        self.celery.send_task(
            TASK,
            args=[ids],
            queue=QUEUE,
            # Fail fast: the relay keeps the ids and tries again; a request thread never waits.
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2},
        )

    def depth(self) -> int | None:
        """Return how many tasks wait in the broker, or None when it cannot be asked."""
        try:
            with self.celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
                channel: Any = connection.default_channel
                if connection.transport.driver_type == "redis":
                    return int(channel.client.llen(QUEUE))  # an empty queue has no key
                return int(channel.queue_declare(queue=QUEUE, passive=True).message_count)
        except Exception:  # noqa: BLE001 - a missing queue or a down broker: unknown depth
            return None
