"""Real worker processes, a real broker (Redis) and the real PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.tmp.glob("worker-*.log")))


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
