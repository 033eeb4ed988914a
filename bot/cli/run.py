"""`undertone run`: the live Slack app."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.main import app, runtime
from bot.errors import ConfigurationError
from bot.settings import Settings


def check_can_run(settings: Settings, *, http: bool) -> None:
    """Refuse to start without the tokens the chosen mode needs, or with the dev pepper."""
    if settings.slack_bot_token is None:
        raise ConfigurationError(
            "SLACK_BOT_TOKEN is not set (the xoxb-… token of the installed app)"
        )
    if http and settings.slack_signing_secret is None:
        raise ConfigurationError(
            "SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify Slack"
        )
    if not http and settings.slack_app_token is None:
        raise ConfigurationError(
            "SLACK_APP_TOKEN is not set; Socket Mode needs an xapp-… token "
            "(or use `undertone run --http`)"
        )
    if settings.uses_dev_pepper and not settings.dev:
        raise ConfigurationError(
            "UNDERTONE_PEPPER is the built-in development value; set a secret of your own "
            "(or UNDERTONE_DEV=true on a developer machine)"
        )


@app.command()
def run(
    ctx: typer.Context,
    http: Annotated[
        bool, typer.Option("--http", help="Serve Slack's HTTP mode instead of Socket Mode.")
    ] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for --http.")] = 3000,
) -> None:
    """Run the Slack app (Socket Mode by default; no public URL needed)."""
    rt = runtime(ctx)
    check_can_run(rt.settings, http=http)
    raise ConfigurationError("the live Slack app is not built yet (it arrives with issue 4)")
