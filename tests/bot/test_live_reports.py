"""`/culture-report` and `/undertone team` in Slack, for the people allowed to use them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.db.engine import Database
from bot.settings import Settings
from tests import factories
from tests.bot.live import LiveApp, running
from tests.fake_slack import FakeSlack

LEADER, ADMIN, MANAGER, EMPLOYEE = "U0LEADER1", "U0ADMIN01", "U0MGR0001", "U0EMPLOY1"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def live(settings: Settings, database: Database, fake: FakeSlack) -> Iterator[LiveApp]:
    last_month = datetime.now(UTC).replace(day=1)
    at = datetime(
        last_month.year - (last_month.month == 1), (last_month.month - 2) % 12 + 1, 12, tzinfo=UTC
    )
    with database.session() as s:
        factories.channel(s, "C1", "implementation", workspace="T0TEST001")
        factories.channel(s, "C2", "support", workspace="T0TEST001")
        factories.team(s, "Implementation", ["C1"], [MANAGER], workspace="T0TEST001")
        factories.observations(
            s,
            channel="C1",
            at=at,
            labels={"contempt": 5, "constructive": 15},
            authors=6,
            workspace="T0TEST001",
        )
        factories.observations(
            s,
            channel="C2",
            at=at,
            labels={"contempt": 1, "positive": 9},
            authors=6,
            workspace="T0TEST001",
        )
    with running(settings, database, fake, leaders=[LEADER], admins=[ADMIN]) as app:
        yield app


def _report_reply(live: LiveApp, fake: FakeSlack, user: str, text: str = "") -> tuple[dict, list]:
    ack = live.command(text, user=user, command="/culture-report")
    replies = fake.calls_to("response_url")
    return ack, replies


def test_a_leader_gets_the_report_privately(live: LiveApp, fake: FakeSlack) -> None:
    ack = live.command("", user=LEADER, command="/culture-report")
    assert "Preparing" in ack["text"]
    [reply] = fake.wait_for("response_url")
    assert reply.params["response_type"] == "ephemeral"
    body = json.dumps(reply.params["blocks"])
    assert "Implementation" in body and "#support" in body


def test_a_manager_sees_only_their_team(live: LiveApp, fake: FakeSlack) -> None:
    live.command("", user=MANAGER, command="/culture-report")
    [reply] = fake.wait_for("response_url")
    body = json.dumps(reply.params["blocks"])
    assert "Implementation" in body and "#support" not in body
    refused = live.command("support", user=MANAGER, command="/culture-report")
    assert "for leaders, admins and the managers" in refused["text"]


def test_anyone_else_is_refused_politely_and_told_who_can_see_it(
    live: LiveApp, fake: FakeSlack
) -> None:
    refused = live.command("", user=EMPLOYEE, command="/culture-report")
    assert f"<@{LEADER}>" in refused["text"]
    assert fake.calls_to("response_url") == []


def test_a_bad_month_is_explained(live: LiveApp, fake: FakeSlack) -> None:
    live.command("2026-13", user=ADMIN, command="/culture-report")
    [reply] = fake.wait_for("response_url")
    assert "not a month" in reply.params["text"]


def test_admins_define_teams_from_slack(live: LiveApp) -> None:
    assert "admins" in live.command("team add Support", user=EMPLOYEE)["text"]
    assert "is ready" in live.command("team add Support", user=ADMIN)["text"]
    assert "now part of" in live.command("team channel Support <#C2|support>", user=ADMIN)["text"]
    assert (
        "now manages" in live.command("team manager Support <@U0MGR0002|sam>", user=ADMIN)["text"]
    )
    listing = live.command("team list", user=ADMIN)["text"]
    assert "*Support*: #support; managed by <@U0MGR0002>" in listing
    assert "*Implementation*: #implementation" in listing
    assert "gone" in live.command("team remove Support", user=ADMIN)["text"]


@pytest.mark.parametrize("scope", ["<#C1|implementation>", "#implementation", "implementation"])
def test_a_manager_may_ask_for_their_teams_channel(
    live: LiveApp, fake: FakeSlack, scope: str
) -> None:
    ack = live.command(scope, user=MANAGER, command="/culture-report")
    assert "Preparing" in ack["text"]
    [reply] = fake.wait_for("response_url")
    body = json.dumps(reply.params["blocks"])
    assert "Implementation" in body and "#support" not in body
    if scope.startswith(("<", "#")):
        assert "#implementation is part of Implementation" in body


def test_a_manager_is_refused_another_teams_channel(live: LiveApp, fake: FakeSlack) -> None:
    refused = live.command("<#C2|support>", user=MANAGER, command="/culture-report")
    assert "for leaders, admins and the managers" in refused["text"]
    assert fake.calls_to("response_url") == []


def test_an_unknown_channel_is_named_in_one_line(live: LiveApp, fake: FakeSlack) -> None:
    answer = live.command("#nowhere", user=LEADER, command="/culture-report")
    assert answer["text"] == "no team or channel called '#nowhere'"
    assert fake.calls_to("response_url") == []
