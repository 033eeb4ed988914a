"""`undertone backfill --distributed`: the command reads Slack, the workers classify.

The real command runs as a process against the fake Slack Web API, with two real
`undertone worker` processes on the real Redis and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from bot.db.engine import Database
from bot.ingest.models import PendingMessage
from bot.nudges.models import Nudge
from bot.observations.models import Observation
from bot.outbox.models import OutboxMessage
from bot.settings import Settings
from tests.distributed.conftest import REPO, Workers, count
from tests.fake_slack import FakeSlack

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

CHANNEL = "C0HISTORY"
COMMAND = ("backfill", "--distributed", "--channel", CHANNEL, "--days", "30")
# Every message names this client, so any copy of a message's text is easy to find.
CLIENT = "Quillfeather"


def _message(ts: float, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": "U0AUTHOR1", "text": text, "ts": f"{ts:.6f}", **extra}


def _history(fake: FakeSlack) -> tuple[set[str], str]:
    """Serve three pages of history and a thread; return the ts to store and the rude one."""
    now = time.time()
    history = [
        _message(now - 3600 * i, f"{CLIENT} renewal number {i} moved to thursday")
        for i in range(1, 200)
    ]
    rude = _message(
        now - 10, f"the {CLIENT} folks are idiots", reply_count=2, thread_ts=f"{now - 10:.6f}"
    )
    joined = {
        "type": "message",
        "subtype": "channel_join",
        "user": "U0NEW",
        "text": "<@U0NEW> has joined",
        "ts": f"{now - 5:.6f}",
    }
    history += [rude, joined]
    fake.set_history(CHANNEL, history, page_size=80)
    replies = [
        _message(now - 9, f"ugh {CLIENT} again", thread_ts=rude["ts"]),
        _message(now - 8, f"let's offer {CLIENT} training", thread_ts=rude["ts"]),
    ]
    fake.set_replies(CHANNEL, rude["ts"], [rude, *replies], page_size=1)
    fake.rate_limit("conversations.history", retry_after=1)
    stored = {m["ts"] for m in [*history, *replies] if m is not joined}
    return stored, rude["ts"]


def _backfill(
    distributed: Settings, fake: FakeSlack, tmp: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": distributed.database_url,
        "UNDERTONE_BROKER_URL": distributed.broker_url.get_secret_value(),
        "UNDERTONE_MODE": "distributed",
        "UNDERTONE_PEPPER": "test-pepper",
        "UNDERTONE_BATCH_SIZE": "8",
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": fake.url,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *COMMAND],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=180,
        check=False,
    )


def _observations(database: Database) -> dict[str, tuple[int, str, str]]:
    with database.session() as session:
        rows = session.scalars(select(Observation).where(Observation.channel_id == CHANNEL))
        return {o.message_ts: (o.id, o.label, o.source) for o in rows}


def _copies_of_text(database: Database) -> list[str]:
    """Return the tables in which any message's text survives, in any column."""
    found = []
    with database.session() as session:
        tables = inspect(session.connection()).get_table_names()
        assert {"observations", "pending_messages"} <= set(tables)  # the scan sees the schema
        for table in tables:
            rows = session.execute(text(f'SELECT * FROM "{table}"')).all()
            if any(CLIENT.lower() in repr(row).lower() for row in rows):
                found.append(table)
    return found


def test_backfill_distributed_stores_each_message_once_and_no_text(
    distributed: Settings, database: Database, fake: FakeSlack, workers: Workers, tmp_path: Path
) -> None:
    expected, rude = _history(fake)
    workers.start()
    workers.start()

    first = _backfill(distributed, fake, tmp_path)

    assert first.returncode == 0, first.stderr + workers.logs()
    assert f"#{CHANNEL}: {len(expected) + 1} read, 1 skipped" in first.stdout  # the join
    assert f"the workers classified all {len(expected)} queued message(s)" in first.stdout
    stored = _observations(database)
    assert set(stored) == expected  # every message, once (a duplicate would be a second ts)
    assert count(database, Observation) == len(expected)
    assert {source for _, _, source in stored.values()} == {"backfill"}
    assert stored[rude][1] == "contempt"
    assert not count(database, PendingMessage)
    assert _copies_of_text(database) == []
    # History is never a reason to nudge anybody.
    assert not count(database, Nudge)
    assert not count(database, OutboxMessage)

    second = _backfill(distributed, fake, tmp_path)

    assert second.returncode == 0, second.stderr + workers.logs()
    assert _observations(database) == stored  # the same rows, nothing added
    assert not count(database, PendingMessage)
    assert _copies_of_text(database) == []
