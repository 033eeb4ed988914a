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
    from bot.governance.service import audit, audit_entries
    from bot.governance.transparency import who_sees_what
    from bot.status import headline_figures

    settings = services.settings
    with services.database.session() as session:
        prefs = preferences.get(
            session=session,
            workspace_id=workspace_id,
            author_key=services.author_key(user_id),
            nudges_default=not settings.nudges_opt_in,
        )
        page = who_sees_what(session, settings=settings, workspace_id=workspace_id)
        held = []
        if services.is_admin(user_id):
            from bot.governance.held import HELD, summarise

            summary = summarise(
                session, statuses=HELD, days=7, samples=1, workspace_id=workspace_id
            )
            if summary.total:
                held = [
                    f"{count} {kind}(s)" for kind, count in sorted(summary.per_kind().items())
                ] + [f"_{kind}:_ “{texts[0][:300]}”" for kind, texts in summary.examples.items()]
        recent = (
            [
                f"{e.at:%Y-%m-%d %H:%M} · {_who(e.actor)} · {e.action}"
                + (f" · {e.target}" if e.target else "")
                for e in audit_entries(session, workspace_id=workspace_id)[-10:]
            ]
            if services.is_admin(user_id)
            else []
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
        if headline:
            audit(
                session,
                workspace_id=workspace_id,
                actor=user_id,
                action="report.view",
                target="app-home figures",
            )
    view = blocks.home(
        nudges_enabled=prefs.nudges_enabled,
        opted_out=prefs.opted_out,
        nudge_hours=services.settings.nudge_cooldown_hours,
        min_group=services.settings.min_group,
        headline=headline,
        channels=channels,
        who_sees_what=page,
        audit=recent,
        held=held,
    )
    try:
        services.client.views_publish(user_id=user_id, view=view)
    except Exception:  # noqa: BLE001 - a failed refresh is retried when the tab opens again
        log.warning("could not publish the Home tab")


def _who(actor: str) -> str:
    return f"<@{actor}>" if actor[:1] in ("U", "W") else actor
