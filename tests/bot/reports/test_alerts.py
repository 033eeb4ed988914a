"""Trend alerts fire on clear rises, never on small-count noise, at most once a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import literal, select

from bot.alerts.models import Alert
from bot.alerts.service import check_trends, send_trend_alerts
from bot.db.engine import Database
from bot.outbox.models import OutboxMessage
from bot.reports.stats import binomial_upper_tail, wilson_interval
from tests import factories

ZONE = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 8, 20, 9, 0, tzinfo=UTC)  # a Thursday


def _baseline(session, channel: str, authors: int = 8) -> None:  # type: ignore[no-untyped-def]
    """Eight ordinary weeks: about 5% contempt."""
    for week in range(2, 9):
        factories.observations(
            session,
            channel=channel,
            at=NOW - timedelta(weeks=week),
            labels={"contempt": 3, "constructive": 40, "frustration": 10, "neutral": 7},
            authors=authors,
            author_prefix=channel,
            spread=timedelta(days=5),
        )


@pytest.fixture
def teams(database: Database) -> Database:
    with database.session() as s:
        factories.channel(s, "C1", "implementation")
        factories.channel(s, "C2", "support")
        factories.channel(s, "C3", "eng")
        factories.team(s, "Implementation", ["C1"], ["U0MGR0001", "U0MGR0002"])
        factories.team(s, "Support", ["C2"], ["U0MGR0003"])
        factories.team(s, "Engineering", ["C3"])  # nobody to tell
        for channel in ("C1", "C2", "C3"):
            _baseline(s, channel)
    return database


def _last_week(session, channel: str, labels: dict[str, int], authors: int = 8) -> None:  # type: ignore[no-untyped-def]
    factories.observations(
        session,
        channel=channel,
        at=NOW - timedelta(days=6),
        labels=labels,
        authors=authors,
        author_prefix=channel,
        spread=timedelta(days=5),
    )


def test_exact_binomial_tail() -> None:
    assert binomial_upper_tail(0, 10, 0.3) == 1.0
    assert binomial_upper_tail(10, 10, 0.5) == pytest.approx(0.5**10)
    assert binomial_upper_tail(2, 3, 0.5) == pytest.approx(0.5)
    low, high = wilson_interval(5, 100)
    assert low < 0.05 < high


def test_a_clear_rise_alerts_the_teams_managers_with_numbers_only(teams: Database) -> None:
    with teams.session() as s:
        _last_week(s, "C1", {"contempt": 20, "constructive": 30, "frustration": 10})
        _last_week(s, "C2", {"contempt": 3, "constructive": 50})
        sent = send_trend_alerts(s, workspace_id="T1", now=NOW, min_group=5, zone=ZONE)
    assert [c.team_name for c in sent] == ["Implementation"]
    with teams.session() as s:
        messages = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert sorted(m.payload["channel"] for m in messages) == ["U0MGR0001", "U0MGR0002"]
    text = str(messages[0].payload)
    assert "33%" in text and "5%" in text  # 20 of 60, against ~5% before
    assert "rest of the organisation" in text
    assert "implementation-author" not in text  # never a person


def test_noise_from_small_counts_does_not_fire(teams: Database) -> None:
    with teams.session() as s:
        _last_week(s, "C1", {"contempt": 3, "constructive": 5})  # 37%, but of 8 messages
        checks = {
            c.team_name: c
            for c in check_trends(s, workspace_id="T1", now=NOW, min_group=5, zone=ZONE)
        }
    assert checks["Implementation"].verdict is None


def test_too_few_people_never_fires(teams: Database) -> None:
    with teams.session() as s:
        _last_week(s, "C1", {"contempt": 30, "constructive": 30}, authors=3)
        checks = {
            c.team_name: c
            for c in check_trends(s, workspace_id="T1", now=NOW, min_group=5, zone=ZONE)
        }
    assert checks["Implementation"].verdict is None


def test_at_most_one_alert_per_team_per_week_then_a_recovery_note(teams: Database) -> None:
    with teams.session() as s:
        _last_week(s, "C1", {"contempt": 20, "constructive": 30, "frustration": 10})
        first = send_trend_alerts(s, workspace_id="T1", now=NOW, min_group=5, zone=ZONE)
        again = send_trend_alerts(
            s, workspace_id="T1", now=NOW + timedelta(hours=3), min_group=5, zone=ZONE
        )
    assert len(first) == 1 and again == []
    later = NOW + timedelta(weeks=2)
    with teams.session() as s:
        factories.observations(
            s,
            channel="C1",
            at=later - timedelta(days=6),
            labels={"contempt": 2, "constructive": 50},
            authors=8,
            author_prefix="C1",
            spread=timedelta(days=5),
        )
        recovered = send_trend_alerts(s, workspace_id="T1", now=later, min_group=5, zone=ZONE)
        kinds = s.scalars(select(Alert.kind).order_by(Alert.id)).all()
    assert [c.verdict for c in recovered] == ["recovered"]
    assert kinds == ["rise", "recovered"]


def test_a_team_without_managers_is_logged_not_crashed(
    teams: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with teams.session() as s:
        _last_week(s, "C3", {"contempt": 25, "constructive": 30})
        sent = send_trend_alerts(s, workspace_id="T1", now=NOW, min_group=5, zone=ZONE)
    assert sent == []
    assert "Engineering needs an alert but has no managers" in caplog.text


def _two_teams(database: Database, elsewhere: list[str]) -> None:
    """Implementation (C1) and one other team over the channels in `elsewhere`."""
    with database.session() as s:
        factories.channel(s, "C1", "implementation")
        factories.team(s, "Implementation", ["C1"], ["U0MGR0001"])
        for n, channel in enumerate(elsewhere, start=2):
            factories.channel(s, channel, f"support-{n}")
        factories.team(s, "Support", elsewhere, ["U0MGR0002"])
        _baseline(s, "C1")
        _last_week(s, "C1", {"contempt": 20, "constructive": 30, "frustration": 10})


def _alert_text(database: Database) -> str:
    with database.session() as s:
        sent = send_trend_alerts(s, workspace_id="T1", now=NOW, min_group=5, zone=ZONE)
        assert [c.team_name for c in sent] == ["Implementation"]
        return str(s.scalars(select(OutboxMessage)).first().payload)  # type: ignore[union-attr]


def test_the_rest_of_the_organisation_is_quoted_only_when_enough_people_wrote_it(
    database: Database,
) -> None:
    # Support is the whole rest of the organisation: two channels with 30 messages each,
    # but written by the same three people. Its rate would be theirs.
    _two_teams(database, ["C2", "C3"])
    with database.session() as s:
        for channel in ("C2", "C3"):
            factories.observations(
                s,
                channel=channel,
                at=NOW - timedelta(days=6),
                labels={"contempt": 9, "constructive": 21},
                authors=3,
                author_prefix="support",
                spread=timedelta(days=5),
            )
    text = _alert_text(database)
    assert "rest of the organisation is at" not in text
    assert "30%" not in text  # the three people's rate
    assert "not enough people elsewhere in the organisation to compare" in text


def test_the_rest_of_the_organisation_is_quoted_when_enough_people_wrote_it(
    database: Database,
) -> None:
    _two_teams(database, ["C2"])
    with database.session() as s:
        _last_week(s, "C2", {"contempt": 9, "constructive": 21}, authors=6)
    assert "The rest of the organisation is at 30%" in _alert_text(database)


def test_a_baseline_written_by_too_few_people_is_never_compared(database: Database) -> None:
    with database.session() as s:
        factories.channel(s, "C1", "implementation")
        factories.team(s, "Implementation", ["C1"], ["U0MGR0001"])
        _baseline(s, "C1", authors=3)  # the team's "normal" is three people's rate
        _last_week(s, "C1", {"contempt": 20, "constructive": 30, "frustration": 10})
        sent = send_trend_alerts(s, workspace_id="T1", now=NOW, min_group=5, zone=ZONE)
        assert sent == []
        assert s.scalars(select(OutboxMessage)).all() == []


def test_an_account_baseline_written_by_too_few_people_is_never_compared(
    database: Database,
) -> None:
    from sqlalchemy import insert

    from bot.accounts.alerts import send_account_alerts
    from bot.accounts.models import Account, ObservationAccount
    from bot.observations.models import Observation

    with database.session() as s:
        factories.channel(s, "C1", "implementation")
        team = factories.team(s, "Implementation", ["C1"], ["U0MGR0001"])
        account = Account(workspace_id="T1", name="Kestrel Air", name_key="kestrel air")
        account.owner_team_id = team.id
        s.add(account)
        _baseline(s, "C1", authors=3)  # eight weeks about Kestrel from three people
        _last_week(s, "C1", {"contempt": 20, "constructive": 30, "frustration": 10})
        s.execute(
            insert(ObservationAccount).from_select(
                ["workspace_id", "channel_id", "message_ts", "account_id"],
                select(
                    Observation.workspace_id,
                    Observation.channel_id,
                    Observation.message_ts,
                    literal(account.id),
                ),
            )
        )
        assert send_account_alerts(s, workspace_id="T1", now=NOW, min_group=5, zone=ZONE) == []
