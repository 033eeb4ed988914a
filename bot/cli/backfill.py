"""`undertone backfill`: classify a channel's history through the live path."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.main import app, console, runtime, setup_logging
from bot.cli.run import check_can_run
from bot.errors import ConfigurationError


@app.command()
def backfill(
    ctx: typer.Context,
    channel: Annotated[
        list[str], typer.Option("--channel", help="Channel id (C…/G…); repeat for more.")
    ],
    days: Annotated[int, typer.Option(min=1, max=3650, help="How far back to read.")] = 90,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed", help="Fan out over `undertone worker` processes (PostgreSQL)."
        ),
    ] = False,
) -> None:
    """Read past messages with conversations.history and classify them (nobody is nudged)."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from bot.backfill import with_rate_limit_retries
    from bot.classifier import get_classifier
    from bot.ingest.pipeline import Pipeline, Sink

    rt = runtime(ctx)
    settings = rt.settings
    check_can_run(settings, http=True) if settings.slack_signing_secret else _check_token(settings)
    setup_logging(rt)
    rt.database.check()
    assert settings.slack_bot_token is not None
    client = with_rate_limit_retries(
        WebClient(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        )
    )
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        raise ConfigurationError(
            f"Slack refused the bot token: {exc.response.get('error')}"
        ) from None
    workspace_id, bot_user_id = str(auth["team_id"]), str(auth.get("user_id") or "")
    with ExitStack() as stack:
        if distributed:
            from bot.distributed.fanout import QueueSink, relaying

            sink: Sink = QueueSink(
                rt.database, stack.enter_context(relaying(settings, rt.database))
            )
        else:
            sink = Pipeline(
                database=rt.database, classifier=get_classifier(settings), settings=settings
            )
        _backfill(rt, client, sink, channel, days, workspace_id, bot_user_id)
    if distributed:
        from bot.cli.analyze import _follow_workers
        from bot.distributed.fanout import wait_for_workers

        assert isinstance(sink, QueueSink)
        _follow_workers(rt.database, workspace_id, "backfill", sink.queued, wait_for_workers)
        console.print(f"the workers classified all {sink.queued:,} queued message(s)")


def _backfill(rt, client, pipeline, channel, days, workspace_id, bot_user_id) -> None:  # type: ignore[no-untyped-def]
    from slack_sdk.errors import SlackApiError

    from bot.backfill import backfill_channel
    from bot.ingest.pipeline import Pipeline
    from bot.workspaces.service import ensure_channel

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for channel_id in channel:
            with rt.database.session() as session:
                ensure_channel(session=session, workspace_id=workspace_id, channel_id=channel_id)
            task = progress.add_task(f"#{channel_id}", total=None)
            try:
                result = backfill_channel(
                    client=client,
                    pipeline=pipeline,
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    days=days,
                    bot_user_id=bot_user_id,
                    progress=lambda n, task=task: progress.advance(task, n),  # type: ignore[misc]
                )
            except SlackApiError as exc:
                progress.console.print(
                    f"#{channel_id}: Slack said {exc.response.get('error')}; skipped"
                )
                continue
            outcome = (
                f"{result.classified} classified"
                if isinstance(pipeline, Pipeline)
                else "the rest queued for the workers"
            )
            progress.console.print(
                f"#{channel_id}: {result.read} read, {sum(result.skipped.values())} skipped, "
                f"{outcome}"
            )


def _check_token(settings) -> None:  # type: ignore[no-untyped-def]
    if settings.slack_bot_token is None:
        raise ConfigurationError(
            "SLACK_BOT_TOKEN is not set (the xoxb-… token of the installed app)"
        )
    if settings.uses_dev_pepper and not settings.dev:
        raise ConfigurationError(
            "UNDERTONE_PEPPER is the built-in development value; set a secret of your own "
            "(or UNDERTONE_DEV=true on a developer machine)"
        )
