"""Build the Slack app from settings: Bolt routing plus the worker and outbox sender."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_bolt import App
from slack_sdk import WebClient

from bot.db.engine import Database
from bot.distributed.queue import Publisher
from bot.distributed.relay import Relay
from bot.ingest.pipeline import Classifier, Pipeline
from bot.ingest.worker import ClassificationWorker
from bot.listeners import register_listeners
from bot.nudges.policy import NudgePolicy
from bot.nudges.service import record_delivery
from bot.outbox.service import OutboxSender
from bot.privacy import author_key
from bot.reports.scheduled import Scheduler
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What listeners need, built once per process."""

    settings: Settings
    database: Database
    client: WebClient
    # Single mode classifies in this process; distributed mode only relays ids to workers.
    pipeline: Pipeline | None
    worker: ClassificationWorker | Relay
    sender: OutboxSender
    scheduler: Scheduler
    bot_user_id: str | None = None
    workspace_id: str | None = None
    broker: Publisher | None = None
    paused_cache: dict[str, tuple[float, bool]] = field(default_factory=dict)

    def author_key(self, user_id: str) -> str:
        """Return the pseudonymous key of a Slack user."""
        return author_key(user_id, pepper=self.settings.pepper)

    def is_admin(self, user_id: str) -> bool:
        """Tell whether a Slack user is a configured admin."""
        return user_id in self.settings.admins

    def is_leader(self, user_id: str) -> bool:
        """Tell whether a Slack user is a configured leader."""
        return user_id in self.settings.leaders

    def classification_paused(self, workspace_id: str) -> bool:
        """Tell whether an admin paused reading messages (`pause all`), looked up every 2s."""
        import time

        from bot.governance.service import controls

        now = time.monotonic()
        cached = self.paused_cache.get(workspace_id)
        if cached is None or now - cached[0] > 2.0:
            with self.database.session() as session:
                paused = controls(session, workspace_id, self.settings).classification_paused
            cached = (now, paused)
            self.paused_cache[workspace_id] = cached
        return cached[1]

    def controls_changed(self, workspace_id: str) -> None:
        """Drop the cached controls (an admin just changed them) and wake the sender."""
        self.paused_cache.pop(workspace_id, None)
        self.sender.wake()


@dataclass
class Undertone:
    """The running app: Bolt for Slack's requests, threads for classification and sending."""

    bolt: App
    services: Services
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start_background(self) -> None:
        """Start the classification worker (or relay), the outbox sender and the scheduler."""
        for name, target in (
            ("classifier-worker", self.services.worker.run),
            ("outbox-sender", self.services.sender.run),
            ("scheduler", self.services.scheduler.run),
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
    pipeline: Pipeline | None = None
    broker: Publisher | None = None
    worker: ClassificationWorker | Relay
    if settings.mode == "distributed":
        worker, broker = make_relay(settings, database)
    else:
        if classifier is None:
            from bot.classifier import get_classifier

            classifier = get_classifier(settings, serving=True)
        pipeline = Pipeline(
            database=database,
            classifier=classifier,
            settings=settings,
            policies=[NudgePolicy(settings)],
        )
        worker = ClassificationWorker(
            database=database, pipeline=pipeline, batch_size=settings.batch_size
        )
    sender = OutboxSender(
        database=database, client=client, hooks=[record_delivery], settings=settings
    )
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
    bot_user_id, workspace_id = _identity(bolt)
    if settings.teams_file and workspace_id:
        _load_teams(database, settings, workspace_id)
    from bot.governance.service import record_settings

    with database.session() as session:
        record_settings(session, settings=settings, workspace_id=workspace_id)
    services = Services(
        settings=settings,
        database=database,
        client=client,
        pipeline=pipeline,
        worker=worker,
        sender=sender,
        scheduler=Scheduler([]),
        bot_user_id=bot_user_id,
        workspace_id=workspace_id,
        broker=broker,
    )
    services.scheduler.jobs = scheduled_jobs(services)
    register_listeners(bolt, services)
    return Undertone(bolt=bolt, services=services)


def make_relay(settings: Settings, database: Database) -> tuple[Relay, Publisher]:
    """Return the relay that hands queued messages to `undertone worker` processes."""
    from datetime import timedelta

    from bot.distributed.queue import make_celery

    if database.engine.dialect.name != "postgresql":
        from bot.errors import ConfigurationError

        raise ConfigurationError(
            "UNDERTONE_MODE=distributed needs PostgreSQL (DATABASE_URL=postgresql://…): "
            "app replicas and workers must share one database"
        )
    publisher = Publisher(make_celery(settings))
    relay = Relay(
        database=database,
        publish=publisher.publish,
        batch_size=settings.batch_size,
        republish_after=timedelta(seconds=settings.republish_after),
    )
    return relay, publisher


def _identity(bolt: App) -> tuple[str | None, str | None]:
    """Return the bot's user id and its workspace id, from Slack's auth.test."""
    try:
        response = bolt.client.auth_test()
    except Exception:  # noqa: BLE001 - Bolt already verified the token at start
        return None, None
    return (str(response.get("user_id") or "") or None, str(response.get("team_id") or "") or None)


def _load_teams(database: Database, settings: Settings, workspace_id: str) -> None:
    from pathlib import Path

    from bot.teams.service import apply_specs, load_teams_file

    specs = load_teams_file(Path(settings.teams_file))
    with database.session() as session:
        apply_specs(session, workspace_id=workspace_id, specs=specs, path=settings.teams_file)
    log.info("loaded %d team(s) from %s", len(specs), settings.teams_file)


def scheduled_jobs(services: Services) -> list[Callable[[datetime], None]]:
    """Return the periodic jobs: monthly report, trend alerts, forgetting old event ids."""
    from bot.accounts.alerts import send_account_alerts
    from bot.alerts.service import send_trend_alerts
    from bot.ingest.service import forget_old_events
    from bot.reports.scheduled import queue_monthly_report

    settings = services.settings

    def monthly_report(now: datetime) -> None:
        if services.workspace_id:
            with services.database.session() as session:
                queue_monthly_report(
                    session, workspace_id=services.workspace_id, settings=settings, now=now
                )
            services.sender.wake()

    def trend_alerts(now: datetime) -> None:
        if services.workspace_id:
            with services.database.session() as session:
                send_trend_alerts(
                    session,
                    workspace_id=services.workspace_id,
                    now=now,
                    min_group=settings.min_group,
                    zone=settings.zone,
                )
                send_account_alerts(
                    session,
                    workspace_id=services.workspace_id,
                    now=now,
                    min_group=settings.min_group,
                    zone=settings.zone,
                )
            services.sender.wake()

    def forget_events(now: datetime) -> None:
        with services.database.session() as session:
            forget_old_events(session=session, now=now)

    def retention(now: datetime) -> None:
        from bot.governance.retention import purge_expired

        with services.database.session() as session:
            purge_expired(session, retention_days=settings.retention_days, now=now)

    return [monthly_report, trend_alerts, forget_events, retention]
