"""Socket Mode for real: a local websocket server plays Slack's side of the connection."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from sqlalchemy import select

from bot.app import create_app
from bot.db.engine import Database
from bot.observations.models import Observation
from bot.settings import Settings
from tests.bot.live import AUTHOR, CHANNEL, live_settings, wait_until
from tests.fake_slack import FakeSlack
from tests.fakes import FakeClassifier
from tests.slack_requests import event_body


class FakeSocketModeServer:
    """Slack's end of Socket Mode: says hello, pushes envelopes, collects the acks."""

    def __init__(self) -> None:
        self.acks: list[dict] = []
        self.to_send: list[dict] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FakeSocketModeServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        def cancel_all() -> None:
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.call_soon(self._loop.stop)

        self._loop.call_soon_threadsafe(cancel_all)
        self._thread.join(5)

    def _run(self) -> None:
        import websockets

        async def handler(connection) -> None:  # type: ignore[no-untyped-def]
            await connection.send(json.dumps({"type": "hello", "num_connections": 1}))
            for envelope in self.to_send:
                await connection.send(json.dumps(envelope))
            async for message in connection:
                self.acks.append(json.loads(message))

        async def main() -> None:
            server = await websockets.serve(handler, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await asyncio.Future()

        asyncio.set_event_loop(self._loop)
        self._loop.create_task(main())
        self._loop.run_forever()


@pytest.fixture
def socket_server() -> Iterator[FakeSocketModeServer]:
    server = FakeSocketModeServer().start()
    yield server
    server.stop()


def test_an_event_over_socket_mode_is_acknowledged_and_classified(
    settings: Settings, database: Database, socket_server: FakeSocketModeServer
) -> None:
    payload = json.loads(
        event_body(
            {
                "type": "message",
                "channel": CHANNEL,
                "channel_type": "channel",
                "user": AUTHOR,
                "text": "acme renewal call moved to thursday",
                "ts": "1760000000.000100",
            }
        )
    )
    socket_server.to_send.append(
        {
            "envelope_id": "env-1",
            "type": "events_api",
            "accepts_response_payload": False,
            "payload": payload,
        }
    )
    with FakeSlack() as fake:
        fake.ws_url = f"ws://127.0.0.1:{socket_server.port}/link/?ticket=t"
        client = WebClient(token="xoxb-test-token", base_url=fake.url)
        undertone = create_app(
            live_settings(settings, fake),
            client=client,
            classifier=FakeClassifier(),
            database=database,
        )
        undertone.services.worker.flush_seconds = 0.05
        undertone.start_background()
        handler = SocketModeHandler(undertone.bolt, "xapp-fake-socket-secret")
        handler.connect()
        try:
            wait_until(
                lambda: any(a.get("envelope_id") == "env-1" for a in socket_server.acks),
                what="the ack",
            )
            with database.session() as session:
                wait_until(
                    lambda: session.scalar(select(Observation.label)) == "neutral",
                    what="the observation",
                )
            assert fake.calls_to("apps.connections.open")
        finally:
            handler.close()
            undertone.stop_event.set()
            undertone.services.worker.notify()
            for thread in undertone.threads:
                thread.join(10)
