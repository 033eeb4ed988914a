"""Customer accounts: the list, mentions on observations, report rows, alerts, suggestions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.accounts.alerts import send_account_alerts
from bot.accounts.models import Account, AccountCandidate, ObservationAccount
from bot.accounts.service import import_csv, suggestions, upsert_account
from bot.db.engine import Database
from bot.errors import InputError
from bot.ingest.normalize import SlackMessage
from bot.ingest.pipeline import Pipeline
from bot.observations.service import MessageRef, forget_message
from bot.outbox.models import OutboxMessage
from bot.reports.month import Month
from bot.reports.render import to_text
from bot.reports.report import build_report
from bot.settings import Settings
from tests import factories
from tests.fakes import FakeClassifier

UTC_ZONE = ZoneInfo("UTC")
OCTOBER = datetime(2026, 10, 6, 10, tzinfo=UTC)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def teams(database: Database) -> Database:
    with database.session() as session:
        factories.channel(session, "C1", "implementation")
        factories.channel(session, "C2", "support")
        factories.channel(session, "C3", "halvorsen-rollout")
        factories.team(session, "Implementation", ["C1", "C3"], managers=["U0MANAGER1"])
        factories.team(session, "Support", ["C2"], managers=["U0MANAGER2"])
    return database


def test_csv_import_adds_then_updates_and_never_duplicates(teams: Database, tmp_path: Path) -> None:
    first = _csv(
        tmp_path,
        "name,aliases,owner_team,crm_id\n"
        "Halvorsen Freight,Halvorsen;HF,Implementation,CRM-1\n"
        "Globex,,,\n",
    )
    with teams.session() as session:
        result = import_csv(session, workspace_id="T1", path=first)
    assert (result.created, result.updated, result.errors) == (2, 0, [])
    with teams.session() as session:
        again = import_csv(session, workspace_id="T1", path=first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # Renamed in the CRM: the CRM id keeps it the same account; aliases follow the file.
    renamed = _csv(tmp_path, "name,aliases,crm_id\nHalvorsen Freight AS,HF,CRM-1\n")
    with teams.session() as session:
        result = import_csv(session, workspace_id="T1", path=renamed)
        accounts = {a.name: a for a in session.scalars(select(Account))}
        assert result.updated == 1
        assert sorted(accounts) == ["Globex", "Halvorsen Freight AS"]
        halvorsen = accounts["Halvorsen Freight AS"]
        assert [a.alias for a in halvorsen.aliases] == ["HF"]
        assert halvorsen.owner_team_id is not None  # an empty column keeps the owner


def test_csv_errors_name_the_line_and_good_lines_still_load(
    teams: Database, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "name,aliases,owner_team\n"
        "Initech,,\n"
        ",Nameless,\n"
        "Umbrella,,Marketing\n"
        "initech,,\n"
        "Contoso,,Support,extra\n"
        "Acme,Acme Corp,Support\n",
    )
    with teams.session() as session:
        result = import_csv(session, workspace_id="T1", path=path)
    assert result.errors == [
        "line 3: the name is empty",
        "line 4: no team called 'Marketing' (teams: implementation, support)",
        "line 5: 'initech' is already on line 2",
        "line 6: more fields than the header has columns",
    ]
    with teams.session() as session:
        assert sorted(a.name for a in session.scalars(select(Account))) == ["Acme", "Initech"]


def test_an_unclosed_quote_is_one_bad_line_not_a_name_swallowing_the_rest(
    teams: Database, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "name,aliases\r\n"
        "Initech,\r\n"
        '"Bad,quote\r\n'
        "Globex,GX\r\n"
        '"Umbrella"s,\r\n'
        "Hooli\u2028Corp,\r\n"
        '"Acme, Inc.",Acme\r\n',
    )
    with teams.session() as session:
        result = import_csv(session, workspace_id="T1", path=path)
    assert result.errors == [
        'line 3: a quote (") is opened and not closed on this line; a value cannot span lines',
        "line 5: not valid CSV (',' expected after '\"')",
        "line 6: the name holds a line break or control character",
    ]
    with teams.session() as session:
        names = sorted(a.name for a in session.scalars(select(Account)))
    assert names == ["Acme, Inc.", "Globex", "Initech"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("account,aliases\nAcme,\n", "must name the columns, at least `name`"),
        ('"name,aliases\nAcme,\n', "line 1: a quote"),
        ("name,region\nAcme,EU\n", r"unknown column\(s\) region"),
    ],
)
def test_a_csv_without_the_right_header_is_refused_whole(
    teams: Database, tmp_path: Path, content: str, message: str
) -> None:
    with teams.session() as session, pytest.raises(InputError, match=message):
        import_csv(session, workspace_id="T1", path=_csv(tmp_path, content))


def _pipeline(database: Database, settings: Settings) -> Pipeline:
    return Pipeline(database=database, classifier=FakeClassifier(), settings=settings)


def _ts(moment: datetime, n: int) -> str:
    return f"{moment.timestamp():.0f}.{n:06d}"


def test_the_pipeline_stores_which_accounts_a_message_names_and_no_text(
    teams: Database, settings: Settings
) -> None:
    with teams.session() as session:
        upsert_account(
            session, workspace_id="T1", name="Halvorsen Freight", aliases=["HF", "Halvorsen"]
        )
        upsert_account(session, workspace_id="T1", name="Globex")
    pipeline = _pipeline(teams, settings)
    messages = [
        SlackMessage("C1", _ts(OCTOBER, 1), "U1", "halvorsen freight's admins are idiots"),
        SlackMessage("C1", _ts(OCTOBER, 2), "U2", "ugh, HF and <https://globex.com|Globex> again"),
        SlackMessage("C2", _ts(OCTOBER, 3), "U3", "renewal call moved to thursday"),
        SlackMessage("C3", _ts(OCTOBER, 4), "U4", "renewal call moved to thursday"),
    ]
    pipeline.process(messages, workspace_id="T1")
    with teams.session() as session:
        names = {a.id: a.name for a in session.scalars(select(Account))}
        links = sorted(
            (link.message_ts[-1], names[link.account_id])
            for link in session.scalars(select(ObservationAccount))
        )
    assert links == [
        ("1", "Halvorsen Freight"),
        ("2", "Globex"),
        ("2", "Halvorsen Freight"),
        ("4", "Halvorsen Freight"),  # #halvorsen-rollout is about the account
    ]
    # An edit that no longer names an account drops the link; a deletion drops them all.
    pipeline.process(
        [SlackMessage("C1", _ts(OCTOBER, 1), "U1", "ugh the import broke")], workspace_id="T1"
    )
    with teams.session() as session:
        forget_message(session=session, ref=MessageRef("T1", "C1", _ts(OCTOBER, 2)))
    with teams.session() as session:
        left = sorted(link.message_ts[-1] for link in session.scalars(select(ObservationAccount)))
    assert left == ["4"]


def _account_month(
    database: Database, settings: Settings, *, name: str, authors: int, contempt: int, rest: int,
    at: datetime, channel: str = "C1", first: int = 0,
) -> None:  # fmt: skip
    texts = ["idiots at {n}"] * contempt + ["ugh {n} again"] * rest
    messages = [
        SlackMessage(
            channel,
            _ts(at + timedelta(minutes=i), first + i),
            f"U{name[:3].upper()}{i % authors}",
            text.format(n=name),
        )
        for i, text in enumerate(texts)
    ]
    _pipeline(database, settings).process(messages, workspace_id="T1")


def test_account_rows_keep_the_minimum_group_and_say_what_to_do(
    teams: Database, settings: Settings
) -> None:
    with teams.session() as session:
        team_id = session.scalar(select(Account.id))  # none yet
        assert team_id is None
        upsert_account(session, workspace_id="T1", name="Halvorsen Freight", aliases=["Halvorsen"])
        upsert_account(session, workspace_id="T1", name="Globex")
    # Halvorsen: 6 people, a third of it contempt. Globex: only 4 people.
    _account_month(teams, settings, name="Halvorsen", authors=6, contempt=10, rest=20, at=OCTOBER)
    _account_month(
        teams, settings, name="Globex", authors=4, contempt=10, rest=2, at=OCTOBER, first=100
    )
    with teams.session() as session:
        report = build_report(
            session, workspace_id="T1", month=Month(2026, 10), min_group=5, zone=UTC_ZONE,
            now=datetime(2026, 11, 2, tzinfo=UTC),
        )  # fmt: skip
    rows = {row["account"]: row for row in report.as_json()["accounts"]}
    assert rows["Globex"]["suppressed"] is True
    assert rows["Globex"]["contempt_rate"] is None
    assert rows["Globex"]["messages_about_customers"] is None
    halvorsen = rows["Halvorsen Freight"]
    assert halvorsen["suppressed"] is False
    assert halvorsen["contempt_rate"] == pytest.approx(10 / 30, abs=1e-4)
    assert halvorsen["teams"] == ["Implementation"]
    # Same fields as a channel row, plus the account's own.
    channel_row = report.as_json()["channels"][0]
    assert set(channel_row) - {"channel", "team"} <= set(halvorsen)
    assert report.as_json()["accounts_drawing_contempt"] == ["Halvorsen Freight"]
    text = to_text(report)
    assert "Accounts drawing the most contempt" in text
    assert "Halvorsen Freight: 33.3% contempt in 30 messages" in text
    assert "Globex" not in text.split("Accounts drawing")[1]


def test_frustration_turning_into_contempt_is_an_early_warning(
    teams: Database, settings: Settings
) -> None:
    with teams.session() as session:
        upsert_account(session, workspace_id="T1", name="Kestrel Air", aliases=["Kestrel"])
    september = datetime(2026, 9, 8, 10, tzinfo=UTC)
    _account_month(teams, settings, name="Kestrel", authors=6, contempt=1, rest=29, at=september)
    _account_month(
        teams, settings, name="Kestrel", authors=6, contempt=8, rest=22, at=OCTOBER, first=100
    )
    with teams.session() as session:
        report = build_report(
            session, workspace_id="T1", month=Month(2026, 10), min_group=5, zone=UTC_ZONE,
            now=datetime(2026, 11, 2, tzinfo=UTC),
        )  # fmt: skip
    assert [a.name for a in report.accounts_turning()] == ["Kestrel Air"]
    assert "Early warning: frustration turning into contempt" in to_text(report)
    assert "Agree a plan for Kestrel Air" in report.accounts_turning()[0].action


def test_the_owner_teams_managers_hear_when_contempt_about_an_account_jumps(
    teams: Database, settings: Settings
) -> None:
    now = datetime(2026, 10, 30, 12, tzinfo=UTC)
    with teams.session() as session:
        team_id = session.scalar(select(factories.Team.id).where(factories.Team.name == "Support"))
        upsert_account(session, workspace_id="T1", name="Kestrel Air", aliases=["Kestrel"])
        session.scalars(select(Account)).one().owner_team_id = team_id
    for week in range(2, 9):  # eight quiet weeks: 1 in 20 is contempt
        _account_month(
            teams, settings, name="Kestrel", authors=6, contempt=1, rest=19,
            at=now - timedelta(weeks=week), first=week * 100,
        )  # fmt: skip
    _account_month(
        teams, settings, name="Kestrel", authors=6, contempt=12, rest=18,
        at=now - timedelta(days=2), first=5000,
    )  # fmt: skip
    with teams.session() as session:
        sent = send_account_alerts(session, workspace_id="T1", now=now, min_group=5, zone=UTC_ZONE)
        again = send_account_alerts(
            session, workspace_id="T1", now=now + timedelta(hours=1), min_group=5, zone=UTC_ZONE
        )
    assert [c.name for c in sent] == ["Kestrel Air"] and again == []
    with teams.session() as session:
        [dm] = session.scalars(select(OutboxMessage)).all()
    assert dm.payload["channel"] == "U0MANAGER2"
    text = json.dumps(dm.payload)
    assert "Kestrel Air" in text and "40% of 30 messages" in text
    assert "U1" not in dm.payload["text"]  # numbers, never names


def test_no_account_alert_for_a_quiet_week_or_too_few_people(
    teams: Database, settings: Settings
) -> None:
    now = datetime(2026, 10, 30, 12, tzinfo=UTC)
    with teams.session() as session:
        upsert_account(session, workspace_id="T1", name="Kestrel Air", aliases=["Kestrel"])
        session.scalars(select(Account)).one().owner_team_id = 1
    _account_month(
        teams, settings, name="Kestrel", authors=6, contempt=2, rest=38,
        at=now - timedelta(weeks=4),
    )  # fmt: skip
    # A bad week, but from only three people: not enough to say anything.
    _account_month(
        teams, settings, name="Kestrel", authors=3, contempt=15, rest=15,
        at=now - timedelta(days=2), first=500,
    )  # fmt: skip
    with teams.session() as session:
        assert (
            send_account_alerts(session, workspace_id="T1", now=now, min_group=5, zone=UTC_ZONE)
            == []
        )


def test_names_seen_often_are_suggested_never_added(teams: Database, settings: Settings) -> None:
    pipeline = _pipeline(teams, settings)
    texts = [
        "ugh the dunmore freight people sent the wrong file again",
        "let's offer a training session to the Dunmore Freight admins",
        "ugh dunmore freight ops changed the format",
        "renewal call with Dunmore Freight moved to friday",
        "let's offer dunmore freight users a sandbox",
        "ugh the kestrel people again",
    ]
    pipeline.process(
        [SlackMessage("C1", _ts(OCTOBER, i), f"U{i % 4}", t) for i, t in enumerate(texts)],
        workspace_id="T1",
    )
    with teams.session() as session:
        found = suggestions(session, workspace_id="T1")
        assert [(s.name.lower(), s.mentions, s.people) for s in found] == [
            ("dunmore freight", 5, 4)
        ]
        assert _count(teams, Account) == 0
        # A name only one person used once is kept as a keyed hash, never as words.
        stored = [c.name for c in session.scalars(select(AccountCandidate))]
        assert None in stored and not any("kestrel" in (n or "").lower() for n in stored)
        upsert_account(session, workspace_id="T1", name="Dunmore Freight")
    with teams.session() as session:
        assert suggestions(session, workspace_id="T1") == []
    assert _count(teams, AccountCandidate) >= 1


def test_suggested_actions_read_well_for_names_ending_in_s() -> None:
    from bot.accounts.report import possessive

    assert possessive("Kinsale Networks") == "Kinsale Networks'"
    assert possessive("Acme") == "Acme's"


def _talked_about_in(database: Database, *, team_level_only: bool) -> tuple[list[str], str]:
    with database.session() as session:
        report = build_report(
            session, workspace_id="T1", month=Month(2026, 10), min_group=5, zone=UTC_ZONE,
            now=datetime(2026, 11, 2, tzinfo=UTC), team_level_only=team_level_only,
        )  # fmt: skip
    row = next(a for a in report.as_json()["accounts"] if a["account"] == "Halvorsen Freight")
    return row["teams"], json.dumps(report.as_json()) + to_text(report)


@pytest.mark.parametrize("lone_channels", [["C5", "C6"], ["C5"]])
def test_works_council_reports_name_teams_not_channels_where_accounts_come_up(
    teams: Database, settings: Settings, lone_channels: list[str]
) -> None:
    with teams.session() as session:
        factories.channel(session, "C5", "ops")
        factories.channel(session, "C6", "random")
        upsert_account(session, workspace_id="T1", name="Halvorsen Freight", aliases=["Halvorsen"])
    for n, channel in enumerate(["C1", *lone_channels]):
        _account_month(
            teams, settings, name="Halvorsen", authors=6, contempt=10, rest=20, at=OCTOBER,
            channel=channel, first=100 * n,
        )  # fmt: skip
    # By default a channel in no team is its own team, named as the report names it.
    named, _ = _talked_about_in(teams, team_level_only=False)
    names = {"C5": "#ops", "C6": "#random"}
    assert set(named) == {"Implementation", *(names[c] for c in lone_channels)}
    named, everything = _talked_about_in(teams, team_level_only=True)
    if len(lone_channels) == 2:
        assert sorted(named) == ["Channels without a team", "Implementation"]
    else:
        # One channel pooled alone would be that channel under another name.
        assert named == ["Implementation"]
    for channel, name in [("C5", "ops"), ("C6", "random")]:
        assert f"#{channel}" not in everything and f"#{name}" not in everything


def test_a_name_with_a_line_break_is_refused_however_it_is_added(teams: Database) -> None:
    from bot.accounts.commands import account_command

    with teams.session() as session:
        with pytest.raises(InputError, match="line break or control character"):
            upsert_account(session, workspace_id="T1", name="Acme\nCorp")
        with pytest.raises(InputError, match="line break or control character"):
            upsert_account(session, workspace_id="T1", name="Acme", aliases=["AC\x07ME"])
        reply = account_command(session, workspace_id="T1", text="add Acme aka AC\u2028ME")
        assert reply.startswith("That name can't be used")
    with teams.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0
