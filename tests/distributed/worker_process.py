"""A real `undertone worker` process with a stand-in classifier, for the distributed tests.

    python -m tests.distributed.worker_process

Settings come from the environment as for `undertone worker`. Test-only knobs:
UNDERTONE_TEST_DELAY (seconds each batch takes), UNDERTONE_TEST_POISON (a word that makes
classification raise) and UNDERTONE_TEST_TALLY (a file to which each batch appends a line).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.db.engine import Database
from bot.distributed.worker import run_worker
from bot.logs import configure_logging
from bot.settings import Settings
from classifiers.model import Prediction
from tests.fakes import FakeClassifier


class SlowClassifier(FakeClassifier):
    """The keyword fake, slowed down, breakable, and keeping a tally on disk."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = float(os.environ.get("UNDERTONE_TEST_DELAY", "0"))
        self.poison = os.environ.get("UNDERTONE_TEST_POISON", "")
        tally = os.environ.get("UNDERTONE_TEST_TALLY", "")
        self.tally = Path(tally) if tally else None

    def predict_prepared(self, texts: list[str], *, batch_size: int = 32) -> list[Prediction]:
        if self.tally:
            with self.tally.open("a") as out:
                out.write(f"start {len(texts)}\n")
        if self.poison and any(self.poison in text for text in texts):
            raise RuntimeError("classifier crashed")
        time.sleep(self.delay)
        return super().predict_prepared(texts, batch_size=batch_size)


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    database = Database.from_url(settings.database_url)
    run_worker(settings, database=database, classifier=SlowClassifier(), name=f"test-{os.getpid()}")


if __name__ == "__main__":
    main()
