"""The one `message` listener: every new, edited and deleted message."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App

from bot.ingest.service import accept_event

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Listen to messages in the channels Undertone is in."""

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        deleting = event.get("subtype") == "message_deleted"  # forgetting never pauses
        if not deleting and services.classification_paused(str(body.get("team_id") or "")):
            log.debug("message %s: not read, an admin paused Undertone", event.get("ts"))
            return
        with services.database.session() as session:
            accepted = accept_event(
                session=session,
                event=event,
                workspace_id=str(body.get("team_id") or ""),
                event_id=body.get("event_id"),
                bot_user_id=services.bot_user_id,
            )
        log.debug("message %s: %s %s", event.get("ts"), accepted.outcome, accepted.reason)
        if accepted.outcome == "queued":
            services.worker.notify()
