"""Channel membership: introduce Undertone when it joins; keep channel names current."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App

from bot.workspaces import service as workspaces

if TYPE_CHECKING:
    from bot.app import Services


def register(app: App, services: Services) -> None:
    """Listen to joins and renames."""

    @app.event("member_joined_channel")
    def on_join(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("user") != services.bot_user_id:
            return
        with services.database.session() as session:
            workspaces.introduce(
                session=session,
                workspace_id=str(body.get("team_id") or event.get("team") or ""),
                channel_id=str(event.get("channel") or ""),
                is_private=event.get("channel_type") == "G",
                min_group=services.settings.min_group,
                nudge_hours=services.settings.nudge_cooldown_hours,
            )
        services.sender.wake()

    @app.event("channel_rename")
    def on_rename(body: dict[str, Any], event: dict[str, Any]) -> None:
        channel = event.get("channel") or {}
        with services.database.session() as session:
            workspaces.rename(
                session=session,
                workspace_id=str(body.get("team_id") or ""),
                channel_id=str(channel.get("id") or ""),
                name=str(channel.get("name") or ""),
            )

    def erase_if_gone(body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event.get("user") or {}
        if not isinstance(user, dict) or not user.get("deleted") or not user.get("id"):
            return
        from bot.governance.retention import erase_person

        user_id = str(user["id"])
        with services.database.session() as session:
            erase_person(
                session,
                workspace_id=str(body.get("team_id") or user.get("team_id") or ""),
                user_id=user_id,
                author_key=services.author_key(user_id),
                actor="slack",
                reason=f"{event.get('type')}: the account was deactivated",
            )

    app.event("user_change")(erase_if_gone)
    app.event("team_join")(erase_if_gone)
