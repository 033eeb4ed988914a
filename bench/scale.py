"""Benchmark distributed mode: the ingest load, classified by 1 and then 2 worker processes.

For each worker count: a fresh PostgreSQL schema and Redis database, the real
`undertone run --http` in distributed mode (it only acknowledges and enqueues), N real
`undertone worker` processes with the packaged model at one thread each, and the same
signed event load as bench/ingest.py, the same number of events for every worker count
(sent as fast as the app takes them, for at most --seconds). Then it waits until every
accepted event is stored.

Run: .venv/bin/python bench/scale.py [--events 15000] [--seconds 60] [--workers 1,2] [--threads 1]
Needs PostgreSQL (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)
and Redis (127.0.0.1:6379, database 13). Prints per run: events accepted, throughput of
the workers (messages stored per second while they were busy), classification lag p50/p99
(message sent to observation stored) and loss; then the 2-worker/1-worker ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import SECRET, _wait_for_health, event_body, free_port, load  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bot.db.engine import parse_database_url  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402

POSTGRES = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = "redis://127.0.0.1:6379/13"


class Clock:
    """Message timestamps that are the send time, unique to the microsecond."""

    def __init__(self) -> None:
        self.last = 0.0
        self.lock = threading.Lock()

    def body(self, number: int) -> bytes:
        with self.lock:
            now = max(time.time(), self.last + 1e-6)
            self.last = now
        return event_body(number, ts=f"{now:.6f}")


def run(
    workers: int, seconds: float, threads: int, connections: int, events: int
) -> dict[str, float]:
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(parse_database_url(POSTGRES), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES else "?"
    database = f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"
    workdir = Path(tempfile.mkdtemp(prefix="undertone-scale-"))
    port = free_port()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with FakeSlack() as fake:
            env = {
                **os.environ,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.url,
                "DATABASE_URL": database,
                "UNDERTONE_MODE": "distributed",
                "UNDERTONE_BROKER_URL": REDIS,
                "UNDERTONE_THREADS": str(threads),
                "UNDERTONE_DEV": "true",
                "UNDERTONE_LOG_LEVEL": "WARNING",
                "HF_HUB_OFFLINE": "1",
            }
            undertone = [sys.executable, "-m", "bot.cli"]
            subprocess.run(
                [*undertone, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=workdir
            )
            processes.append(
                subprocess.Popen(
                    [*undertone, "run", "--http", "--port", str(port), "--host", "127.0.0.1"],
                    env=env,
                    cwd=workdir,
                    stderr=subprocess.DEVNULL,
                )
            )
            for n in range(workers):
                processes.append(
                    subprocess.Popen(
                        [*undertone, "worker", "--name", f"bench-{n}"],
                        env=env,
                        cwd=workdir,
                        stderr=subprocess.DEVNULL,
                    )
                )
            _wait_for_health(port)
            time.sleep(15)  # let the workers load their models before the clock starts
            latencies, failures, _ = load(port, seconds, connections, Clock().body, events)
            accepted = len(latencies)
            engine = create_engine(parse_database_url(database))
            ended = time.monotonic()
            with engine.connect() as connection:
                at_end = connection.execute(text("SELECT count(*) FROM observations")).scalar_one()
            while time.monotonic() - ended < 1800:
                with engine.connect() as connection:
                    stored = connection.execute(
                        text("SELECT count(*) FROM observations")
                    ).scalar_one()
                if stored >= accepted:
                    break
                time.sleep(1.0)
            drained_at = time.monotonic()
            with engine.connect() as connection:
                rows = (
                    connection.execute(
                        text(
                            "SELECT extract(epoch FROM classified_at) - CAST(message_ts AS float) "
                            "FROM observations"
                        )
                    )
                    .scalars()
                    .all()
                )
                first, last = connection.execute(
                    text("SELECT min(classified_at), max(classified_at) FROM observations")
                ).one()
            engine.dispose()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(60)
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    lags = sorted(float(value) for value in rows)
    busy = max((last - first).total_seconds(), 1e-6)
    drain = max(drained_at - ended, 1e-6)
    return {
        "accepted": accepted,
        "failed": failures,
        "stored": len(lags),
        "throughput": len(lags) / busy,
        # After the load: only the workers use the CPUs, so this is their own rate.
        "drain_throughput": (len(lags) - at_end) / drain,
        "lag_p50": statistics.median(lags),
        "lag_p99": lags[int(len(lags) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=15_000, help="events per run")
    parser.add_argument("--seconds", type=float, default=60.0, help="at most this long")
    parser.add_argument("--workers", default="1,2", help="worker counts to try, comma-separated")
    parser.add_argument("--threads", type=int, default=1, help="model threads per worker")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; {args.threads} model thread(s) "
        f"per worker; load {args.events:,} events (at most {args.seconds:.0f}s) from "
        f"{args.connections} connections"
    )
    results = {}
    for count in [int(n) for n in args.workers.split(",")]:
        result = run(count, args.seconds, args.threads, args.connections, args.events)
        results[count] = result
        print(
            f"{count} worker(s): {result['accepted']:.0f} events accepted "
            f"({result['failed']:.0f} failed), {result['throughput']:.1f} msg/s classified "
            f"overall, {result['drain_throughput']:.1f} msg/s once the load stopped, "
            f"lag p50 {result['lag_p50']:.1f}s p99 {result['lag_p99']:.1f}s, "
            f"loss {result['accepted'] - result['stored']:.0f}",
            flush=True,
        )
    if 1 in results and 2 in results:
        for key, what in (("throughput", "overall"), ("drain_throughput", "workers alone")):
            ratio = results[2][key] / results[1][key]
            print(f"2 workers / 1 worker throughput ({what}): {ratio:.2f}x")


if __name__ == "__main__":
    main()
