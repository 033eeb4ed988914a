"""Two workers storing batches at the same moment never deadlock on shared rows."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from bot.accounts.models import AccountCandidate
from bot.db.engine import Database
from bot.ingest.normalize import SlackMessage
from bot.ingest.pipeline import Pipeline
from bot.observations.models import Observation
from bot.settings import Settings
from tests.fakes import FakeClassifier

NAMES = [f"{word} Logistics" for word in ("Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir")]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_batches_naming_the_same_organisations_store_side_by_side(
    settings: Settings, database: Database
) -> None:
    """Each batch names the same unlisted organisations in the opposite order: locking
    their suggestion rows message by message would deadlock one of the two."""
    rounds, errors = 12, []
    start = threading.Barrier(2)

    def worker(number: int) -> None:
        engine = Database.from_url(settings.database_url)
        pipeline = Pipeline(database=engine, classifier=FakeClassifier(), settings=settings)
        names = NAMES if number == 0 else NAMES[::-1]
        try:
            for round_ in range(rounds):
                batch = [
                    SlackMessage(
                        f"C0WORKER{number}",
                        f"1760000{round_:03d}.{n:06d}",
                        f"U0AUTHOR{n}",
                        f"the {name} people sent the renewal form again",
                    )
                    for n, name in enumerate(names)
                ]
                start.wait()
                with engine.session() as session:
                    pipeline.process(batch, workspace_id="T1", session=session)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            start.abort()
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors[0]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 2 * rounds * 6
        mentions = session.scalars(select(AccountCandidate.mentions)).all()
    assert sorted(mentions) == [2 * rounds] * 6
