"""A child process that runs one app's outbox sender, for tests of racing replicas.

Kept apart from the test modules so a spawned child imports only what a sender needs.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.db.engine import Database
from bot.outbox.service import OutboxSender
from bot.settings import Settings


def drain_outbox(settings: Settings, slack_url: str, start: Any) -> None:
    """Send everything due from the outbox, starting together with the other processes."""
    database = Database.from_url(settings.database_url)
    sender = OutboxSender(
        database=database,
        client=WebClient(token="xoxb-test", base_url=slack_url),
        settings=settings,
        batch=3,
    )
    start.wait()
    while sender.send_due():
        pass
    database.dispose()
