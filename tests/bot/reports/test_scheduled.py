"""The monthly report goes out once: on time, late after downtime, never twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.engine import Database
from bot.outbox.models import OutboxMessage
from bot.reports import scheduled
from bot.reports.month import Month
from bot.reports.scheduled import Scheduler, due_months, first_working_day, queue_monthly_report
from bot.settings import Settings
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")


def test_first_working_day_skips_weekends() -> None:
    assert first_working_day(Month(2026, 11)) == date(2026, 11, 2)  # the 1st is a Sunday
    assert first_working_day(Month(2026, 8)) == date(2026, 8, 3)
    assert first_working_day(Month(2026, 10)) == date(2026, 10, 1)


def test_the_report_is_due_at_nine_local_time_on_that_day() -> None:
    before = datetime(2026, 11, 2, 7, 59, tzinfo=UTC)  # 08:59 in Berlin
    after = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert Month(2026, 10) not in due_months(before, BERLIN)
    assert Month(2026, 10) in due_months(after, BERLIN)


@pytest.fixture
def october(database: Database) -> Database:
    with database.session() as s:
        factories.channel(s, "C1", "support")
        factories.observations(
            s,
            channel="C1",
            at=datetime(2026, 10, 12, tzinfo=UTC),
            labels={"contempt": 2, "constructive": 20},
            authors=6,
        )
    return database


def _settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "leaders": ["U0LEADER1", "U0LEADER2"],
            "report_channel": "C0LEADERS",
            "timezone": "Europe/Berlin",
        }
    )


def test_two_schedulers_send_one_report(october: Database, settings: Settings) -> None:
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    config = _settings(settings)
    with october.session() as first, october.session() as second:
        a = queue_monthly_report(first, workspace_id="T1", settings=config, now=now)
        first.commit()
        b = queue_monthly_report(second, workspace_id="T1", settings=config, now=now)
    assert a == [Month(2026, 10)] and b == []
    with october.session() as s:
        rows = s.scalars(select(OutboxMessage)).all()
    posts = [r for r in rows if r.method == "chat.postMessage"]
    uploads = [r for r in rows if r.method == "files_upload_v2"]
    assert sorted(r.payload["channel"] for r in posts) == ["C0LEADERS", "U0LEADER1", "U0LEADER2"]
    assert len(uploads) == 3
    assert "October 2026" in str(posts[0].payload["blocks"])


def test_two_schedulers_racing_in_parallel_send_one_report(
    october: Database, settings: Settings
) -> None:
    import threading

    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    config = _settings(settings)
    start = threading.Barrier(2)
    claimed: list[list[Month]] = []

    def scheduler() -> None:
        with october.session() as session:
            start.wait()
            claimed.append(
                queue_monthly_report(session, workspace_id="T1", settings=config, now=now)
            )

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(claimed) == [[], [Month(2026, 10)]]
    with october.session() as s:
        posts = [r for r in s.scalars(select(OutboxMessage)) if r.method == "chat.postMessage"]
    assert len(posts) == 3


def test_downtime_over_the_first_sends_late_not_never(
    october: Database, settings: Settings
) -> None:
    config = _settings(settings)
    with october.session() as s:
        assert queue_monthly_report(
            s, workspace_id="T1", settings=config, now=datetime(2026, 11, 19, tzinfo=UTC)
        ) == [Month(2026, 10)]
        assert (
            queue_monthly_report(
                s, workspace_id="T1", settings=config, now=datetime(2026, 11, 20, tzinfo=UTC)
            )
            == []
        )


def test_nothing_is_sent_before_time_or_for_empty_months(
    october: Database, settings: Settings
) -> None:
    config = _settings(settings)
    with october.session() as s:
        assert (
            queue_monthly_report(
                s, workspace_id="T1", settings=config, now=datetime(2026, 11, 2, 7, tzinfo=UTC)
            )
            == []
        )
        # September had no observations: nothing to send, no claim made.
        assert (
            queue_monthly_report(
                s, workspace_id="T1", settings=config, now=datetime(2026, 10, 5, 9, tzinfo=UTC)
            )
            == []
        )


def test_a_failing_job_does_not_stop_the_others() -> None:
    ran: list[str] = []

    def broken(now: datetime) -> None:
        raise RuntimeError("boom")

    def fine(now: datetime) -> None:
        ran.append("fine")

    Scheduler([broken, fine]).run_once()
    assert ran == ["fine"]


def test_a_report_with_nowhere_to_go_waits_for_leaders_instead_of_being_lost(
    october: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scheduled, "_warned_waiting", set())  # a fresh process
    nobody = settings.model_copy(update={"timezone": "Europe/Berlin"})
    on_time = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    for minutes in (0, 5, 10):  # the job runs every few minutes
        with october.session() as s:
            now = on_time + timedelta(minutes=minutes)
            assert queue_monthly_report(s, workspace_id="T1", settings=nobody, now=now) == []
    assert caplog.text.count("monthly report for 2026-10 is waiting: set UNDERTONE_LEADERS") == 1
    # A leader is added a week later: October's report still goes out.
    later = datetime(2026, 11, 9, 9, tzinfo=UTC)
    with october.session() as s:
        assert queue_monthly_report(
            s, workspace_id="T1", settings=_settings(settings), now=later
        ) == [Month(2026, 10)]
        posts = [r for r in s.scalars(select(OutboxMessage)) if r.method == "chat.postMessage"]
    assert sorted(r.payload["channel"] for r in posts) == ["C0LEADERS", "U0LEADER1", "U0LEADER2"]
