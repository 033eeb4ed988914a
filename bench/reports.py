"""Benchmark the monthly report on a large table, on SQLite and PostgreSQL.

Fills a fresh database with observations over 12 months, 200 channels in 40 teams and
2,000 authors, then times `build_report` for the last month (median of 3) and measures
how much memory building it takes, at two table sizes, so growth with the table shows.

Run: .venv/bin/python bench/reports.py [--rows 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bot.db.engine import Database, parse_database_url  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.observations.models import Observation  # noqa: E402
from bot.reports.report import Month, build_report  # noqa: E402
from bot.teams.models import Team, TeamChannel  # noqa: E402
from bot.workspaces.models import Channel, Workspace  # noqa: E402

LABELS = ("contempt", "frustration", "constructive", "positive", "neutral", "not_customer")
WEIGHTS = (0.06, 0.12, 0.25, 0.10, 0.22, 0.25)
CHANNELS = 200
AUTHORS = 2000
END = datetime(2026, 11, 1, tzinfo=UTC)
START = END - timedelta(days=365)
WORKSPACE = "T0BENCH01"


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rows(count: int, seed: int, offset: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    span = (END - START).total_seconds()
    classified = datetime.now(UTC)
    for i in range(count):
        channel = rng.randrange(CHANNELS)
        # Each channel has its own people, as teams do.
        author = (channel * 37 + rng.randrange(60)) % AUTHORS
        moment = START + timedelta(seconds=rng.random() * span)
        label = rng.choices(LABELS, WEIGHTS)[0]
        yield {
            "workspace_id": WORKSPACE,
            "channel_id": f"C{channel:05d}",
            "message_ts": f"{moment.timestamp():.0f}.{offset + i:07d}",
            "thread_ts": None,
            "author_key": f"{author:064d}",
            "label": label,
            "scores": {label: 0.9},
            "lang": "en",
            "lang_supported": rng.random() > 0.03,
            "model_version": "bench",
            "source": "live",
            "message_at": moment,
            "classified_at": classified,
        }


def fill(db: Database, count: int, offset: int) -> float:
    started = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        columns = [
            "workspace_id",
            "channel_id",
            "message_ts",
            "author_key",
            "label",
            "scores",
            "lang",
            "lang_supported",
            "model_version",
            "source",
            "message_at",
            "classified_at",
        ]
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY observations ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows(count, seed=offset, offset=offset):
                    row["scores"] = json.dumps({row["label"]: 0.9})
                    copy.write_row([row[c] for c in columns])
            raw.commit()
        finally:
            raw.close()
    else:
        batch: list[dict] = []
        with db.engine.begin() as connection:
            for row in rows(count, seed=offset, offset=offset):
                batch.append(row)
                if len(batch) == 50_000:
                    connection.execute(insert(Observation), batch)
                    batch = []
            if batch:
                connection.execute(insert(Observation), batch)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        vacuum = (
            "VACUUM ANALYZE observations" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        )
        connection.execute(text(vacuum))
    return time.perf_counter() - started


def setup_names(db: Database) -> None:
    with db.session() as session:
        session.add(Workspace(id=WORKSPACE, name="Bench Corp"))
        session.flush()
        for c in range(CHANNELS):
            session.add(Channel(workspace_id=WORKSPACE, id=f"C{c:05d}", name=f"channel-{c}"))
        session.flush()
        for t in range(40):
            team = Team(workspace_id=WORKSPACE, name=f"Team {t:02d}")
            team.channels = [
                TeamChannel(workspace_id=WORKSPACE, channel_id=f"C{c:05d}")
                for c in range(t * 5, t * 5 + 5)
            ]
            session.add(team)


def time_report(db: Database) -> tuple[float, float, float, int]:
    """Return the first build (nothing kept yet), the median of three more, memory growth."""
    timings = []
    growth = 0.0
    teams = 0
    for _ in range(4):
        before = rss_mb()
        started = time.perf_counter()
        with db.session() as session:
            report = build_report(
                session,
                workspace_id=WORKSPACE,
                month=Month(2026, 10),
                min_group=5,
                zone=ZoneInfo("Europe/Berlin"),
                now=END + timedelta(days=2),
            )
        timings.append(time.perf_counter() - started)
        growth = max(growth, rss_mb() - before)
        teams = len(report.teams)
    return timings[0], statistics.median(timings[1:]), growth, teams


def run(url: str, total: int, label: str) -> None:
    db = Database.from_url(url)
    upgrade(db, url)
    setup_names(db)
    quarter = total // 4
    seconds = fill(db, quarter, offset=0)
    small_cold, small, small_growth, _ = time_report(db)
    seconds += fill(db, total - quarter, offset=quarter)
    large_cold, large, large_growth, teams = time_report(db)
    print(f"{label}: filled {total:,} observations in {seconds:.0f}s; {teams} teams, 200 channels")
    for rows_count, cold, warm, grown in (
        (quarter, small_cold, small, small_growth),
        (total, large_cold, large, large_growth),
    ):
        print(
            f"  {rows_count:>9,} rows: monthly report {warm:.2f}s "
            f"(first build, computing all 12 months: {cold:.2f}s), memory +{grown:.0f} MB"
        )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{CHANNELS} channels, {AUTHORS} authors, 12 months"
    )
    folder = Path(tempfile.mkdtemp(prefix="undertone-bench-"))
    run(f"sqlite:///{folder / 'bench.db'}", args.rows, "SQLite")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(parse_database_url(args.postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in args.postgres else "?"
        run(
            f"{args.postgres}{separator}options=-csearch_path%3D{schema}",
            args.rows,
            "PostgreSQL 15",
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
