"""Governance: dry run, the kill switch, caps, the audit log, who sees what, retention."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.feedback.models import Feedback
from bot.governance.models import AuditEntry, SendCounter
from bot.governance.retention import erase_person, purge_expired
from bot.governance.service import set_controls
from bot.governance.transparency import who_sees_what
from bot.ingest.models import PendingMessage
from bot.nudges.models import Nudge
from bot.observations.models import Observation
from bot.outbox.models import OutboxMessage
from bot.outbox.service import OutboxSender, enqueue
from bot.preferences import service as preferences
from bot.preferences.models import UserPreference
from bot.privacy import author_key
from bot.settings import Settings
from tests import factories
from tests.bot.governance.outbox_process import drain_outbox
from tests.bot.live import CHANNEL, TEAM, LiveApp, running, wait_until
from tests.fake_slack import BOT_USER_ID, FakeSlack

ADMIN = "U0ADMIN01"
LEADER = "U0LEADER1"
CONTEMPT = "honestly the acme people are idiots"


def _count(database: Database, model: type, *where: object) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def _actions(database: Database) -> list[str]:
    with database.session() as session:
        return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def fresh(settings: Settings, database: Database, fake: FakeSlack) -> Iterator[LiveApp]:
    """An install as it comes: the settings' own dry-run default, untouched."""
    fresh_settings = settings.model_copy(
        update={"dry_run": Settings.model_fields["dry_run"].default}
    )
    with running(fresh_settings, database, fake, admins=[ADMIN], leaders=[LEADER]) as app:
        yield app


def test_a_fresh_install_sends_nothing_until_an_admin_goes_live(
    fresh: LiveApp, fake: FakeSlack, database: Database
) -> None:
    assert fresh.undertone.services.settings.dry_run is True
    join = {"type": "member_joined_channel", "user": BOT_USER_ID, "channel": CHANNEL,
            "channel_type": "C", "team": TEAM}  # fmt: skip
    assert fresh.event(join) == 200
    assert fresh.message(CONTEMPT, ts="1767000000.000001", user="U0AUTHOR1") == 200
    wait_until(lambda: _count(database, OutboxMessage, OutboxMessage.status == "dry_run") == 2)
    fresh.settle()
    assert _count(database, Observation) == 1  # it still classifies and counts
    assert fake.calls_to("chat.postEphemeral") == []
    assert fake.calls_to("chat.postMessage") == []  # not even the channel notice
    assert "dry run" in fresh.command("admin", user=ADMIN)["text"]
    # Not an admin: refused, and nothing changes.
    assert "for Undertone admins" in fresh.command("admin live", user="U0AUTHOR1")["text"]
    assert "is live" in fresh.command("admin live", user=ADMIN)["text"]
    assert fresh.message(CONTEMPT, ts="1767000000.000002", user="U0AUTHOR2") == 200
    [nudge] = fake.wait_for("chat.postEphemeral")
    assert nudge.params["user"] == "U0AUTHOR2"  # the dry-run nudge is never sent later
    [notice] = fake.wait_for("chat.postMessage")  # the channel hears about it on going live
    assert notice.params["channel"] == CHANNEL
    assert "controls.change" in _actions(database)


