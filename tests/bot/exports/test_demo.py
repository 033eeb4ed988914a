"""The bundled sample export tells its story through the real model."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.accounts.service import import_csv
from bot.classifier import get_classifier
from bot.db.engine import Database
from bot.exports.analyze import ExportAnalysis
from bot.exports.reader import SlackExport
from bot.ingest.pipeline import Pipeline
from bot.reports.month import Month
from bot.reports.report import build_report
from bot.sample.build import ARCHIVE, BANK, build_days, load_bank, write_archive
from bot.settings import Settings
from bot.teams.service import apply_specs, load_teams_file

pytestmark = pytest.mark.model
OSLO = ZoneInfo("Europe/Oslo")


def test_the_bundled_archive_is_what_the_builder_makes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rebuilt = tmp_path / "export.zip"
    write_archive(build_days(load_bank(BANK)), rebuilt)
    assert rebuilt.read_bytes() == ARCHIVE.read_bytes()
    with zipfile.ZipFile(ARCHIVE) as archive:
        users = json.loads(archive.read("users.json"))
    assert len(users) == 25


@pytest.fixture(scope="module")
def quillon(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    database = Database.from_url(url)
    from bot.db.migrate import upgrade

    upgrade(database, url)
    settings = Settings(_env_file=None, database_url=url, timezone="Europe/Oslo")  # type: ignore[call-arg]
    with SlackExport(ARCHIVE) as export:
        analysis = ExportAnalysis(
            export=export,
            pipeline=Pipeline(
                database=database, classifier=get_classifier(settings), settings=settings
            ),
            database=database,
            workspace_id="T0QUILLON",
            workspace_name="Quillon",
            batch_size=64,
        )
        plan = analysis.plan()
        with database.session() as session:
            from bot.workspaces.service import ensure_channel, ensure_workspace

            ensure_workspace(session=session, workspace_id="T0QUILLON", name="Quillon")
            for channel, _ in plan:
                ensure_channel(
                    session=session,
                    workspace_id="T0QUILLON",
                    channel_id=channel.id,
                    name=channel.name,
                )
            apply_specs(
                session,
                workspace_id="T0QUILLON",
                specs=load_teams_file(ARCHIVE.parent / "teams.yml"),
            )
            imported = import_csv(
                session, workspace_id="T0QUILLON", path=ARCHIVE.parent / "accounts.csv"
            )
            assert imported.errors == []
        result = analysis.run(plan)
    assert not result.partial
    with database.session() as session:
        reports = {}
        for month in (8, 10):
            reports[month] = build_report(
                session, workspace_id="T0QUILLON", month=Month(2026, month), min_group=5,
                zone=OSLO, now=datetime(2026, 11, 5, tzinfo=UTC),
            )  # fmt: skip
        yield reports
    database.dispose()


def test_implementation_rises_through_august_and_recovers(quillon) -> None:  # type: ignore[no-untyped-def]
    rates = {str(p.month): p.teams.get("Implementation") for p in quillon[10].trend}
    assert rates["2026-08"] > rates["2026-05"] * 1.5
    assert rates["2026-10"] < rates["2026-08"] * 0.7


def test_engineering_stays_healthy_and_blunt(quillon) -> None:  # type: ignore[no-untyped-def]
    august = dict(quillon[10].trend[-3].teams)
    assert august["Engineering"] < august["Implementation"] / 2
    engineering = next(t for t in quillon[10].teams if t.name == "Engineering")
    # Blunt but healthy: criticism that solves problems is what they mostly say about
    # customers (the bank has 45 of 90 such messages in October), and ridicule stays rare.
    about = {k: v for k, v in engineering.cell.label_counts.items() if k != "not_customer"}
    assert max(about, key=lambda label: about[label]) == "constructive"
    assert engineering.cell.contempt_rate < 0.1


def test_halvorsen_freight_draws_the_contempt_in_august_and_gets_better_by_october(quillon) -> None:  # type: ignore[no-untyped-def]
    august = quillon[8].accounts_drawing_contempt()
    assert august[0].name == "Halvorsen Freight"
    assert "Implementation" in august[0].teams_talking
    october = quillon[10]
    assert "Halvorsen Freight" in [a.name for a in october.accounts_recovering()]
    assert "Halvorsen Freight" not in [a.name for a in october.accounts_drawing_contempt()]
    halvorsen = next(a for a in october.accounts if a.name == "Halvorsen Freight")
    rates = dict(halvorsen.trend)
    assert rates[Month(2026, 8)] > 2 * (rates[Month(2026, 10)] or 0.0)
