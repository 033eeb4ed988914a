"""App Home: a person's own settings; headline figures for leaders and admins."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App

from bot import blocks
from bot.preferences import service as preferences
from bot.workspaces.service import monitored_channels

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Publish the Home tab when someone opens it (after the acknowledgement)."""

    def acknowledge(ack: Ack) -> None:
        ack()

    def publish(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        publish_home(
            services, user_id=str(event.get("user")), workspace_id=str(body.get("team_id") or "")
        )

    app.event("app_home_opened")(ack=acknowledge, lazy=[publish])


def publish_home(services: Services, *, user_id: str, workspace_id: str) -> None:
    """Build and publish one person's Home tab."""
    from bot.status import headline_figures

    with services.database.session() as session:
        prefs = preferences.get(
            session=session, workspace_id=workspace_id, author_key=services.author_key(user_id)
        )
        privileged = services.is_admin(user_id) or services.is_leader(user_id)
        headline = (
            headline_figures(services, session=session, workspace_id=workspace_id)
            if privileged
            else []
        )
        channels = (
            [
                f"#{c.name or c.id}"
                for c in monitored_channels(session=session, workspace_id=workspace_id)
            ]
            if privileged
            else []
        )
    view = blocks.home(
        nudges_enabled=prefs.nudges_enabled,
        min_group=services.settings.min_group,
        headline=headline,
        channels=channels,
    )
    try:
        services.client.views_publish(user_id=user_id, view=view)
    except Exception:  # noqa: BLE001 - a failed refresh is retried when the tab opens again
        log.warning("could not publish the Home tab")
