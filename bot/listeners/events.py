"""Events Undertone does not use: acknowledge them so Slack does not retry, and log."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import App

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Register the catch-all; it must come after every real listener."""

    @app.event(re.compile(".*"))
    def ignore(event: dict[str, Any]) -> None:
        log.info("ignoring %s event", event.get("type"))
