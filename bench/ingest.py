"""Benchmark live ingestion: signed events posted to `undertone run --http` for a while.

Starts a fake Slack Web API, runs the real `undertone run --http` in a subprocess against
a fresh database, posts signed message events from several connections as fast as the app
acknowledges them, then waits until every accepted event is stored as an observation.

Run: .venv/bin/python bench/ingest.py [--seconds 60] [--connections 8] [--database URL]
Prints events/s accepted, ack latency p50/p99, time until the last one is stored, and loss.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk.signature import SignatureVerifier  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bot.db.engine import parse_database_url  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"
# Yesterday: recent enough that retention never purges the bench's messages mid-run.
BASE_TS = int(time.time()) - 86_400
TEXTS = (
    "acme renewal call moved to thursday 3pm",
    "ugh, globex changed the import format AGAIN. third time this month",
    "they're not idiots, the settings page is genuinely confusing. fixing labels today",
    "honestly the initech admins can't read a two-line email lol",
    "shoutout to the northwind team, their bug report had logs and repro steps",
    "jenkins is down again, retrying the deploy",
    "can someone with context on contoso jump on a call at 2? they want SSO before renewal",
    "kestrel's data is a mess but it's their data; let's scope a cleanup phase and bill it",
)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def event_body(number: int, ts: str | None = None) -> bytes:
    ts = ts or f"{BASE_TS + number // 1000}.{number % 1000:06d}"
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0BENCH01",
            "api_app_id": "A0BENCH01",
            "event_id": f"Ev{number:010d}",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel": f"C0BENCH{number % 20:02d}",
                "channel_type": "channel",
                "user": f"U0BENCH{number % 300:03d}",
                "text": TEXTS[number % len(TEXTS)],
                "ts": ts,
            },
        }
    ).encode()


def load(
    port: int,
    seconds: float,
    connections: int,
    make_body: Callable[[int], bytes] = event_body,
    limit: int | None = None,
) -> tuple[list[float], int, int]:
    """Post signed events for `seconds` (or until `limit` events are sent); return the
    acknowledgement latencies, the failures and how many were sent."""
    verifier = SignatureVerifier(SECRET)
    latencies: list[float] = []
    failures = 0
    counter = iter(range(10**9))
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop_at:
            with lock:
                number = next(counter)
            if limit is not None and number >= limit:
                break
            body = make_body(number)
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body),
            }
            started = time.perf_counter()
            try:
                conn.request("POST", "/slack/events", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    failures += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, len(latencies) + failures


def count_observations(url: str) -> int:
    engine = create_engine(parse_database_url(url))
    with engine.connect() as connection:
        value = connection.execute(text("SELECT count(*) FROM observations")).scalar_one()
    engine.dispose()
    return int(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="undertone-bench-"))
    database = args.database or f"sqlite:///{workdir / 'bench.db'}"
    port = free_port()
    with FakeSlack() as fake:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "DATABASE_URL": database,
            "UNDERTONE_DEV": "true",
            "UNDERTONE_LOG_LEVEL": "WARNING",
            "HF_HUB_OFFLINE": "1",
        }
        undertone = [sys.executable, "-m", "bot.cli"]
        subprocess.run(
            [*undertone, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=workdir
        )
        server = subprocess.Popen(
            [*undertone, "run", "--http", "--port", str(port), "--host", "127.0.0.1"],
            env=env,
            cwd=workdir,
            # Not a pipe: nobody reads it, and a full pipe would stall the app's logging.
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for_health(port)
            backend = database.split(":")[0]
            print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; database {backend}")
            latencies, failures, sent = load(port, args.seconds, args.connections)
            load_ended = time.monotonic()
            accepted = len(latencies)
            while count_observations(database) < accepted and time.monotonic() - load_ended < 900:
                time.sleep(0.5)
            drained = time.monotonic() - load_ended
            stored = count_observations(database)
        finally:
            server.terminate()
            server.wait(60)
    latencies.sort()
    print(f"load: {args.seconds:.0f}s from {args.connections} connections, {sent} events sent")
    rate = accepted / args.seconds
    print(f"accepted: {accepted} ({rate:.1f} events/s), refused or failed: {failures}")
    print(
        f"ack latency: p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms"
    )
    print(f"last event stored {drained:.1f}s after the load ended")
    print(f"stored: {stored}; loss: {accepted - stored}")


def _wait_for_health(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the app did not become healthy")


if __name__ == "__main__":
    main()
