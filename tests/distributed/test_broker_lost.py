"""The broker lost mid-run: Slack still gets its acks, and every event is classified once.

The broker here is a redis-server of the test's own that keeps nothing on disk, so killing
it loses every task it held. What it lost, and what could not be published while it was
away, the relay publishes again once it is back.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.db.engine import Database
from bot.ingest.models import PendingMessage
from bot.observations.models import Observation
from bot.settings import Settings
from tests.bot.live import LiveApp, running
from tests.distributed.conftest import RedisServer, Workers, count, wait_for
from tests.fake_slack import FakeSlack

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

NEUTRAL = "acme renewal call moved to thursday"
CONTEMPT = "honestly the acme people are idiots"


def _send(app: LiveApp, numbers: range) -> list[str]:
    """Deliver one signed message event per number; return their timestamps."""
    sent = []
    for n in numbers:
        ts = f"1767000700.{n:06d}"
        text = CONTEMPT if n % 10 == 0 else NEUTRAL
        started = time.monotonic()
        assert app.message(text, ts=ts, user=f"U0AUTH{n % 20:04d}", event_id=f"Ev{n}") == 200
        assert time.monotonic() - started < 3.0  # inside Slack's three seconds
        sent.append(ts)
    return sent


def _stored(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(Observation.message_ts)))


def _classified(tally: Path) -> int:
    """Return how many messages the worker's classifier was run on."""
    if not tally.exists():
        return 0
    return sum(int(line.split()[1]) for line in tally.read_text().splitlines())


def test_a_broker_lost_mid_run_loses_no_event_and_classifies_each_once(
    distributed: Settings,
    database: Database,
    fake: FakeSlack,
    workers: Workers,
    own_redis: RedisServer,
    tmp_path: Path,
) -> None:
    settings = distributed.model_copy(update={"broker_url": SecretStr(own_redis.url)})
    tally = tmp_path / "worker.tally"
    worker = workers.start(
        UNDERTONE_BROKER_URL=own_redis.url,
        UNDERTONE_TEST_DELAY="0.1",
        UNDERTONE_TEST_TALLY=str(tally),
    )
    with running(settings, database, fake) as app:
        relay = app.undertone.services.worker
        broker = app.undertone.services.broker
        assert broker is not None
        sent = _send(app, range(16))
        wait_for(lambda: count(database, Observation) == 16, timeout=60, what="the first events")
        # A busy worker: a burst is published, and the broker holds tasks when it is lost.
        workers.pause(worker)
        sent += _send(app, range(16, 64))
        wait_for(
            lambda: (
                not count(database, PendingMessage, PendingMessage.published_at.is_(None))
                and bool(broker.depth())
            ),
            timeout=60,
            what="the burst to be published and waiting in the broker",
        )
        own_redis.kill()
        workers.resume(worker)

        # The broker is gone: Slack still gets every ack, and the events wait in PostgreSQL.
        during = _send(app, range(64, 84))
        sent += during
        wait_for(
            lambda: relay.stats.broker_down_since is not None,
            timeout=30,
            what="the relay to notice the broker is gone",
        )
        assert "unreachable" in "\n".join(app.status_lines())
        with app.database.session() as session:
            waiting = set(session.scalars(select(PendingMessage.message_ts)))
        assert set(during) <= waiting
        assert not set(during) & set(_stored(database))

        own_redis.start()
        wait_for(
            lambda: (
                count(database, Observation) == len(sent) and not count(database, PendingMessage)
            ),
            timeout=120,
            what=f"all {len(sent)} events classified after the broker came back",
        )
        wait_for(
            lambda: relay.stats.broker_down_since is None,
            timeout=30,
            what="the relay to report the broker back",
        )
        time.sleep(3.0)  # a republish round (republish_after is 2s) must add nothing
        status = "\n".join(app.status_lines())
    assert sorted(_stored(database)) == sorted(sent)
    assert _classified(tally) == len(sent), workers.logs()
    assert "unreachable" not in status
