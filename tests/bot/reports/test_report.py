"""The monthly report: numbers from SQL, and no number about fewer than k people."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.db.engine import Database
from bot.errors import InputError
from bot.reports.month import Month
from bot.reports.render import render, to_blocks
from bot.reports.report import Row, build_report, only_team
from bot.reports.suppression import (
    NOT_ENOUGH_PEOPLE,
    Suppressible,
    apply_minimum,
    protect_by_subtraction,
)
from tests import factories

UTC_ZONE = ZoneInfo("UTC")
OCT = datetime(2026, 10, 14, 10, tzinfo=UTC)
SEP = datetime(2026, 9, 15, 10, tzinfo=UTC)
NOW = datetime(2026, 11, 3, 12, tzinfo=UTC)


@pytest.fixture
def quillon(database: Database) -> Database:
    """Four teams and a lone channel, over September and October 2026."""
    with database.session() as s:
        for cid, name in [
            ("C1", "implementation"),
            ("C2", "halvorsen-rollout"),
            ("C3", "support"),
            ("C4", "eng"),
            ("C5", "general"),
        ]:
            factories.channel(s, cid, name)
        factories.team(s, "Implementation", ["C1", "C2"], ["U0MGR0001"])
        factories.team(s, "Support", ["C3"], ["U0MGR0002"])
        factories.team(s, "Engineering", ["C4"])
        # October
        factories.observations(
            s,
            channel="C1",
            at=OCT,
            labels={"contempt": 10, "constructive": 30, "neutral": 10, "not_customer": 5},
            authors=6,
            author_prefix="impl",
        )
        factories.observations(
            s,
            channel="C2",
            at=OCT,
            labels={"contempt": 8, "frustration": 10, "constructive": 12},
            authors=4,
            author_prefix="impl",
        )
        factories.observations(
            s,
            channel="C3",
            at=OCT,
            labels={"contempt": 1, "constructive": 9, "positive": 10},
            authors=7,
            author_prefix="sup",
        )
        factories.observations(
            s,
            channel="C4",
            at=OCT,
            labels={"constructive": 14, "contempt": 1},
            authors=3,
            author_prefix="eng",
        )
        factories.observations(
            s,
            channel="C5",
            at=OCT,
            labels={"neutral": 10, "contempt": 2, "not_customer": 30},
            authors=5,
            author_prefix="all",
        )
        factories.observations(
            s,
            channel="C3",
            at=OCT,
            labels={"contempt": 3},
            authors=3,
            supported=False,
            author_prefix="sup",
        )
        # September
        factories.observations(
            s,
            channel="C1",
            at=SEP,
            labels={"contempt": 4, "constructive": 40, "neutral": 6},
            authors=6,
            author_prefix="impl",
        )
        factories.observations(
            s,
            channel="C2",
            at=SEP,
            labels={"contempt": 2, "constructive": 18},
            authors=5,
            author_prefix="impl",
        )
        factories.observations(
            s,
            channel="C3",
            at=SEP,
            labels={"contempt": 4, "constructive": 16},
            authors=7,
            author_prefix="sup",
        )
    return database


def _report(database: Database, month: str = "2026-10", k: int = 5):  # type: ignore[no-untyped-def]
    with database.session() as s:
        return build_report(
            s, workspace_id="T1", month=Month.parse(month), min_group=k, zone=UTC_ZONE, now=NOW
        )


def test_figures_per_team_and_channel(quillon: Database) -> None:
    report = _report(quillon)
    teams = {t.name: t for t in report.teams}
    assert set(teams) == {"Implementation", "Support", "Engineering", "#general"}
    implementation = teams["Implementation"]
    assert implementation.cell.about_customers == 80
    assert implementation.cell.label_counts["contempt"] == 18
    assert implementation.cell.authors == 6
    assert implementation.contempt_rate == pytest.approx(18 / 80)
    assert implementation.previous_contempt_rate == pytest.approx(6 / 70)
    assert implementation.change == pytest.approx(18 / 80 - 6 / 70)
    support = teams["Support"]
    assert support.cell.about_customers == 20  # the 3 messages in other languages are not scored
    assert report.overall.cell.authors == 21
    assert report.unsupported_share == pytest.approx(3 / (55 + 30 + 20 + 15 + 42 + 3))


def test_small_groups_are_withheld_and_cannot_be_worked_out(quillon: Database) -> None:
    report = _report(quillon)
    teams = {t.name: t for t in report.teams}
    channels = {c.name: c for c in report.channels}
    # Engineering has 3 people: withheld. #general (5) is withheld too, or the total minus
    # the other teams would give Engineering away.
    assert teams["Engineering"].suppressed
    assert teams["#general"].suppressed
    assert not teams["Implementation"].suppressed and not teams["Support"].suppressed
    # #halvorsen-rollout has 4 people: withheld, and so is #implementation, or the
    # Implementation total minus #implementation would give it away.
    assert channels["#halvorsen-rollout"].suppressed and channels["#implementation"].suppressed
    assert not channels["#support"].suppressed
    # Every withheld group hides inside a withheld set of at least two, covering >= k people.
    withheld = [t for t in report.teams if t.suppressed]
    assert len(withheld) >= 2 and sum(t.cell.authors for t in withheld) >= 5
    data = report.as_json()
    for row in data["teams"] + data["channels"]:
        if row["suppressed"]:
            assert row["messages_about_customers"] is None and row["contempt_rate"] is None
            assert row["authors"] is None and row["label_counts"] is None
            assert row["note"].startswith("not enough people to report")


def test_json_shape_is_the_stable_contract(quillon: Database) -> None:
    data = json.loads(render(_report(quillon), "json"))
    assert {"month", "min_group", "overall", "teams", "channels"} <= set(data)
    assert data["month"] == "2026-10" and data["min_group"] == 5
    for row in [data["overall"], *data["teams"], *data["channels"]]:
        assert {
            "messages_about_customers",
            "authors",
            "label_counts",
            "contempt_rate",
            "previous_contempt_rate",
            "suppressed",
        } <= set(row)
    for row in data["channels"]:
        assert "channel" in row and "team" in row
    for row in data["teams"]:
        assert "team" in row


def test_a_higher_minimum_withholds_more(quillon: Database) -> None:
    report = _report(quillon, k=7)
    assert [t.name for t in report.teams if not t.suppressed] == ["Support"]
    assert not report.overall.suppressed
    assert report.overall.contempt_rate is not None


def test_every_format_renders_without_leaking_withheld_numbers(quillon: Database) -> None:
    report = _report(quillon)
    for fmt in ("text", "markdown", "html", "json"):
        output = render(report, fmt, chart_png=b"\x89PNG" if fmt == "html" else None)
        assert "Engineering" in output
        assert "not enough people to report" in output
    text = render(report, "text")
    assert "22.5%" in text  # Implementation: 18 of 80
    assert "In October 2026" in text


def test_a_month_with_no_data_is_clear(quillon: Database) -> None:
    report = _report(quillon, "2026-03")
    assert not report.has_data
    assert "Nothing was observed in March 2026" in render(report, "text")


@pytest.mark.parametrize("text", ["2026-13", "October", "26-10", ""])
def test_unknown_months_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="not a month"):
        Month.parse(text)


def test_a_future_month_is_refused(quillon: Database) -> None:
    with pytest.raises(InputError, match="has not started"):
        _report(quillon, "2027-01")


def test_one_team_view(quillon: Database) -> None:
    report = only_team(_report(quillon), "implementation")
    assert [t.name for t in report.teams] == ["Implementation"]
    assert {c.name for c in report.channels} == {"#implementation", "#halvorsen-rollout"}
    with pytest.raises(InputError, match="no team or channel called 'finance'"):
        only_team(report, "finance")


@pytest.mark.parametrize(
    "reference",
    ["#halvorsen-rollout", "<#C2|halvorsen-rollout>", "<#C2|>", "halvorsen-rollout", "#C2"],
)
def test_a_channel_in_a_team_gives_that_teams_report_and_says_so(
    quillon: Database, reference: str
) -> None:
    report = only_team(_report(quillon), reference)
    assert [t.name for t in report.teams] == ["Implementation"]
    assert {c.name for c in report.channels} == {"#implementation", "#halvorsen-rollout"}
    assert report.scope_note == (
        "#halvorsen-rollout is part of Implementation, so this is Implementation's report."
    )
    for fmt in ("text", "markdown", "html", "json"):
        assert "#halvorsen-rollout is part of Implementation" in render(report, fmt)
    slack = json.dumps(to_blocks(report))
    assert "#halvorsen-rollout is part of Implementation" in slack
    assert "  #halvorsen-rollout" in slack  # its own row, under its team's


def test_a_channel_without_a_team_is_its_own_team(quillon: Database) -> None:
    report = only_team(_report(quillon), "<#C5|general>")
    assert [t.name for t in report.teams] == ["#general"] and report.scope_note is None


def test_the_trend_covers_twelve_months(quillon: Database) -> None:
    report = _report(quillon)
    assert [str(p.month) for p in report.trend][-2:] == ["2026-09", "2026-10"]
    assert len(report.trend) == 12
    assert report.trend[-1].teams["Implementation"] == pytest.approx(18 / 80)
    assert report.trend[-1].teams["Engineering"] is None


def _rows(*authors: int) -> list[Suppressible]:
    return [Suppressible(key=str(i), authors=a, messages=a * 10) for i, a in enumerate(authors)]


def test_protection_withholds_the_smallest_sibling() -> None:
    children = _rows(3, 12, 6, 9)
    apply_minimum(children, 5)
    protect_by_subtraction(True, children, 5)
    assert [c.suppressed for c in children] == [True, False, True, False]


def test_protection_keeps_going_until_the_withheld_cover_k_people() -> None:
    children = _rows(1, 5, 6, 20)
    apply_minimum(children, 10)
    protect_by_subtraction(True, children, 10)
    withheld = [c for c in children if c.suppressed]
    assert len(withheld) >= 2 and sum(c.authors for c in withheld) >= 10


def test_no_protection_needed_when_the_parent_is_withheld_or_nothing_is() -> None:
    children = _rows(3, 12)
    apply_minimum(children, 5)
    protect_by_subtraction(False, children, 5)
    assert [c.suppressed for c in children] == [True, False]
    children = _rows(7, 12)
    apply_minimum(children, 5)
    protect_by_subtraction(True, children, 5)
    assert not any(c.suppressed for c in children)


def _two_small_and_one_large(database: Database, *, teams: bool, overlap: bool) -> dict[str, Row]:
    """#a is written by 2 people, #b by 3 (with `overlap`, 2 of them also write in #a), #c
    by 6 others.

    Counted row by row, the withheld #a and #b cover 2 + 3 = 5 people; counted as people,
    only 3 when they overlap. With `teams`, each channel is its own team; otherwise all
    three are one team.
    """
    with database.session() as s:
        for cid, name in [("C1", "a"), ("C2", "b"), ("C3", "c")]:
            factories.channel(s, cid, name)
        if not teams:
            factories.team(s, "Implementation", ["C1", "C2", "C3"])
        for cid, authors, prefix in [
            ("C1", 2, "pair"),
            ("C2", 3, "pair" if overlap else "trio"),
            ("C3", 6, "others"),
        ]:
            factories.observations(
                s,
                channel=cid,
                at=OCT,
                labels={"contempt": 4, "constructive": 16},
                authors=authors,
                author_prefix=prefix,
            )
    report = _report(database)
    rows = report.teams if teams else report.channels
    return {r.name: r for r in rows}


@pytest.mark.parametrize("teams", [False, True], ids=["channels", "teams"])
def test_overlapping_authors_count_once_when_judging_what_subtraction_reveals(
    database: Database, teams: bool
) -> None:
    rows = _two_small_and_one_large(database, teams=teams, overlap=True)
    assert rows["#a"].suppressed and rows["#b"].suppressed
    # The total minus #c would be the figures of the same 3 people: #c is withheld too.
    assert rows["#c"].suppressed
    assert rows["#c"].reason == NOT_ENOUGH_PEOPLE + (
        " (withheld so a smaller group cannot be worked out)"
    )


@pytest.mark.parametrize("teams", [False, True], ids=["channels", "teams"])
def test_withheld_rows_by_five_different_people_need_no_second_cell(
    database: Database, teams: bool
) -> None:
    rows = _two_small_and_one_large(database, teams=teams, overlap=False)
    assert rows["#a"].suppressed and rows["#b"].suppressed
    assert not rows["#c"].suppressed and rows["#c"].contempt_rate == pytest.approx(0.2)


def test_the_largest_withheld_row_is_the_fallback_when_people_cannot_be_counted() -> None:
    # Without a count over the union, {2, 3} might be 3 people: never assume 5.
    children = _rows(2, 3, 6)
    apply_minimum(children, 5)
    protect_by_subtraction(True, children, 5)
    assert [c.suppressed for c in children] == [True, True, True]
    children = _rows(2, 3, 6)
    apply_minimum(children, 5)
    protect_by_subtraction(True, children, 5, authors_of=lambda rows: 5)
    assert [c.suppressed for c in children] == [True, True, False]


def _works_council(database: Database, *, overlap: bool):  # type: ignore[no-untyped-def]
    """Implementation (12 people) and two channels in no team, #ops and #random, with 6
    people each: 12 different people, or (with `overlap`) the same 6 in both."""
    from bot.settings import Settings

    strict = Settings(_env_file=None, profile="works-council")  # type: ignore[call-arg]
    with database.session() as s:
        for cid, name in [("C1", "implementation"), ("C5", "ops"), ("C6", "random")]:
            factories.channel(s, cid, name)
        factories.team(s, "Implementation", ["C1"])
        for cid, prefix in [("C1", "impl"), ("C5", "ops"), ("C6", "ops" if overlap else "rnd")]:
            factories.observations(
                s,
                channel=cid,
                at=OCT,
                labels={"contempt": 3, "constructive": 27},
                authors=12 if cid == "C1" else 6,
                author_prefix=prefix,
            )
        return build_report(
            s,
            workspace_id="T1",
            month=Month.parse("2026-10"),
            min_group=strict.min_group,
            zone=UTC_ZONE,
            now=NOW,
            team_level_only=strict.team_level_only,
        )


def test_the_works_council_profile_never_shows_a_channel_on_its_own(database: Database) -> None:
    report = _works_council(database, overlap=False)
    teams = {t.name: t for t in report.teams}
    assert set(teams) == {"Implementation", "Channels without a team"}
    pool = teams["Channels without a team"]
    assert not pool.suppressed and pool.cell.authors == 12  # 6 + 6 different people
    assert pool.cell.about_customers == 60 and pool.contempt_rate == pytest.approx(0.1)
    assert report.channels == []
    for fmt in ("text", "markdown", "html", "json"):
        output = render(report, fmt)
        assert "#ops" not in output and "#random" not in output
    assert "#ops" not in json.dumps(to_blocks(report))


def test_channels_without_a_team_are_pooled_by_distinct_people(database: Database) -> None:
    report = _works_council(database, overlap=True)
    teams = {t.name: t for t in report.teams}
    # The same 6 people wrote in both: fewer than the profile's 10, so the pool is withheld,
    # and so is Implementation, or the total minus Implementation would give it away.
    assert teams["Channels without a team"].suppressed
    assert teams["Implementation"].suppressed
    assert not report.overall.suppressed


def test_one_channel_without_a_team_is_not_shown_under_another_name(quillon: Database) -> None:
    with quillon.session() as s:
        report = build_report(
            s,
            workspace_id="T1",
            month=Month.parse("2026-10"),
            min_group=5,
            zone=UTC_ZONE,
            now=NOW,
            team_level_only=True,
        )
    teams = {t.name: t for t in report.teams}
    assert set(teams) == {"Implementation", "Support", "Engineering", "Channels without a team"}
    assert teams["Channels without a team"].suppressed  # it would be #general's figures
    assert "#general" not in render(report, "json")
    with pytest.raises(InputError, match="#general is in no team, and reports here cover teams"):
        only_team(report, "#general")
