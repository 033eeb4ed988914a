"""History backfill pages through channels and threads, and never nudges about the past."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.backfill import backfill_channel, with_rate_limit_retries
from bot.db.engine import Database
from bot.ingest.pipeline import Pipeline
from bot.nudges.models import Nudge
from bot.nudges.policy import NudgePolicy
from bot.observations.models import Observation
from bot.outbox.models import OutboxMessage
from bot.settings import Settings
from tests.fake_slack import FakeSlack
from tests.fakes import FakeClassifier


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def _message(ts: float, text: str, **extra: object) -> dict[str, object]:
    return {"type": "message", "user": "U0AUTHOR1", "text": text, "ts": f"{ts:.6f}", **extra}


def test_backfill_reads_every_page_and_thread_and_nudges_nobody(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    import time

    now = time.time()
    history = [_message(now - 3600 * i, f"acme renewal number {i}") for i in range(1, 250)]
    history.append(
        _message(now - 10, "the acme folks are idiots", reply_count=2, thread_ts=f"{now - 10:.6f}")
    )
    history.append(
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U0NEW",
            "text": "<@U0NEW> has joined",
            "ts": f"{now - 5:.6f}",
        }
    )
    fake.set_history("C0HISTORY", history, page_size=100)
    parent = history[-2]
    fake.set_replies(
        "C0HISTORY",
        str(parent["ts"]),
        [
            parent,
            _message(now - 9, "ugh acme again", thread_ts=parent["ts"]),
            _message(now - 8, "let's offer them training", thread_ts=parent["ts"]),
        ],
        page_size=1,
    )
    fake.rate_limit("conversations.history", retry_after=1)
    client = with_rate_limit_retries(WebClient(token="xoxb-test", base_url=fake.url))
    pipeline = Pipeline(
        database=database,
        classifier=FakeClassifier(),
        settings=settings,
        policies=[NudgePolicy(settings)],
    )
    result = backfill_channel(
        client=client, pipeline=pipeline, workspace_id="T0TEST001", channel_id="C0HISTORY", days=30
    )
    assert result.read == 253
    assert result.classified == 252
    assert result.skipped == {"subtype channel_join": 1}
    assert len(fake.calls_to("conversations.history")) == 4  # three pages and one rate-limited try
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 252
        labels = set(session.scalars(select(Observation.label)))
        assert {"contempt", "frustration", "constructive"} <= labels
        assert set(session.scalars(select(Observation.source))) == {"backfill"}
        assert session.scalar(select(func.count()).select_from(Nudge)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_backfill_respects_the_window(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    import time

    now = time.time()
    fake.set_history(
        "C0OLD",
        [_message(now - 86400 * 40, "acme renewal, old"), _message(now - 60, "acme renewal, new")],
    )
    pipeline = Pipeline(database=database, classifier=FakeClassifier(), settings=settings)
    result = backfill_channel(
        client=WebClient(token="xoxb-test", base_url=fake.url),
        pipeline=pipeline,
        workspace_id="T0TEST001",
        channel_id="C0OLD",
        days=30,
    )
    assert result.classified == 1
