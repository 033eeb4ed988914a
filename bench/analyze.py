"""Benchmark `undertone analyze` end to end on a generated export.

Builds a Slack export zip of N messages (corpus texts spread over channels and days),
analyses it into a fresh SQLite database through the real pipeline and model, and prints
messages/second end to end, the share of time spent outside the model, the model's own
batched rate on the same messages in the same run, and memory as the run goes on.

Run: .venv/bin/python bench/analyze.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.classifier import peak_rss_mb  # noqa: E402
from bot.db.engine import Database  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.exports.analyze import ExportAnalysis  # noqa: E402
from bot.exports.reader import SlackExport  # noqa: E402
from bot.ingest.pipeline import Pipeline  # noqa: E402
from bot.settings import Settings  # noqa: E402
from classifiers.corpus import load_examples  # noqa: E402
from classifiers.model import ToneClassifier  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def build_export(path: Path, count: int) -> list[str]:
    """Write an export of `count` messages; return their texts in order."""
    rng = random.Random(7)
    texts = [e.text for e in load_examples()]
    channels = [f"channel-{i:02d}" for i in range(20)]
    per_day = 40
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    used = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "channels.json",
            json.dumps([{"id": f"C{i:04d}", "name": n} for i, n in enumerate(channels)]),
        )
        archive.writestr(
            "users.json",
            json.dumps(
                [{"id": f"U{i:04d}", "team_id": "T0BENCH", "name": f"user{i}"} for i in range(300)]
            ),
        )
        day, written = 0, 0
        while written < count:
            for channel in channels:
                messages = []
                for n in range(min(per_day, count - written)):
                    text = rng.choice(texts)
                    moment = start + timedelta(days=day, minutes=n * 7)
                    messages.append({"type": "message", "user": f"U{rng.randrange(300):04d}", "text": text,
                                     "ts": f"{moment.timestamp():.0f}.{written:06d}"})  # fmt: skip
                    used.append(text)
                    written += 1
                if messages:
                    archive.writestr(
                        f"{channel}/{(start + timedelta(days=day)).date()}.json",
                        json.dumps(messages),
                    )
                if written >= count:
                    break
            day += 1
    return used


class TimedClassifier:
    """The real classifier, with the time spent inside it counted."""

    def __init__(self, inner: ToneClassifier) -> None:
        self.inner = inner
        self.version = inner.version
        self.seconds = 0.0

    def predict_prepared(self, texts, *, batch_size=32):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return self.inner.predict_prepared(texts, batch_size=batch_size)
        finally:
            self.seconds += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="undertone-bench-"))
    export_path = folder / "export.zip"
    texts = build_export(export_path, args.messages)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; export of {len(texts):,} messages, "
          f"{export_path.stat().st_size / 1e6:.1f} MB zipped")  # fmt: skip
    url = f"sqlite:///{folder / 'bench.db'}"
    database = Database.from_url(url)
    upgrade(database, url)
    # The settings' own defaults, as `undertone analyze` runs: precision auto, batch 32.
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    classifier = TimedClassifier(ToneClassifier(precision=settings.precision))
    print(f"model {classifier.inner.version}, batches of {settings.batch_size}")
    memory = []
    with SlackExport(export_path) as export:
        analysis = ExportAnalysis(
            export=export,
            pipeline=Pipeline(database=database, classifier=classifier, settings=settings),
            database=database,
            workspace_id="T0BENCH",
            batch_size=512,  # as `undertone analyze` does
        )
        plan = analysis.plan()
        marks = {len(texts) * q // 4 for q in (1, 2, 3)}

        def progress(done: int, _bytes: int) -> None:
            for mark in sorted(marks):
                if done >= mark:
                    memory.append((mark, rss_mb()))
                    marks.discard(mark)

        started = time.perf_counter()
        result = analysis.run(plan, progress=progress)
        elapsed = time.perf_counter() - started
    rate = result.classified / elapsed
    outside = 1 - classifier.seconds / elapsed
    # An even spread over the whole export: its messages come in corpus order, shorter
    # first-round messages first, so the first few thousand would flatter the model.
    sample = texts[:: max(1, len(texts) // 4096)][:4096]
    from classifiers.text import prepare_text

    prepared = [prepare_text(t) for t in sample]
    t0 = time.perf_counter()
    classifier.inner.predict_prepared(prepared, batch_size=settings.batch_size)
    model_rate = len(prepared) / (time.perf_counter() - t0)
    print(
        f"analysed {result.read:,} messages, {result.classified:,} stored, in {elapsed:.0f}s: {rate:.1f} messages/s end to end"
    )
    print(f"time outside the model: {outside:.1%}")
    in_run = result.classified / classifier.seconds if classifier.seconds else 0.0
    print(
        f"the model inside the same run: {in_run:.1f} messages/s; end to end is "
        f"{rate / in_run:.0%} of it"
    )
    print(
        f"the model alone on 4,096 of the same messages: {model_rate:.1f} messages/s; end to end is {rate / model_rate:.0%} of it"
    )
    print(
        "memory (RSS) during the run: "
        + ", ".join(f"{mb:.0f} MB at {mark:,}" for mark, mb in memory)
        + f", peak {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
