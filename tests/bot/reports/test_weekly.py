"""The month week by week: ISO weeks, the same minimum group, nothing worked out by subtraction."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from bot.db.engine import Database
from bot.observations.models import Observation
from bot.reports.aggregates import Cell
from bot.reports.month import Month
from bot.reports.render import render
from bot.reports.report import (
    MonthlyReport,
    PeriodRows,
    Row,
    TeamDirectory,
    build_report,
    only_team,
)
from bot.reports.suppression import NOT_ENOUGH_PEOPLE
from bot.reports.week import weeks_of
from bot.reports.weekly import WeekRows, withhold_weeks
from tests import factories

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 11, 3, 12, tzinfo=UTC)
# October 2026 starts on a Thursday: W40 is 1–4 Oct, W41 5–11, W42 12–18, W43 19–25,
# W44 26–31. A Tuesday in each whole week:
W41, W42, W43 = (datetime(2026, 10, d, 10, tzinfo=UTC) for d in (6, 13, 20))
SUBTRACTED = NOT_ENOUGH_PEOPLE + " (withheld so a smaller group cannot be worked out)"


def _report(
    database: Database,
    month: str = "2026-10",
    *,
    k: int = 5,
    zone: ZoneInfo = UTC_ZONE,
    team_level_only: bool = False,
    now: datetime = NOW,
) -> MonthlyReport:
    with database.session() as s:
        return build_report(
            s,
            workspace_id="T1",
            month=Month.parse(month),
            min_group=k,
            zone=zone,
            now=now,
            team_level_only=team_level_only,
        )


def _week(report: MonthlyReport, label: str) -> dict:  # type: ignore[type-arg]
    return next(w for w in report.as_json()["weeks"] if w["week"] == label)


def _team(week: dict, name: str) -> dict:  # type: ignore[type-arg]
    return next(t for t in week["teams"] if t["team"] == name)


def test_a_months_weeks_are_iso_weeks_cut_at_its_edges() -> None:
    october = weeks_of(Month(2026, 10))
    assert [w.label for w in october] == [f"2026-W{n}" for n in range(40, 45)]
    assert [w.days for w in october] == [4, 7, 7, 7, 6]
    assert october[0].first == date(2026, 10, 1) and october[1].first.weekday() == 0
    # February 2027 starts on a Monday and has exactly four whole weeks.
    assert [(w.label, w.days) for w in weeks_of(Month(2027, 2))] == [
        (f"2027-W0{n}", 7) for n in range(5, 9)
    ]
    # The days of 28 Dec 2026 – 3 Jan 2027 belong to ISO year 2026 in both months.
    assert weeks_of(Month(2027, 1))[0].label == weeks_of(Month(2026, 12))[-1].label == "2026-W53"
    berlin = ZoneInfo("Europe/Berlin")
    assert october[0].start(berlin) == Month(2026, 10).start(berlin)
    assert october[-1].end(berlin) == Month(2026, 10).end(berlin)


@pytest.fixture
def weekly(database: Database) -> Database:
    """Implementation (6 people, #implementation and #rollout), Support (7) and Engineering
    (6), in three weeks of October; Implementation has only 3 people in W43."""
    with database.session() as s:
        for cid, name in [("C1", "implementation"), ("C2", "rollout"), ("C3", "support"),
                          ("C4", "eng")]:  # fmt: skip
            factories.channel(s, cid, name)
        factories.team(s, "Implementation", ["C1", "C2"])
        factories.team(s, "Support", ["C3"])
        factories.team(s, "Engineering", ["C4"])
        for at, contempt, people in [(W41, 2, 6), (W42, 8, 6), (W43, 5, 3)]:
            factories.observations(
                s,
                channel="C1",
                at=at,
                labels={"contempt": contempt, "constructive": 20 - contempt, "neutral": 5},
                authors=people,
                author_prefix="impl",
            )
        for at in (W41, W42, W43):
            factories.observations(
                s,
                channel="C3",
                at=at,
                labels={"contempt": 1, "positive": 9},
                authors=7,
                author_prefix="sup",
            )
            factories.observations(
                s,
                channel="C4",
                at=at,
                labels={"contempt": 3, "constructive": 27},
                authors=6,
                author_prefix="eng",
            )
    return database


def test_weekly_figures_for_the_workspace_teams_and_channels(weekly: Database) -> None:
    data = _report(weekly).as_json()
    assert [(w["week"], w["start"], w["end"]) for w in data["weeks"]] == [
        ("2026-W40", "2026-10-01", "2026-10-04"),
        ("2026-W41", "2026-10-05", "2026-10-11"),
        ("2026-W42", "2026-10-12", "2026-10-18"),
        ("2026-W43", "2026-10-19", "2026-10-25"),
        ("2026-W44", "2026-10-26", "2026-10-31"),
    ]
    w42 = _week(_report(weekly), "2026-W42")
    overall = w42["overall"]
    assert overall["messages_about_customers"] == 25 + 10 + 30
    assert overall["authors"] == 6 + 7 + 6
    assert overall["label_counts"]["contempt"] == 8 + 1 + 3
    assert overall["contempt_rate"] == pytest.approx(12 / 65, abs=1e-4)
    support = _team(w42, "Support")
    assert support["contempt_rate"] == pytest.approx(0.1) and support["authors"] == 7
    assert support["constructive_share"] == 0.0
    channel = next(c for c in w42["channels"] if c["channel"] == "#support")
    assert channel["team"] == "Support" and channel["messages_about_customers"] == 10
    # Against the week before: the organisation went from 6/65 to 12/65.
    assert overall["previous_contempt_rate"] == pytest.approx(6 / 65, abs=1e-4)
    assert overall["change"] == pytest.approx(6 / 65, abs=1e-4)
    # A week nobody wrote in has no team rows and no figures.
    w44 = _week(_report(weekly), "2026-W44")
    assert w44["teams"] == [] and w44["overall"]["contempt_rate"] is None


def _assert_nothing_can_be_worked_out(report: MonthlyReport) -> None:
    """Try every subtraction a reader could: a month minus its shown weeks, a week's
    organisation minus its shown teams, a team's week minus its shown channels. A week
    withheld alone among its group's or its siblings' would come out exactly."""
    for whole in [report.overall, *report.teams, *report.channels]:
        weeks = [
            row
            for week in report.weeks
            for row in week.rows()
            if (row.kind, row.key) == (whole.kind, whole.key) and row.cell.scored
        ]
        withheld = [row for row in weeks if row.suppressed]
        if whole.suppressed:
            assert withheld == weeks, f"{whole.name}: its shown weeks add up to its month"
        else:
            assert len(withheld) != 1, f"{whole.name}: its month minus its shown weeks"
    for week in report.weeks:
        for parent, children in [
            (week.overall, week.teams),
            *((t, [c for c in week.channels if c.team == t.name]) for t in week.teams),
        ]:
            withheld = [c for c in children if c.suppressed]
            if parent.suppressed:
                # Shown parts must not add up to it.
                assert withheld or not children, f"{week.week.label}: {parent.name}"
            else:
                assert len(withheld) != 1, f"{week.week.label}: {parent.name} minus the rest"


def test_a_week_below_the_minimum_group_is_withheld(weekly: Database) -> None:
    report = _report(weekly)
    w43 = _week(report, "2026-W43")
    implementation = _team(w43, "Implementation")
    assert implementation["suppressed"] and implementation["note"] == NOT_ENOUGH_PEOPLE
    assert implementation["contempt_rate"] is None and implementation["label_counts"] is None
    assert implementation["authors"] is None and implementation["messages_about_customers"] is None
    assert all(
        c["suppressed"] for c in w43["channels"] if c["team"] == "Implementation"
    )  # its channels hide with it
    # Within the week, the total minus Support would give Implementation away: the
    # smallest other team is withheld too, and the rest stay.
    assert _team(w43, "Engineering")["note"] == SUBTRACTED
    assert not _team(w43, "Support")["suppressed"]
    assert not w43["overall"]["suppressed"]
    _assert_nothing_can_be_worked_out(report)


def test_a_withheld_week_cannot_be_worked_out_from_its_month(weekly: Database) -> None:
    report = _report(weekly)
    month = next(t for t in report.teams if t.name == "Implementation")
    assert not month.suppressed and month.cell.label_counts["contempt"] == 15
    weeks = {w.week.label: w.team(month.key) for w in report.weeks}
    # October minus W41 minus W42 would be W43: one of them is withheld as well.
    assert weeks["2026-W43"].suppressed  # type: ignore[union-attr]
    also = [label for label in ("2026-W41", "2026-W42") if weeks[label].suppressed]  # type: ignore[union-attr]
    assert len(also) == 1 and weeks[also[0]].reason == SUBTRACTED  # type: ignore[union-attr]
    # ...which in turn protects Implementation inside that week.
    inside = next(w for w in report.weeks if w.week.label == also[0])
    assert sum(t.suppressed for t in inside.teams) >= 2 and not inside.overall.suppressed
    _assert_nothing_can_be_worked_out(report)


def test_a_team_withheld_for_the_month_is_withheld_every_week(weekly: Database) -> None:
    # With k = 7 Implementation and Engineering (6 people each) are withheld for the month.
    report = _report(weekly, k=7)
    withheld = {t.name for t in report.teams if t.suppressed}
    assert withheld == {"Implementation", "Engineering"}
    for week in report.as_json()["weeks"]:
        for team in week["teams"]:
            assert team["suppressed"] == (team["team"] in withheld), (week["week"], team)
    _assert_nothing_can_be_worked_out(report)


def test_a_team_withheld_only_to_protect_another_shows_no_week(database: Database) -> None:
    """Small (3 people) is withheld for October, so Steady (6) is withheld to protect it.
    Steady has 6 people in each of its two weeks: showing both weeks would add up to its
    withheld month."""
    with database.session() as s:
        for cid, name in [("C1", "small"), ("C2", "steady"), ("C3", "large")]:
            factories.channel(s, cid, name)
            factories.team(s, name.title(), [cid])
        factories.observations(
            s, channel="C1", at=W41, labels={"contempt": 5, "neutral": 5}, authors=3
        )
        for at in (W41, W42):
            for cid, people in [("C2", 6), ("C3", 8)]:
                factories.observations(
                    s,
                    channel=cid,
                    at=at,
                    labels={"contempt": 2, "constructive": 18},
                    authors=people,
                )
    report = _report(database)
    teams = {t.name: t for t in report.teams}
    assert teams["Steady"].reason == SUBTRACTED and not teams["Large"].suppressed
    steady = [w.team(teams["Steady"].key) for w in report.weeks]
    assert [w.authors for w in steady if w is not None] == [6, 6]
    assert all(w.suppressed for w in steady if w is not None)
    # Large, alone beside Steady in W42, is withheld there, and so in a second week.
    _assert_nothing_can_be_worked_out(report)
    assert not any(week.overall.suppressed for week in report.weeks if week.overall.cell.scored)


def test_a_week_that_is_its_whole_month_is_not_what_hides_another(database: Database) -> None:
    """In W41 Small (3 people) must hide behind a second team. Once (5) wrote only that
    week: its W41 figures are its October figures, shown in the month table, so hiding
    them would hide nothing; Steady is withheld instead, in W41 and so in W42 too."""
    with database.session() as s:
        for cid, name in [("C1", "small"), ("C2", "other"), ("C3", "once"), ("C4", "steady")]:
            factories.channel(s, cid, name)
            factories.team(s, name.title(), [cid])
        for cid, at, people in [("C1", W41, 3), ("C2", W42, 3), ("C3", W41, 5),
                                ("C4", W41, 6), ("C4", W42, 6)]:  # fmt: skip
            factories.observations(
                s, channel=cid, at=at, labels={"contempt": 2, "constructive": 18}, authors=people
            )
    report = _report(database)
    teams = {t.name: t for t in report.teams}
    assert teams["Small"].suppressed and teams["Other"].suppressed
    assert not teams["Once"].suppressed and not teams["Steady"].suppressed
    w41, w42 = report.weeks[1:3]
    once = w41.team(teams["Once"].key)
    assert once is not None and not once.suppressed and once.cell == teams["Once"].cell
    assert w41.team(teams["Steady"].key).suppressed  # type: ignore[union-attr]
    assert w42.team(teams["Steady"].key).suppressed  # type: ignore[union-attr]
    _assert_nothing_can_be_worked_out(report)


def test_a_week_with_no_team_left_to_hide_behind_is_withheld_whole(database: Database) -> None:
    """In W41 only Small (3 people) and Once (5, who wrote only that week, so its figures
    are in the month table) wrote: the organisation's W41 minus Once's October would be
    Small's, so the organisation's W41 is withheld, and with it another whole week."""
    with database.session() as s:
        for cid, name in [("C1", "small"), ("C2", "other"), ("C3", "once"), ("C4", "steady")]:
            factories.channel(s, cid, name)
            factories.team(s, name.title(), [cid])
        for cid, at, people in [("C1", W41, 3), ("C2", W42, 3), ("C3", W41, 5),
                                ("C4", W42, 6), ("C4", W43, 6)]:  # fmt: skip
            factories.observations(
                s, channel=cid, at=at, labels={"contempt": 2, "constructive": 18}, authors=people
            )
    report = _report(database)
    assert not report.overall.suppressed
    w41, w42, w43 = report.weeks[1:4]
    assert w41.overall.suppressed and w41.overall.reason == SUBTRACTED
    assert not w42.overall.suppressed and w43.overall.suppressed
    _assert_nothing_can_be_worked_out(report)


def test_weeks_of_a_month_withheld_to_protect_another_are_withheld(database: Database) -> None:
    """Steady's October is withheld so Small's cannot be worked out; Steady's two weeks
    (6 people each) would add up to it, so they are withheld too."""
    names = TeamDirectory("Quillon", {}, {"team:1": "Small", "team:2": "Steady"}, {})

    def row(key: str, people: int, *, kind: str = "team", reason: str | None = None) -> Row:
        cell = Cell(authors=people)
        cell.label_counts["constructive"] = people * 4
        made = Row(key=key, authors=people, messages=people * 4, kind=kind, cell=cell)
        if reason:
            made.withhold(reason)
        return made

    october = PeriodRows(
        row("overall", 30, kind="overall"),
        [row("team:1", 3, reason=NOT_ENOUGH_PEOPLE), row("team:2", 6, reason=SUBTRACTED),
         row("team:3", 21)],
        [],
    )  # fmt: skip
    weeks = [
        WeekRows(
            week, row("overall", 20, kind="overall"), [row("team:2", 6), row("team:3", 14)], []
        )
        for week in weeks_of(Month(2026, 10))[1:3]
    ]
    with database.session() as s:
        withhold_weeks(
            s, workspace_id="T1", month=october, weeks=weeks, names=names, zone=UTC_ZONE, k=5
        )
    assert [w.teams[0].suppressed for w in weeks] == [True, True]
    # Steady alone withheld in each week would be the total minus Large: Large goes too.
    assert all(w.teams[1].suppressed and not w.overall.suppressed for w in weeks)


@pytest.mark.parametrize("overlap", [False, True], ids=["different", "same"])
def test_withheld_weeks_are_judged_by_the_people_in_them(database: Database, overlap: bool) -> None:
    """W41 and W42 have 3 people each, withheld. If they are 6 different people, October
    minus W43 gives only their figures together, which is fine; if they are the same 3,
    W43 is withheld too."""
    with database.session() as s:
        factories.channel(s, "C1", "solo")
        factories.team(s, "Solo", ["C1"])
        for at, people, prefix in [(W41, 3, "a"), (W42, 3, "a" if overlap else "b"),
                                   (W43, 6, "c")]:  # fmt: skip
            factories.observations(
                s, channel="C1", at=at, labels={"contempt": 1, "neutral": 9}, authors=people,
                author_prefix=prefix,
            )  # fmt: skip
    report = _report(database)
    w43 = report.weeks[3]
    assert [row.suppressed for row in w43.rows()] == [overlap] * 3  # organisation, team, channel
    assert all(row.suppressed for week in report.weeks[1:3] for row in week.rows())
    _assert_nothing_can_be_worked_out(report)


@pytest.mark.parametrize("overlap", [False, True], ids=["different", "same"])
def test_withheld_channels_in_a_week_are_judged_by_the_people_in_them(
    database: Database, overlap: bool
) -> None:
    """In W42 #a and #b have 3 people each: together 6 different people, or the same 3, in
    which case #c is withheld that week too, or the team's W42 minus #c would give them."""
    with database.session() as s:
        for cid in ("C1", "C2", "C3"):
            factories.channel(s, cid, cid.lower())
        factories.team(s, "Implementation", ["C1", "C2", "C3"])
        for cid, at, people, prefix in [
            ("C1", W41, 6, "p1"), ("C2", W41, 6, "p2"), ("C3", W41, 6, "c"),
            ("C1", W42, 3, "p1"), ("C2", W42, 3, "p1" if overlap else "p2"), ("C3", W42, 6, "c"),
        ]:  # fmt: skip
            factories.observations(
                s, channel=cid, at=at, labels={"contempt": 1, "neutral": 9}, authors=people,
                author_prefix=prefix,
            )  # fmt: skip
    report = _report(database)
    w42 = {c.name: c for c in report.weeks[2].channels}
    assert w42["#c1"].suppressed and w42["#c2"].suppressed
    assert w42["#c3"].suppressed == overlap
    _assert_nothing_can_be_worked_out(report)


def test_the_first_week_is_compared_with_the_last_days_of_the_month_before(
    database: Database,
) -> None:
    with database.session() as s:
        factories.channel(s, "C3", "support")
        factories.team(s, "Support", ["C3"])
        for at, contempt in [(datetime(2026, 9, 29, 10, tzinfo=UTC), 1), (W41 - timedelta(4), 3)]:
            factories.observations(
                s,
                channel="C3",
                at=at,
                labels={"contempt": contempt, "constructive": 10 - contempt},
                authors=6,
            )
    september = _report(database, "2026-09").as_json()["weeks"][-1]
    assert (september["week"], september["days"]) == ("2026-W40", 3)
    assert september["overall"]["contempt_rate"] == pytest.approx(0.1)
    october = _report(database).as_json()["weeks"][0]
    assert (october["week"], october["days"]) == ("2026-W40", 4)
    assert october["overall"]["contempt_rate"] == pytest.approx(0.3)
    assert october["overall"]["previous_contempt_rate"] == pytest.approx(0.1)
    assert october["teams"][0]["change"] == pytest.approx(0.2)


def test_weeks_follow_the_configured_time_zone(database: Database) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 11 Oct 22:30 UTC is Monday 00:30 in Berlin: W42 there, W41 in UTC.
    late_sunday = datetime(2026, 10, 11, 22, 30, tzinfo=UTC)
    with database.session() as s:
        factories.channel(s, "C3", "support")
        factories.observations(
            s,
            channel="C3",
            at=late_sunday,
            labels={"contempt": 2, "neutral": 8},
            authors=5,
            spread=timedelta(minutes=10),
        )

    def counted(zone: ZoneInfo) -> dict[str, int | None]:
        # While October is under way nothing is kept, so each zone counts afresh.
        weeks = _report(database, zone=zone, now=datetime(2026, 10, 20, tzinfo=UTC))
        return {
            w["week"]: w["overall"]["messages_about_customers"] for w in weeks.as_json()["weeks"]
        }

    assert list(counted(UTC_ZONE)) == ["2026-W40", "2026-W41", "2026-W42", "2026-W43"]  # begun
    assert counted(UTC_ZONE)["2026-W41"] == 10 and counted(UTC_ZONE)["2026-W42"] is None
    assert counted(berlin)["2026-W42"] == 10 and counted(berlin)["2026-W41"] is None


def test_weeks_survive_retention_and_follow_new_observations(weekly: Database) -> None:
    before = _report(weekly).as_json()["weeks"]
    with weekly.session() as s:
        factories.observations(
            s, channel="C3", at=W42, labels={"contempt": 10}, authors=7, author_prefix="sup"
        )
    after = _week(_report(weekly), "2026-W42")
    assert _team(after, "Support")["label_counts"]["contempt"] == 11  # not a stale copy
    assert _team(_week(_report(weekly), "2026-W41"), "Support") == _team(before[1], "Support")
    with weekly.session() as s:
        s.execute(delete(Observation))  # retention purged the month
    kept = _week(_report(weekly), "2026-W42")
    assert _team(kept, "Support")["label_counts"]["contempt"] == 11


def test_the_works_council_profile_shows_weeks_by_team_only(database: Database) -> None:
    with database.session() as s:
        for cid, name in [("C1", "implementation"), ("C5", "ops"), ("C6", "random")]:
            factories.channel(s, cid, name)
        factories.team(s, "Implementation", ["C1"])
        for cid in ("C1", "C5", "C6"):
            factories.observations(
                s,
                channel=cid,
                at=W42,
                labels={"contempt": 3, "constructive": 27},
                authors=12,
                author_prefix=cid,
            )
    report = _report(database, k=10, team_level_only=True)
    text = json.dumps(report.as_json()["weeks"])
    assert "#ops" not in text and "#random" not in text and "C5" not in text
    w42 = _week(report, "2026-W42")
    assert "channels" not in w42
    pool = _team(w42, "Channels without a team")
    assert pool["authors"] == 24 and pool["contempt_rate"] == pytest.approx(0.1)


def test_every_format_shows_the_week_by_week_table(weekly: Database) -> None:
    report = _report(weekly)
    text = render(report, "text")
    table = text.split("Week by week")[1].split("\n\n")[0].splitlines()
    assert "W41 (5–11 Oct)" in table[0] and "W40 (1–4 Oct)" in table[0]
    implementation = next(line for line in table if line.startswith("Implementation"))
    support = next(line for line in table if line.startswith("Support"))
    assert implementation.count(NOT_ENOUGH_PEOPLE) == 2  # W43, and one week to protect it
    assert support.split()[1:] == ["–", "10.0%", "10.0%", "10.0%", "–"]
    assert next(line for line in table if line.startswith("Quillon")).count("%") == 3
    markdown = render(report, "markdown")
    assert "## Week by week" in markdown
    assert "| Support | – | 10.0% | 10.0% | 10.0% | – |" in markdown
    html = render(report, "html")
    weeks_html = html.split("<table class='weeks'>")[1].split("</table>")[0]
    assert "<td>Implementation</td>" in weeks_html
    assert weeks_html.count(f"<td class='withheld'>{NOT_ENOUGH_PEOPLE}</td>") >= 3


def test_one_teams_report_shows_that_teams_weeks(weekly: Database) -> None:
    report = only_team(_report(weekly), "Support")
    for week in report.as_json()["weeks"]:
        assert [t["team"] for t in week["teams"]] in ([], ["Support"])
        assert {c["channel"] for c in week["channels"]} <= {"#support"}
    text = render(report, "text").split("Week by week")[1]
    assert "Engineering" not in text and "Support" in text
