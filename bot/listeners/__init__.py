"""Bolt listeners: thin adapters from Slack payloads to services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from bot.listeners import actions, commands, events, home, members, messages, reports

if TYPE_CHECKING:
    from bot.app import Services


def register_listeners(app: App, services: Services) -> None:
    """Register every listener; the catch-all for other events goes last."""
    messages.register(app, services)
    members.register(app, services)
    home.register(app, services)
    commands.register(app, services)
    reports.register(app, services)
    actions.register(app, services)
    events.register(app, services)
