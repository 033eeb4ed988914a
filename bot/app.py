"""Build the Slack app from settings: Bolt routing plus the worker and outbox sender."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.db.engine import Database
from bot.ingest.pipeline import Classifier, Pipeline
from bot.ingest.worker import ClassificationWorker
from bot.listeners import register_listeners
from bot.nudges.policy import NudgePolicy
from bot.nudges.service import record_delivery
from bot.outbox.service import OutboxSender
from bot.privacy import author_key
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What listeners need, built once per process."""

    settings: Settings
    database: Database
    client: WebClient
    pipeline: Pipeline
    worker: ClassificationWorker
    sender: OutboxSender
    bot_user_id: str | None = None

    def author_key(self, user_id: str) -> str:
        """Return the pseudonymous key of a Slack user."""
        return author_key(user_id, pepper=self.settings.pepper)

    def is_admin(self, user_id: str) -> bool:
        """Tell whether a Slack user is a configured admin."""
        return user_id in self.settings.admins

    def is_leader(self, user_id: str) -> bool:
        """Tell whether a Slack user is a configured leader."""
        return user_id in self.settings.leaders


@dataclass
class Undertone:
    """The running app: Bolt for Slack's requests, threads for classification and sending."""

    bolt: App
    services: Services
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start_background(self) -> None:
        """Start the classification worker and the outbox sender."""
        for name, target in (
            ("classifier-worker", self.services.worker.run),
            ("outbox-sender", self.services.sender.run),
        ):
            thread = threading.Thread(
                target=target, args=(self.stop_event,), name=name, daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Let the batch and the send in hand finish, then stop the threads."""
        self.stop_event.set()
        self.services.worker.notify()
        self.services.sender.wake()
        for thread in self.threads:
            thread.join(timeout)
        self.services.database.dispose()


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    classifier: Classifier | None = None,
    database: Database | None = None,
) -> Undertone:
    """Build Undertone from settings; tests inject a client, a classifier and a database."""
    database = database or Database.from_url(settings.database_url)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = client or WebClient(token=token, base_url=settings.slack_api_url)
    if classifier is None:
        from bot.classifier import get_classifier

        classifier = get_classifier(settings)
    pipeline = Pipeline(
        database=database,
        classifier=classifier,
        settings=settings,
        policies=[NudgePolicy(settings)],
    )
    worker = ClassificationWorker(
        database=database, pipeline=pipeline, batch_size=settings.batch_size
    )
    sender = OutboxSender(database=database, client=client, hooks=[record_delivery])
    bolt = App(
        client=client,
        signing_secret=(
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else ""
        ),
        # Persist an event before Slack gets its acknowledgement, so nothing acked is lost.
        process_before_response=True,
        logger=logging.getLogger("bot.bolt"),
    )
    services = Services(
        settings=settings,
        database=database,
        client=client,
        pipeline=pipeline,
        worker=worker,
        sender=sender,
        bot_user_id=_bot_user_id(bolt),
    )
    register_listeners(bolt, services)
    return Undertone(bolt=bolt, services=services)


def _bot_user_id(bolt: App) -> str | None:
    auth: Any = getattr(bolt, "_authorize", None)
    result = getattr(auth, "bot_user_id", None) if auth else None
    if result:
        return str(result)
    try:
        response = bolt.client.auth_test()
    except Exception:  # noqa: BLE001 - Bolt already verified the token at start
        return None
    return str(response.get("user_id") or "") or None
