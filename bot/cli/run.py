"""`undertone run`: the live Slack app, in Socket Mode or HTTP mode."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.main import app, runtime, setup_logging, stderr
from bot.errors import ConfigurationError, DatabaseError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Undertone

log = logging.getLogger(__name__)


# A short pepper would let anyone with the database try every Slack user id against it.
MIN_PEPPER_LENGTH = 16


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
    if settings.dev:
        return
    if settings.uses_dev_pepper:
        raise ConfigurationError(
            "UNDERTONE_PEPPER is not set or is the built-in development value; set a secret "
            "of your own (or UNDERTONE_DEV=true on a developer machine)"
        )
    if len(settings.pepper.get_secret_value()) < MIN_PEPPER_LENGTH:
        raise ConfigurationError(
            f"UNDERTONE_PEPPER is too short to keep author keys unguessable; use at least "
            f"{MIN_PEPPER_LENGTH} random characters"
        )


@app.command()
def run(
    ctx: typer.Context,
    http: Annotated[
        bool, typer.Option("--http", help="Serve Slack's HTTP mode instead of Socket Mode.")
    ] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for --http.")] = 3000,
    host: Annotated[str, typer.Option(help="Address for --http to listen on.")] = "0.0.0.0",  # noqa: S104
) -> None:
    """Run the Slack app (Socket Mode by default: no public URL needed)."""
    from bot.db import migrate

    rt = runtime(ctx)
    settings = rt.settings
    check_can_run(settings, http=http)
    setup_logging(rt)
    rt.database.check()
    if migrate.current_revision(rt.database) != migrate.head_revision():
        raise DatabaseError(
            f"the database at {rt.database.url} is not up to date; run `undertone db upgrade`"
        )

    from bot.app import create_app

    undertone = create_app(settings, database=rt.database)
    undertone.start_background()
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; finishing the work in hand", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if http:
            _serve_http(undertone, host=host, port=port, stopping=stopping)
        else:
            _serve_socket_mode(undertone, settings, stopping)
    finally:
        undertone.stop()
        stderr.print("Undertone stopped cleanly.")


def _serve_http(undertone: Undertone, *, host: str, port: int, stopping: threading.Event) -> None:
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot.server import make_wsgi_app, serve, shutdown
    from bot.status import health, prometheus_metrics

    wsgi = make_wsgi_app(
        SlackRequestHandler(undertone.bolt),
        health=lambda: health(undertone.services),
        metrics=lambda: prometheus_metrics(undertone.services),
    )
    server = serve(wsgi, host=host, port=port)
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    stderr.print(f"Undertone is listening on http://{host}:{port}/slack/events")
    stopping.wait()
    shutdown(server)
    thread.join(10)


def _serve_socket_mode(undertone: Undertone, settings: Settings, stopping: threading.Event) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert settings.slack_app_token is not None
    handler = SocketModeHandler(undertone.bolt, settings.slack_app_token.get_secret_value())
    handler.connect()  # type: ignore[no-untyped-call]
    stderr.print("Undertone is connected to Slack (Socket Mode).")
    stopping.wait()
    handler.close()  # type: ignore[no-untyped-call]