def test_pause_stops_the_outbox_within_one_poll_and_resume_sends(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    live = settings.model_copy(update={"dry_run": False})
    sender = OutboxSender(database=database, client=client, settings=live)
    with database.session() as session:
        factories.channel(session, "C1", "support", workspace=TEAM)
        set_controls(session, workspace_id=TEAM, actor=ADMIN, paused=True)
        enqueue(
            session=session,
            method="chat.postMessage",
            payload={"channel": "U0MANAGER1", "text": "heads-up"},
            workspace_id=TEAM,
        )
    assert sender.send_due() == 0
    assert fake.calls_to("chat.postMessage") == []
    with database.session() as session:
        set_controls(session, workspace_id=TEAM, actor=ADMIN, paused=False)
    assert sender.send_due() == 1
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_the_setting_pauses_everything_whatever_the_database_says(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    paused = settings.model_copy(update={"dry_run": False, "paused": True})
    with database.session() as session:
        set_controls(session, workspace_id=TEAM, actor=ADMIN, paused=False)
        enqueue(session=session, method="chat.postMessage", payload={"channel": "C1", "text": "x"}, workspace_id=TEAM)  # fmt: skip
    assert OutboxSender(database=database, client=client, settings=paused).send_due() == 0


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_caps_hold_with_two_app_processes_racing(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    capped = settings.model_copy(update={"dry_run": False, "daily_cap": 5, "user_daily_cap": 2})
    with database.session() as session:
        for n in range(12):
            enqueue(
                session=session,
                method="chat.postMessage",
                payload={"channel": f"U0PERSON{n % 4}", "text": "hello"},
                workspace_id=TEAM,
            )
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    processes = [
        context.Process(target=drain_outbox, args=(capped, fake.url, start)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    sent = fake.calls_to("chat.postMessage")
    assert len(sent) == 5
    per_person: dict[str, int] = {}
    for call in sent:
        per_person[call.params["channel"]] = per_person.get(call.params["channel"], 0) + 1
    assert max(per_person.values()) <= 2
    assert _count(database, OutboxMessage, OutboxMessage.status == "capped") == 7


def test_every_admin_action_and_report_view_leaves_an_audit_row(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    with database.session() as session:
        factories.channel(session, "C0CUSTOMERS", "customers", workspace=TEAM)
        factories.observations(
            session, channel="C0CUSTOMERS", at=datetime.now(UTC) - timedelta(hours=2),
            labels={"contempt": 2, "constructive": 8}, authors=6, workspace=TEAM,
        )  # fmt: skip
    with running(settings, database, fake, admins=[ADMIN], leaders=[LEADER]) as app:
        app.command("admin pause", user=ADMIN)
        app.command("admin resume", user=ADMIN)
        app.command("admin live", user=ADMIN)
        app.command("admin exclude <#C0OTHER01|random>", user=ADMIN)
        app.command("team add Support", user=ADMIN)
        app.command("account add Acme aka Acme Corp", user=ADMIN)
        app.command("team list", user=ADMIN)  # reading is not an action
        app.command("", user=LEADER, command="/culture-report")
        fake.wait_for("response_url")
        from bot.listeners.home import publish_home

        publish_home(app.undertone.services, user_id=LEADER, workspace_id=TEAM)
    actions = _actions(database)
    for expected in (
        "settings.loaded",
        "controls.change",
        "channels.exclude",
        "teams.add",
        "accounts.add",
        "report.view",
    ):
        assert expected in actions, (expected, actions)
    assert "teams.list" not in actions
    with database.session() as session:
        views = session.scalars(select(AuditEntry).where(AuditEntry.action == "report.view"))
        assert {(v.actor, v.target) for v in views} >= {(LEADER, "app-home figures")}
        assert all("idiot" not in str(e.details) for e in session.scalars(select(AuditEntry)))


def test_the_cli_prints_the_audit_log_and_records_its_own_report_views(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    with database.session() as session:
        factories.channel(session, "C1", "support")
        factories.observations(
            session, channel="C1", at=datetime(2026, 10, 5, tzinfo=UTC),
            labels={"constructive": 6}, authors=6,
        )  # fmt: skip
    env = {"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "bot.cli"]
    report = subprocess.run(
        [*cli, "report", "--month", "2026-10"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert report.returncode == 0, report.stderr
    printed = subprocess.run([*cli, "audit"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "report.view" in printed.stdout and "cli:" in printed.stdout
    bad = subprocess.run(
        [*cli, "audit", "--since", "yesterday"], env=env, capture_output=True, text=True
    )
    assert bad.returncode != 0 and "not a date" in bad.stderr and "Traceback" not in bad.stderr


def test_who_sees_what_follows_the_live_settings(settings: Settings, database: Database) -> None:
    with database.session() as session:
        factories.channel(session, "C1", "support")
        factories.team(session, "Support", ["C1"], managers=["U0MANAGER1"])
        first = "\n".join(who_sees_what(session, settings=settings, workspace_id="T1"))
        changed = settings.model_copy(
            update={"min_group": 8, "leaders": [LEADER], "dry_run": True, "retention_days": 30}
        )
        second = "\n".join(who_sees_what(session, settings=changed, workspace_id="T1"))
        set_controls(session, workspace_id="T1", actor=ADMIN, paused=True)
        third = "\n".join(who_sees_what(session, settings=changed, workspace_id="T1"))
    assert "at least 5 people" in first and "*live*" in first and "no leaders set" in first
    assert "Support (<@U0MANAGER1>)" in first and "#support" in first
    assert "at least 8 people" in second and "*dry run*" in second and f"<@{LEADER}>" in second
    assert "for 30 days" in second
    assert "*paused*" in third


def test_the_works_council_profile_changes_what_it_claims(
    settings: Settings, database: Database
) -> None:
    strict = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=settings.database_url,
        profile="works-council",
        min_group=5,
        retention_days=365,
    )
    assert (strict.min_group, strict.nudges_opt_in, strict.team_level_only) == (10, True, True)
    assert strict.retention_days == 90
    from bot.ingest.pipeline import Classified
    from bot.nudges.policy import NudgePolicy
    from bot.observations.service import MessageRef
    from bot.reports.month import Month
    from bot.reports.report import build_report
    from classifiers.model import Prediction

    item = Classified(
        ref=MessageRef("T1", "C1", "1767000000.000001"),
        user_id="U0AUTHOR1",
        author_key="key-1",
        prediction=Prediction(
            label="contempt",
            scores={"contempt": 0.97},
            about_customer=True,
            lang="en",
            supported=True,
            model_version="test",
        ),
    )
    with database.session() as session:
        NudgePolicy(strict).after_store(session=session, classified=[item], source="live")
        assert session.scalar(select(func.count()).select_from(Nudge)) == 0  # nobody opted in
        preferences.set_nudges(session=session, workspace_id="T1", author_key="key-1", enabled=True)
        NudgePolicy(strict).after_store(session=session, classified=[item], source="live")
        assert session.scalar(select(func.count()).select_from(Nudge)) == 1
        factories.channel(session, "C1", "support")
        factories.observations(
            session, channel="C1", at=datetime(2026, 10, 5, tzinfo=UTC),
            labels={"constructive": 20}, authors=12,
        )  # fmt: skip
        report = build_report(
            session, workspace_id="T1", month=Month(2026, 10), min_group=strict.min_group,
            zone=strict.zone, now=datetime(2026, 11, 2, tzinfo=UTC),
            team_level_only=strict.team_level_only,
        )  # fmt: skip
    assert report.channels == [] and report.teams and report.min_group == 10


def test_purge_and_erase_leave_no_row_for_the_person(
    settings: Settings, database: Database
) -> None:
    gone, stays = author_key("U0LEAVER1", pepper=settings.pepper), "someone-else"
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with database.session() as session:
        factories.channel(session, "C1", "support")
        factories.observations(
            session, channel="C1", at=now - timedelta(days=3), labels={"contempt": 3},
            authors=1, author_prefix="x",
        )  # fmt: skip
        session.execute(
            Observation.__table__.update().values(author_key=gone)  # type: ignore[attr-defined]
        )
        factories.observations(
            session, channel="C1", at=now - timedelta(days=3), labels={"neutral": 2}, authors=1,
            author_prefix="y",
        )  # fmt: skip
        session.execute(
            Observation.__table__.update()  # type: ignore[attr-defined]
            .where(Observation.author_key != gone)
            .values(author_key=stays)
        )
        factories.observations(
            session, channel="C1", at=now - timedelta(days=400), labels={"neutral": 4}, authors=2,
        )  # fmt: skip
        preferences.set_nudges(session=session, workspace_id="T1", author_key=gone, enabled=False)
        session.add(Nudge(workspace_id="T1", channel_id="C1", message_ts="1.1", author_key=gone, status="delivered", created_at=now))  # fmt: skip
        session.add(Feedback(workspace_id="T1", channel_id="C1", message_ts="1.1", author_key=gone, verdict="wrong", shared_text="my words"))  # fmt: skip
        session.add(PendingMessage(workspace_id="T1", channel_id="C1", message_ts="2.2", user_id="U0LEAVER1", text="queued words", source="live", received_at=now, attempts=0))  # fmt: skip
        # A nudge the dry run held back and a DM a pause held back, both to the person.
        held = {"channel": "C1", "user": "U0LEAVER1", "text": "a nudge"}
        session.add(OutboxMessage(workspace_id="T1", method="chat.postEphemeral", payload=held, status="dry_run"))  # fmt: skip
        session.add(OutboxMessage(workspace_id="T1", method="chat.postMessage", payload={"channel": "U0LEAVER1", "text": "a DM"}))  # fmt: skip
        session.add(OutboxMessage(workspace_id="T1", method="chat.postMessage", payload={"channel": "U0OTHER01", "text": "a DM"}))  # fmt: skip
        # A year-old nudge the dry run held back, to someone else.
        session.add(OutboxMessage(workspace_id="T1", method="chat.postEphemeral", payload={"channel": "C1", "user": "U0OTHER01"}, status="dry_run", created_at=now - timedelta(days=400)))  # fmt: skip
        session.add(SendCounter(workspace_id="T1", day=now.date(), scope="user:U0LEAVER1", count=1))  # fmt: skip
        session.add(SendCounter(workspace_id="T1", day=now.date(), scope="workspace", count=1))  # fmt: skip
    with database.session() as session:
        assert purge_expired(session, retention_days=365, now=now) == 4
        erased = erase_person(
            session, workspace_id="T1", user_id="U0LEAVER1", author_key=gone,
            actor="cli:test", reason="test",
        )  # fmt: skip
    assert erased.total == 3 + 1 + 1 + 1 + 1 + 2 + 1
    assert _count(database, OutboxMessage) == 1  # the DM to someone else
    assert _count(database, SendCounter) == 1  # the workspace's own counter
    with database.session() as session:
        assert "U0LEAVER1" not in json.dumps(
            [m.payload for m in session.scalars(select(OutboxMessage))]
        )
    for model, column in (
        (Observation, Observation.author_key),
        (UserPreference, UserPreference.author_key),
        (Nudge, Nudge.author_key),
        (Feedback, Feedback.author_key),
    ):
        assert _count(database, model, column == gone) == 0
    assert _count(database, PendingMessage) == 0
    assert _count(database, Observation) == 2  # the others stay
    with database.session() as session:
        entries = list(session.scalars(select(AuditEntry)))
    assert {e.action for e in entries} == {"retention.purge", "erase.person"}
    assert all("U0LEAVER1" not in f"{e.target}{e.details}" for e in entries)


def test_a_person_leaving_the_workspace_is_erased(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    with running(settings, database, fake) as app:
        assert (
            app.message("acme renewal call moved", ts="1767000000.000001", user="U0LEAVER1") == 200
        )
        app.settle()
        assert _count(database, Observation) == 1
        event = {
            "type": "user_change",
            "user": {"id": "U0LEAVER1", "team_id": TEAM, "deleted": True},
        }
        assert app.event(event, event_id="EvLeave1") == 200
        wait_until(lambda: _count(database, Observation) == 0, what="the erasure")
    assert "erase.person" in _actions(database)


def test_pause_all_stops_reading_messages_but_deletions_still_count(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    with running(settings, database, fake, admins=[ADMIN]) as app:
        assert app.message("acme renewal call moved", ts="1767000000.000001") == 200
        app.settle()
        app.command("admin pause all", user=ADMIN)
        assert app.message("acme renewal call moved", ts="1767000000.000002") == 200
        deleted = {
            "type": "message", "subtype": "message_deleted", "channel": "C0CUSTOMERS",
            "channel_type": "channel", "deleted_ts": "1767000000.000001",
        }  # fmt: skip
        assert app.event(deleted, event_id="EvDel1") == 200
        app.settle()
        assert _count(database, Observation) == 0
        assert _count(database, PendingMessage) == 0
        app.command("admin resume", user=ADMIN)
        assert app.message("acme renewal call moved", ts="1767000000.000003") == 200
        app.settle()
        assert _count(database, Observation) == 1


def test_admins_see_what_the_dry_run_held_back_without_anyones_text(
    fresh: LiveApp, fake: FakeSlack, database: Database, tmp_path: Path, settings: Settings
) -> None:
    assert fresh.message(CONTEMPT, ts="1767000000.000001", user="U0AUTHOR1") == 200
    wait_until(lambda: _count(database, OutboxMessage, OutboxMessage.status == "dry_run") == 1)
    from bot.listeners.home import publish_home

    publish_home(fresh.undertone.services, user_id=ADMIN, workspace_id=TEAM)
    [home] = fake.wait_for("views.publish")
    shown = json.dumps(home.params["view"])
    assert "Dry run: held back" in shown and "1 nudge(s)" in shown
    assert "idiots" not in shown and "U0AUTHOR1" not in shown
    env = {"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cli = subprocess.run(
        [sys.executable, "-m", "bot.cli", "outbox", "--dry-run"],
        env=env, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert "nudge" in cli.stdout and "dry_run" in cli.stdout and "for example" in cli.stdout
    assert "idiots" not in cli.stdout and "U0AUTHOR1" not in cli.stdout


def test_a_paused_workspace_does_not_hold_up_another(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    live = settings.model_copy(update={"dry_run": False})
    sender = OutboxSender(database=database, client=client, settings=live, batch=3)
    with database.session() as session:
        set_controls(session, workspace_id="T0PAUSED1", actor=ADMIN, paused=True)
        for n in range(5):
            enqueue(session=session, method="chat.postMessage", payload={"channel": f"C{n}", "text": "x"}, workspace_id="T0PAUSED1")  # fmt: skip
        enqueue(session=session, method="chat.postMessage", payload={"channel": "C9", "text": "y"}, workspace_id=TEAM)  # fmt: skip
    assert sender.send_due() == 1
    assert [c.params["channel"] for c in fake.calls_to("chat.postMessage")] == ["C9"]


def test_undertone_forget_erases_a_person_from_the_command_line(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    pepper = "a-real-deployment-pepper"
    gone = author_key("U0LEAVER1", pepper=SecretStr(pepper))
    with database.session() as session:
        factories.channel(session, "C1", "support")
        factories.observations(
            session, channel="C1", at=datetime(2026, 10, 5, tzinfo=UTC),
            labels={"contempt": 2}, authors=1,
        )  # fmt: skip
        session.execute(
            Observation.__table__.update().values(author_key=gone)  # type: ignore[attr-defined]
        )
        factories.observations(
            session, channel="C1", at=datetime(2026, 10, 5, tzinfo=UTC),
            labels={"neutral": 3}, authors=3, author_prefix="other",
        )  # fmt: skip
    env = {
        "DATABASE_URL": settings.database_url,
        "UNDERTONE_PEPPER": pepper,
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    cli = [sys.executable, "-m", "bot.cli", "forget"]
    done = subprocess.run(
        [*cli, "--user", "U0LEAVER1", "--workspace", "T1"],
        env=env, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Erased U0LEAVER1: 2 observation(s)" in done.stdout
    assert _count(database, Observation, Observation.author_key == gone) == 0
    assert _count(database, Observation) == 3
    assert "erase.person" in _actions(database)
    bad = subprocess.run(
        [*cli, "--user", "bob"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert bad.returncode != 0 and "not a Slack user id" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_changed_teams_file_leaves_an_audit_row_and_the_same_file_does_not(
    database: Database,
) -> None:
    from bot.teams.service import apply_specs, parse_teams

    first = "teams:\n  - name: Support\n    channels: ['#support']\n    managers: [U0MGR0001]\n"
    with database.session() as session:
        factories.channel(session, "C0SUPP001", "support")
        apply_specs(session, workspace_id="T1", specs=parse_teams(first), path="/etc/teams.yml")
    with database.session() as session:  # the app restarting with the same file
        apply_specs(session, workspace_id="T1", specs=parse_teams(first), path="/etc/teams.yml")
    assert _actions(database) == ["teams.file"]
    changed = first.replace("U0MGR0001", "U0MGR0002")
    with database.session() as session:
        apply_specs(session, workspace_id="T1", specs=parse_teams(changed), path="/etc/teams.yml")
    assert _actions(database) == ["teams.file", "teams.file"]
    with database.session() as session:
        entry = session.scalars(select(AuditEntry)).first()
    assert entry is not None and entry.target == "teams.yml" and entry.actor == "undertone"
