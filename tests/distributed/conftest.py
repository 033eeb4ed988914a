"""Real worker processes, a real broker (Redis) and the real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.settings import Settings
from tests.fake_slack import FakeSlack

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def broker_url() -> str:
    """Return an emptied Redis database for the test's task queue."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is required in CI but unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def distributed(settings: Settings, broker_url: str) -> Settings:
    """Return the test settings in distributed mode, on the emptied Redis database."""
    return settings.model_copy(
        update={
            "mode": "distributed",
            "broker_url": SecretStr(broker_url),
            "batch_size": 8,
            "republish_after": 2.0,
        }
    )


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """Serve a fake Slack Web API for the test."""
    with FakeSlack() as server:
        yield server


def count(database: Database, model: Any, *where: Any) -> int:
    """Return how many rows of a model match."""
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class Workers:
    """Start and stop `undertone worker` processes (with a stand-in classifier)."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.tmp = tmp
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, **extra: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, **self.env, **extra, "PYTHONPATH": str(REPO)}
        log = (self.tmp / f"worker-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.distributed.worker_process"],
            cwd=self.tmp,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """Kill a worker the hard way, as the OOM killer or a lost machine would."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def pause(self, process: subprocess.Popen[bytes]) -> None:
        """Freeze a worker mid-run (it holds what it took, and takes nothing more)."""
        os.killpg(process.pid, signal.SIGSTOP)

    def resume(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGCONT)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGCONT)  # a paused worker must hear SIGTERM
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.tmp.glob("worker-*.log")))


class RedisServer:
    """A redis-server of the test's own, on a free port, to lose and bring back mid-run.

    It keeps nothing on disk, so killing it loses every task it held, as losing a broker
    machine would.
    """

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.tmp / "redis-server.log").open("ab")
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.tmp)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self.answers, timeout=30, what=f"redis-server on port {self.port}")

    def kill(self) -> None:
        """Kill the broker the hard way: no shutdown, no saved data."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        self.process = None

    def answers(self) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """Start a redis-server only this test uses (the machine's own Redis stays up)."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI to lose a broker mid-run")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.kill()


@pytest.fixture
def workers(settings: Any, broker_url: str, tmp_path: Path) -> Iterator[Workers]:
    env = {
        "DATABASE_URL": settings.database_url,
        "UNDERTONE_BROKER_URL": broker_url,
        "UNDERTONE_MODE": "distributed",
        "UNDERTONE_PEPPER": "test-pepper",
        "UNDERTONE_BATCH_SIZE": "8",
        "UNDERTONE_LOG_LEVEL": "WARNING",
    }
    pool = Workers(env, tmp_path)
    yield pool
    pool.stop_all()


def wait_for(condition: Any, *, timeout: float, what: str) -> None:
    """Poll until `condition()` holds, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
