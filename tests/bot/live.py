"""A running Undertone in HTTP mode against the fake Slack, for end-to-end tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.app import Undertone, create_app
from bot.db.engine import Database
from bot.server import make_wsgi_app, serve, shutdown
from bot.settings import Settings
from bot.status import health, prometheus_metrics
from tests.fake_slack import FakeSlack
from tests.fakes import FakeClassifier
from tests.slack_requests import block_action_body, command_body, event_body, post, signed_headers

SECRET = "test-signing-secret"
TEAM = "T0TEST001"
CHANNEL = "C0CUSTOMERS"
AUTHOR = "U0AUTHOR1"


class LiveApp:
    """Undertone serving HTTP on 127.0.0.1, with its worker and sender running."""

    def __init__(self, undertone: Undertone, server: Any, fake: FakeSlack) -> None:
        self.undertone = undertone
        self.server = server
        self.fake = fake
        self.url = f"http://127.0.0.1:{server.effective_port}/slack/events"
        self.base = f"http://127.0.0.1:{server.effective_port}"

    @property
    def database(self) -> Database:
        return self.undertone.services.database

    def send(
        self, body: bytes, *, headers: dict[str, str] | None = None, timestamp: int | None = None
    ) -> int:
        status, _, _ = post(
            self.url, body, {**signed_headers(body, SECRET, timestamp), **(headers or {})}
        )
        return status

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> int:
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else {}
        )
        return self.send(event_body(event, event_id=event_id, team_id=TEAM), headers=headers)

    def message(
        self, text: str, *, ts: str, user: str = AUTHOR, event_id: str | None = None, **extra: Any
    ) -> int:
        event = {
            "type": "message",
            "channel": CHANNEL,
            "channel_type": "channel",
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            **extra,
        }
        return self.event(event, event_id=event_id)

    def command(
        self, text: str, *, user: str = AUTHOR, command: str = "/undertone"
    ) -> dict[str, Any]:
        body = command_body(
            command=command,
            text=text,
            user_id=user,
            team_id=TEAM,
            channel_id=CHANNEL,
            response_url=self.fake.response_url(command.strip("/")),
        )
        status, _, data = post(self.url, body, signed_headers(body, SECRET))
        assert status == 200, data
        if not data:
            return {}
        if data.lstrip().startswith(b"{"):
            return dict(json.loads(data))
        return {"text": data.decode()}  # Bolt answers a text-only ack as plain text

    def click(self, action_id: str, value: str, *, user: str = AUTHOR) -> None:
        body = block_action_body(
            action_id,
            value,
            user_id=user,
            channel_id=CHANNEL,
            team_id=TEAM,
            response_url=self.fake.response_url(action_id),
        )
        assert self.send(body) == 200

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the queue and the outbox are empty (or hold only future retries)."""
        from bot.ingest.models import PendingMessage
        from bot.outbox.models import OutboxMessage

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.database.session() as session:
                pending = session.scalar(select(func.count()).select_from(PendingMessage))
                due = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_(("pending", "sending")))
                )
            if not pending and not due:
                return
            time.sleep(0.05)
        raise AssertionError(f"still {pending} pending message(s) and {due} outbox row(s)")

    def get(self, path: str) -> str:
        """GET one of the app's own pages (health, metrics) and return its text."""
        import urllib.request

        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return str(response.read().decode())

    def status_lines(self) -> list[str]:
        """Return what `/undertone status` shows an admin."""
        from bot.status import status_lines

        return status_lines(self.undertone.services)

    def scalar(self, query: Any) -> Any:
        with self.database.session() as session:
            return session.scalar(query)

    def rows(self, query: Any) -> list[Any]:
        with self.database.session() as session:
            return list(session.scalars(query))


def wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Poll until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def live_settings(settings: Settings, fake: FakeSlack, **overrides: Any) -> Settings:
    """Return test settings pointed at the fake Slack."""
    return settings.model_copy(
        update={"slack_api_url": fake.url, "slack_signing_secret": _secret(SECRET), **overrides}
    )


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


@contextmanager
def running(
    settings: Settings,
    database: Database,
    fake: FakeSlack,
    *,
    classifier: Any = None,
    background: bool = True,
    **overrides: Any,
) -> Iterator[LiveApp]:
    """Run Undertone in HTTP mode until the block ends."""
    client = WebClient(token="xoxb-test-token", base_url=fake.url)
    undertone = create_app(
        live_settings(settings, fake, **overrides),
        client=client,
        classifier=classifier or FakeClassifier(),
        database=database,
    )
    undertone.services.worker.flush_seconds = 0.05
    undertone.services.sender.poll_seconds = 0.05
    wsgi = make_wsgi_app(
        SlackRequestHandler(undertone.bolt),
        health=lambda: health(undertone.services),
        metrics=lambda: prometheus_metrics(undertone.services),
    )
    server = serve(wsgi, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    if background:
        undertone.start_background()
    try:
        yield LiveApp(undertone, server, fake)
    finally:
        shutdown(server)
        thread.join(5)
        undertone.stop_event.set()
        undertone.services.worker.notify()
        undertone.services.sender.wake()
        for worker_thread in undertone.threads:
            worker_thread.join(10)
