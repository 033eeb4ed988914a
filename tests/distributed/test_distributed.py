"""Distributed mode against real parts: Redis, PostgreSQL, worker processes, signed HTTP.

The app only acknowledges and enqueues; `undertone worker` processes classify. Whatever
the broker and the workers do (duplicates, a kill mid-batch, two workers on one message),
each message must end as one observation and at most one nudge.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.db.engine import Database
from bot.distributed.queue import Publisher, make_celery
from bot.distributed.relay import Relay
from bot.ingest.models import PendingMessage, SetAsideMessage
from bot.ingest.service import accept_event
from bot.nudges.models import Nudge
from bot.observations.models import Observation
from bot.settings import Settings
from tests.bot.live import CHANNEL, TEAM, running
from tests.distributed.conftest import Workers, count, wait_for
from tests.fake_slack import FakeSlack

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

CONTEMPT = "honestly the acme people are idiots"
NEUTRAL = "acme renewal call moved to thursday"


def _event(ts: str, text: str, *, user: str = "U0AUTHOR1", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": CHANNEL,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        **extra,
    }


def _accept(database: Database, event: dict[str, Any], event_id: str | None = None) -> str:
    with database.session() as session:
        return accept_event(
            session=session, event=event, workspace_id=TEAM, event_id=event_id, bot_user_id=None
        ).outcome


@pytest.fixture
def relay(distributed: Settings, database: Database) -> Iterator[Relay]:
    """A relay publishing to the real broker, running as the app runs it."""
    publisher = Publisher(make_celery(distributed))
    relay = Relay(
        database=database,
        publish=publisher.publish,
        batch_size=8,
        republish_after=timedelta(seconds=2),
    )
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    yield relay
    stop.set()
    thread.join(5)


def test_two_workers_share_signed_events_and_duplicates_change_nothing(
    distributed: Settings, database: Database, fake: FakeSlack, workers: Workers, tmp_path: Path
) -> None:
    tallies = [tmp_path / "a.tally", tmp_path / "b.tally"]
    for tally in tallies:
        workers.start(UNDERTONE_TEST_TALLY=str(tally), UNDERTONE_TEST_DELAY="0.05")
    authors = [f"U0AUTH{n:04d}" for n in range(20)]
    with running(distributed, database, fake) as app:
        assert app.undertone.services.pipeline is None  # the app loads no model
        for n in range(200):
            ts = f"1767000000.{n:06d}"
            text = CONTEMPT if n % 10 == 0 else NEUTRAL
            user = authors[n % 20]
            assert app.message(text, ts=ts, user=user, event_id=f"Ev{n}") == 200
            if n % 4 == 0:  # Slack redelivers every fourth event
                assert app.message(text, ts=ts, user=user, event_id=f"Ev{n}", retry=1) == 200
        # The broker also delivers every id a second time, as after a lost acknowledgement.
        with database.session() as session:
            ids = list(session.scalars(select(PendingMessage.id)))
        publisher = Publisher(make_celery(distributed))
        for start in range(0, len(ids), 8):
            publisher.publish(ids[start : start + 8])
        wait_for(
            lambda: count(database, Observation) == 200 and not count(database, PendingMessage),
            timeout=90,
            what="200 observations from two workers",
        )
        fake.wait_for("chat.postEphemeral", count=2, timeout=10)
        time.sleep(1.0)  # anything duplicated would arrive by now
        # Contempt came from authors 0 and 10, ten messages each: one nudge per author.
        assert count(database, Nudge) == 2
        assert len(fake.calls_to("chat.postEphemeral")) == 2
        metrics = app.get("/metrics")
    assert count(database, Observation) == 200
    assert all(t.exists() and t.read_text().strip() for t in tallies), workers.logs()
    assert "undertone_queue_depth 0" in metrics
    assert "undertone_broker_queue_depth" in metrics


def test_a_worker_killed_mid_batch_loses_nothing_and_stores_nothing_twice(
    distributed: Settings, database: Database, workers: Workers, relay: Relay, tmp_path: Path
) -> None:
    slow = workers.start(
        UNDERTONE_TEST_DELAY="30", UNDERTONE_TEST_TALLY=str(tmp_path / "slow.tally")
    )
    for n in range(24):
        _accept(database, _event(f"1767000100.{n:06d}", NEUTRAL))
    relay.notify()
    wait_for(
        lambda: (tmp_path / "slow.tally").exists(), timeout=60, what="the slow worker to start"
    )
    workers.kill(slow)
    assert count(database, Observation) == 0
    assert count(database, PendingMessage) == 24  # its transaction died with it
    workers.start()
    wait_for(
        lambda: count(database, Observation) == 24 and not count(database, PendingMessage),
        timeout=90,
        what="the second worker to take over",
    )
    time.sleep(2.5)  # a republish round after the take-over must not add anything
    assert count(database, Observation) == 24


def test_an_edit_queued_before_classification_wins_and_a_delete_stops_it(
    distributed: Settings, database: Database, workers: Workers, relay: Relay
) -> None:
    created = _event("1767000200.000001", NEUTRAL)
    assert _accept(database, created, "Ev1") == "queued"
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": CHANNEL,
        "channel_type": "channel",
        "message": _event("1767000200.000001", CONTEMPT),
        "previous_message": created,
    }
    assert _accept(database, edited, "Ev2") == "queued"
    doomed = _event("1767000200.000002", CONTEMPT, user="U0AUTHOR2")
    assert _accept(database, doomed, "Ev3") == "queued"
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": CHANNEL,
        "channel_type": "channel",
        "deleted_ts": "1767000200.000002",
        "previous_message": doomed,
    }
    assert _accept(database, deleted, "Ev4") == "deleted"
    relay.notify()
    workers.start()
    workers.start()  # two workers: the create and the edit may reach different ones
    wait_for(lambda: not count(database, PendingMessage), timeout=60, what="the queue to drain")
    with database.session() as session:
        observations = list(session.scalars(select(Observation)))
    assert [(o.message_ts, o.label) for o in observations] == [("1767000200.000001", "contempt")]


def test_a_poison_message_is_set_aside_and_never_blocks_the_queue(
    distributed: Settings, database: Database, workers: Workers, relay: Relay
) -> None:
    workers.start(UNDERTONE_TEST_POISON="POISON")
    for n in range(10):
        text = "POISON acme renewal" if n == 3 else NEUTRAL
        _accept(database, _event(f"1767000300.{n:06d}", text))
    relay.notify()
    wait_for(
        lambda: count(database, SetAsideMessage) == 1 and not count(database, PendingMessage),
        timeout=60,
        what="the poison message to be set aside",
    )
    assert count(database, Observation) == 9
    with database.session() as session:
        [aside] = session.scalars(select(SetAsideMessage))
    assert (aside.message_ts, aside.attempts, aside.error) == (
        "1767000300.000003",
        3,
        "RuntimeError",
    )


def test_with_the_broker_down_the_app_acknowledges_and_keeps_every_message(
    distributed: Settings,
    database: Database,
    fake: FakeSlack,
    workers: Workers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = distributed.model_copy(update={"broker_url": SecretStr("redis://127.0.0.1:9/0")})
    with running(down, database, fake) as app:
        started = time.monotonic()
        for n in range(5):
            assert app.message(NEUTRAL, ts=f"1767000400.{n:06d}", event_id=f"Ev{n}") == 200
        assert time.monotonic() - started < 5 * 3.0  # every ack inside Slack's 3 seconds
        wait_for(
            lambda: app.undertone.services.worker.stats.failures > 0,
            timeout=10,
            what="the relay to find the broker down",
        )
        status = "\n".join(app.status_lines())
    assert count(database, PendingMessage) == 5
    assert "unreachable" in status
    assert any("task broker is unreachable" in r.getMessage() for r in caplog.records)
    # The broker is back: a relay on the real broker sends everything, nothing was lost.
    workers.start()
    with running(distributed, database, fake):
        wait_for(
            lambda: count(database, Observation) == 5,
            timeout=60,
            what="the kept messages to be classified",
        )


def test_postgresql_dropping_every_connection_mid_run_loses_nothing(
    distributed: Settings, database: Database, workers: Workers, relay: Relay
) -> None:
    from sqlalchemy import text

    named = f"{distributed.database_url}&application_name=undertone-worker"
    workers.start(UNDERTONE_TEST_DELAY="0.3", DATABASE_URL=named)
    for n in range(40):
        _accept(database, _event(f"1767000500.{n:06d}", NEUTRAL))
    relay.notify()
    wait_for(lambda: count(database, Observation) > 0, timeout=60, what="a first batch")
    # What a PostgreSQL restart looks like to its clients: every session is cut off.
    with database.session() as session:
        session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'undertone-worker'"
            )
        )
    wait_for(
        lambda: count(database, Observation) == 40 and not count(database, PendingMessage),
        timeout=90,
        what="every message after the connections came back",
    )


def test_analyze_distributed_fans_out_and_stores_what_a_local_run_stores(
    distributed: Settings, database: Database, workers: Workers
) -> None:
    from bot.cli.analyze import analyse
    from tests.bot.exports.test_reader import HFARAN

    workers.start()
    workers.start()
    result = analyse(
        settings=distributed,
        database=database,
        export_path=HFARAN / "testarchive.zip",
        distributed=True,
    )
    assert not count(database, PendingMessage)
    # The same export analysed in one process stores 50 observations (tests/bot/exports).
    assert result.read == 158
    assert result.classified == count(database, Observation) == 50
    again = analyse(
        settings=distributed,
        database=database,
        export_path=HFARAN / "testarchive.zip",
        distributed=True,
    )
    assert again.files_already_done == 17
    assert count(database, Observation) == 50


RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"


def test_rabbitmq_works_as_the_broker_too(
    distributed: Settings, database: Database, workers: Workers
) -> None:
    import os

    from kombu import Connection

    try:
        with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.default_channel
            channel.queue_declare(queue="undertone.classify", durable=True, auto_delete=False)
            channel.queue_purge("undertone.classify")
    except Exception as exc:  # noqa: BLE001 - any connection failure means no RabbitMQ here
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ at {RABBITMQ_URL} is required in CI but unreachable: {exc}")
        pytest.skip(f"RabbitMQ unreachable: {exc}")
    rabbit = distributed.model_copy(update={"broker_url": SecretStr(RABBITMQ_URL)})
    publisher = Publisher(make_celery(rabbit))
    assert publisher.depth() == 0
    relay = Relay(database=database, publish=publisher.publish, batch_size=8)
    for n in range(20):
        _accept(database, _event(f"1767000600.{n:06d}", NEUTRAL))
    assert relay.step() == 20
    assert publisher.depth() == 3  # 20 ids in batches of 8, waiting for a worker
    workers.start(UNDERTONE_BROKER_URL=RABBITMQ_URL)
    wait_for(
        lambda: count(database, Observation) == 20 and not count(database, PendingMessage),
        timeout=60,
        what="a worker on RabbitMQ to classify everything",
    )
    wait_for(lambda: publisher.depth() == 0, timeout=10, what="the queue to empty")
