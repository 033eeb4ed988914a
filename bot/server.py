"""HTTP mode: Slack's requests at POST /slack/events, health and metrics for operators."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

# Slack's own payloads stay far below this; anything bigger is not from Slack.
MAX_BODY_BYTES = 5 * 1024 * 1024

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def make_wsgi_app(
    bolt_handler: SlackRequestHandler,
    *,
    health: Callable[[], dict[str, Any]],
    metrics: Callable[[], str] | None = None,
) -> WSGIApp:
    """Route `/slack/events` to Bolt, `/healthz` to a health check, `/metrics` to metrics."""

    def _slack(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return _plain(start_response, "413 Payload Too Large", "request too large\n")
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return bolt_handler(environ, start_response)
        except ValueError as exc:  # Bolt parses the body before anything else
            log.warning("rejected a malformed request to /slack/events: %s", type(exc).__name__)
            return _plain(start_response, "400 Bad Request", "malformed request\n")

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events":
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "POST only\n")
            return _slack(environ, start_response)
        if path == "/healthz":
            try:
                body = health()
                status = "200 OK" if body.get("ok") else "503 Service Unavailable"
            except Exception as exc:  # noqa: BLE001 - health must answer, not crash
                body, status = {"ok": False, "error": type(exc).__name__}, "503 Service Unavailable"
            data = json.dumps(body).encode()
            start_response(
                status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
            )
            return [data]
        if path == "/metrics" and metrics is not None:
            data = metrics().encode()
            start_response(
                "200 OK",
                [("Content-Type", "text/plain; version=0.0.4"), ("Content-Length", str(len(data)))],
            )
            return [data]
        return _plain(start_response, "404 Not Found", "not found\n")

    return app


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    data = text.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]


def serve(app: WSGIApp, *, host: str, port: int, threads: int = 8) -> Any:
    """Create a waitress server for the app (call `.run()`; `.close()` stops it)."""
    from waitress.server import create_server  # type: ignore[import-untyped]

    return create_server(app, host=host, port=port, threads=threads, ident="undertone")


def shutdown(server: Any) -> None:
    """Stop a waitress server running in another thread, from any thread.

    Closing its sockets from outside would pull them from under the loop's select();
    instead the close runs inside the loop thread, which then ends for lack of sockets.
    """

    def close_everything() -> None:
        server.task_dispatcher.shutdown()
        for channel in list(server._map.values()):
            channel.close()

    server.trigger.pull_trigger(close_everything)
