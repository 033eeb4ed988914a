"""Buttons: the author's answer to a nudge, sharing a message, and App Home toggles."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot import blocks
from bot.nudges import service as nudges
from bot.preferences import service as preferences

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Register the button handlers."""

    for action_id in blocks.NUDGE_ACTIONS:

        @app.action(action_id)
        def on_nudge_button(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            ack()
            reply = answer_nudge(services, body=body, action=action)
            if reply:
                respond(**reply)

    for action_id in blocks.SHARE_ACTIONS:

        @app.action(action_id)
        def on_share_button(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            ack()
            reply = answer_share(services, body=body, action=action)
            if reply:
                respond(**reply)

    @app.action("home_nudges_on")
    @app.action("home_nudges_off")
    def on_home_toggle(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        from bot.listeners.home import publish_home

        user_id = str(body["user"]["id"])
        workspace_id = str((body.get("team") or {}).get("id") or body["user"].get("team_id") or "")
        with services.database.session() as session:
            preferences.set_nudges(
                session=session,
                workspace_id=workspace_id,
                author_key=services.author_key(user_id),
                enabled=action["action_id"] == "home_nudges_on",
            )
        publish_home(services, user_id=user_id, workspace_id=workspace_id)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = body.get("team") or {}
    return str(user.get("id") or ""), str(team.get("id") or user.get("team_id") or "")


def answer_nudge(
    services: Services, *, body: dict[str, Any], action: dict[str, Any]
) -> dict[str, Any] | None:
    """Record the author's verdict on a nudge and say thanks; None if it was not theirs."""
    ref = nudges.NudgeRef.from_value(str(action.get("value") or ""))
    user_id, workspace_id = _who(body)
    if ref is None:
        return None
    action_id = str(action["action_id"])
    key = services.author_key(user_id)
    with services.database.session() as session:
        if not nudges.record_feedback(
            session=session, workspace_id=workspace_id, author_key=key, ref=ref, action_id=action_id
        ):
            log.warning("nudge button pressed by someone who was not nudged; ignored")
            return None
        if action_id == "nudge_turn_off":
            preferences.set_nudges(
                session=session, workspace_id=workspace_id, author_key=key, enabled=False
            )
    return blocks.feedback_reply(
        action_id, offer_share=action_id in nudges.CORRECTIONS, value=str(action.get("value"))
    )


def answer_share(
    services: Services, *, body: dict[str, Any], action: dict[str, Any]
) -> dict[str, Any] | None:
    """Store the message text only when its author presses "Share this message"."""
    ref = nudges.NudgeRef.from_value(str(action.get("value") or ""))
    user_id, workspace_id = _who(body)
    if ref is None:
        return None
    if action["action_id"] != "feedback_share_text":
        return blocks.share_reply(shared=False)
    text = _fetch_text(services, ref, user_id)
    if text is None:
        return blocks.simple("Sorry, that message could not be found any more; nothing was saved.")
    with services.database.session() as session:
        stored = nudges.store_shared_text(
            session=session,
            workspace_id=workspace_id,
            author_key=services.author_key(user_id),
            ref=ref,
            text=text,
        )
    return blocks.share_reply(shared=stored)


def _fetch_text(services: Services, ref: nudges.NudgeRef, user_id: str) -> str | None:
    """Read the author's own message back from Slack (Undertone never kept it)."""
    try:
        response = services.client.conversations_history(
            channel=ref.channel_id, latest=ref.message_ts, inclusive=True, limit=1
        )
    except Exception:  # noqa: BLE001 - Slack unreachable: say so, keep nothing
        log.warning("could not read back a shared message from Slack")
        return None
    for message in response.get("messages") or []:
        if message.get("ts") == ref.message_ts and message.get("user") == user_id:
            return str(message.get("text") or "")
    return None
