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
