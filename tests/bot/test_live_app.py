"""The live app end to end: signed HTTP requests in, a fake Slack Web API out."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.feedback.models import Feedback
from bot.ingest.models import PendingMessage
from bot.nudges.models import Nudge
from bot.observations.models import Observation
from bot.outbox.models import OutboxMessage
from bot.preferences.models import UserPreference
from bot.settings import Settings
from tests.bot.live import AUTHOR, CHANNEL, LiveApp, running, wait_until
from tests.conftest import REAL_WORLD
from tests.fake_slack import BOT_USER_ID, FakeSlack
from tests.slack_requests import event_body, post, signed_headers

CONTEMPT = "honestly the acme people are idiots who can't read"
NEUTRAL = "acme renewal call moved to thursday"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def live(settings: Settings, database: Database, fake: FakeSlack) -> Iterator[LiveApp]:
    with running(settings, database, fake) as app:
        yield app


def observations(live: LiveApp) -> list[Observation]:
    return live.rows(select(Observation).order_by(Observation.message_ts))


def test_contempt_gets_exactly_one_private_nudge_to_its_author(
    live: LiveApp, fake: FakeSlack
) -> None:
    assert live.message(CONTEMPT, ts="1760000000.000100") == 200
    [call] = fake.wait_for("chat.postEphemeral")
    live.settle()
    assert call.params["user"] == AUTHOR
    assert call.params["channel"] == CHANNEL
    assert "idiots" not in json.dumps(call.params)  # the nudge never quotes the message
    [observation] = observations(live)
    assert observation.label == "contempt"
    assert live.scalar(select(func.count()).select_from(PendingMessage)) == 0
    [nudge] = live.rows(select(Nudge))
    assert nudge.status == "delivered"
    assert len(fake.calls_to("chat.postEphemeral")) == 1


def test_a_neutral_message_is_stored_without_text_and_not_nudged(
    live: LiveApp, fake: FakeSlack
) -> None:
    live.message(NEUTRAL, ts="1760000000.000200")
    wait_until(lambda: len(observations(live)) == 1, what="observation")
    live.settle()
    assert observations(live)[0].label == "neutral"
    assert fake.calls_to("chat.postEphemeral") == []
    with live.database.engine.connect() as connection:
        for table in ("observations", "pending_messages", "outbox", "nudges", "feedback"):
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}"):
                assert "renewal" not in " ".join(str(v) for v in row)


def test_an_edit_reclassifies_and_a_delete_forgets(live: LiveApp) -> None:
    ts = "1760000000.000300"
    live.message(NEUTRAL, ts=ts)
    wait_until(lambda: [o.label for o in observations(live)] == ["neutral"], what="first label")
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": CHANNEL,
        "channel_type": "channel",
        "hidden": True,
        "ts": "1760000100.000000",
        "message": {
            "type": "message",
            "user": AUTHOR,
            "text": CONTEMPT,
            "ts": ts,
            "edited": {"user": AUTHOR, "ts": "1760000100.000000"},
        },
        "previous_message": {"type": "message", "user": AUTHOR, "text": NEUTRAL, "ts": ts},
    }
    assert live.event(edit) == 200
    wait_until(lambda: [o.label for o in observations(live)] == ["contempt"], what="edited label")
    delete = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": CHANNEL,
        "channel_type": "channel",
        "hidden": True,
        "ts": "1760000200.000000",
        "deleted_ts": ts,
        "previous_message": {"type": "message", "user": AUTHOR, "text": CONTEMPT, "ts": ts},
    }
    assert live.event(delete) == 200
    assert observations(live) == []


def test_an_unfurl_edit_with_unchanged_text_is_not_reclassified(live: LiveApp) -> None:
    ts = "1760000000.000400"
    live.message(NEUTRAL, ts=ts)
    wait_until(lambda: len(observations(live)) == 1, what="observation")
    classified_at = observations(live)[0].classified_at
    unfurl = {
        "type": "message",
        "subtype": "message_changed",
        "channel": CHANNEL,
        "channel_type": "channel",
        "ts": "1760000100.000000",
        "message": {
            "type": "message",
            "user": AUTHOR,
            "text": NEUTRAL,
            "ts": ts,
            "attachments": [{"title": "x"}],
        },
        "previous_message": {"type": "message", "user": AUTHOR, "text": NEUTRAL, "ts": ts},
    }
    live.event(unfurl)
    live.settle()
    assert observations(live)[0].classified_at == classified_at


def test_a_redelivered_event_makes_one_observation_and_one_nudge(
    live: LiveApp, fake: FakeSlack
) -> None:
    live.message(CONTEMPT, ts="1760000000.000500", event_id="Ev0REDELIVER")
    assert (
        live.event(
            {
                "type": "message",
                "channel": CHANNEL,
                "channel_type": "channel",
                "user": AUTHOR,
                "text": CONTEMPT,
                "ts": "1760000000.000500",
            },
            event_id="Ev0REDELIVER",
            retry=1,
        )
        == 200
    )
    fake.wait_for("chat.postEphemeral")
    live.settle()
    time.sleep(0.2)
    assert len(observations(live)) == 1
    assert len(fake.calls_to("chat.postEphemeral")) == 1
    # Even a redelivery with a new event id (Slack does that too) nudges once.
    live.message(CONTEMPT, ts="1760000000.000500", event_id="Ev0SECONDID")
    live.settle()
    assert len(fake.calls_to("chat.postEphemeral")) == 1


def test_bad_signatures_and_stale_timestamps_are_refused(live: LiveApp) -> None:
    body = event_body(
        {"type": "message", "channel": CHANNEL, "user": AUTHOR, "text": CONTEMPT, "ts": "1.1"}
    )
    forged = signed_headers(body, "not-the-secret")
    assert post(live.url, body, forged)[0] == 401
    stale = signed_headers(body, "test-signing-secret", timestamp=int(time.time()) - 6 * 60)
    assert post(live.url, body, stale)[0] == 401
    assert live.scalar(select(func.count()).select_from(PendingMessage)) == 0


def test_nudges_off_means_no_nudge(live: LiveApp, fake: FakeSlack) -> None:
    reply = live.command("nudges off")
    assert "off" in reply["text"]
    live.message(CONTEMPT, ts="1760000000.000600")
    wait_until(lambda: len(observations(live)) == 1, what="observation")
    live.settle()
    assert fake.calls_to("chat.postEphemeral") == []
    assert live.command("nudges on")["text"].startswith("Nudges are on")


def test_opting_out_leaves_a_persons_messages_unread_until_they_opt_in(
    live: LiveApp, fake: FakeSlack
) -> None:
    assert "opted out" in live.command("opt-out")["text"]
    live.message(CONTEMPT, ts="1760000000.000650")
    live.message(NEUTRAL, ts="1760000000.000651", user="U0SOMEONE")
    wait_until(lambda: len(observations(live)) == 1, what="the other person's observation")
    live.settle()
    assert [o.message_ts for o in observations(live)] == ["1760000000.000651"]
    assert live.scalar(select(func.count()).select_from(PendingMessage)) == 0
    assert fake.calls_to("chat.postEphemeral") == []
    assert "back in" in live.command("opt-in")["text"]
    live.message(CONTEMPT, ts="1760000000.000652")
    fake.wait_for("chat.postEphemeral")
    assert len(observations(live)) == 2


def test_at_most_one_nudge_per_person_per_day(live: LiveApp, fake: FakeSlack) -> None:
    live.message(CONTEMPT, ts="1760000000.000700")
    fake.wait_for("chat.postEphemeral")
    live.message(CONTEMPT + " again", ts="1760000000.000701")
    live.message(CONTEMPT, ts="1760000000.000702", user="U0SOMEONE")
    wait_until(lambda: len(observations(live)) == 3, what="three observations")
    live.settle()
    calls = fake.calls_to("chat.postEphemeral")
    assert sorted(c.params["user"] for c in calls) == [AUTHOR, "U0SOMEONE"]


def test_the_nudge_cooldown_is_a_setting(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    hourly = settings.model_copy(update={"nudge_cooldown_hours": 1})
    with running(hourly, database, fake) as app:
        assert "one private note an hour" in app.command("nudges on")["text"]
        app.message(CONTEMPT, ts="1760000000.000710")
        fake.wait_for("chat.postEphemeral")
        app.settle()
        # Two hours later by the nudge's own clock: past an hour's cooldown, not a day's.
        with database.session() as session:
            session.execute(
                Nudge.__table__.update().values(  # type: ignore[attr-defined]
                    created_at=datetime.now(UTC) - timedelta(hours=2)
                )
            )
        app.message(CONTEMPT + " again", ts="1760000000.000711")
        wait_until(lambda: len(fake.calls_to("chat.postEphemeral")) == 2, what="a second nudge")


@pytest.mark.parametrize(
    ("action_id", "verdict", "corrected", "offers_share"),
    [
        ("nudge_fair_point", "fair_point", None, False),
        ("nudge_not_customer", "not_customer", "not_customer", True),
        ("nudge_fair_criticism", "fair_criticism", "constructive", True),
        ("nudge_turn_off", "turn_off", None, False),
    ],
)
def test_each_nudge_button_is_recorded_without_text(
    live: LiveApp,
    fake: FakeSlack,
    action_id: str,
    verdict: str,
    corrected: str | None,
    offers_share: bool,
) -> None:
    live.message(CONTEMPT, ts="1760000000.000800")
    [call] = fake.wait_for("chat.postEphemeral")
    button = next(b for b in call.params["blocks"][1]["elements"] if b["action_id"] == action_id)
    live.click(action_id, button["value"])
    [reply] = fake.wait_for("response_url")
    [feedback] = live.rows(select(Feedback))
    assert (feedback.verdict, feedback.corrected_label, feedback.shared_text) == (
        verdict,
        corrected,
        None,
    )
    assert feedback.model_label == "contempt"
    assert reply.params["replace_original"] in (True, "true")
    assert ("feedback_share_text" in json.dumps(reply.params)) is offers_share
    prefs = live.rows(select(UserPreference))
    assert [p.nudges_enabled for p in prefs] == ([False] if action_id == "nudge_turn_off" else [])


def test_text_is_kept_only_when_the_author_chooses_to_share_it(
    live: LiveApp, fake: FakeSlack
) -> None:
    ts = "1760000000.000900"
    live.message(CONTEMPT, ts=ts)
    [call] = fake.wait_for("chat.postEphemeral")
    value = call.params["blocks"][1]["elements"][1]["value"]
    live.click("nudge_not_customer", value)
    fake.wait_for("response_url")
    assert live.rows(select(Feedback))[0].shared_text is None
    fake.set_history(CHANNEL, [{"type": "message", "user": AUTHOR, "text": CONTEMPT, "ts": ts}])
    live.click("feedback_share_text", value)
    fake.wait_for("response_url", count=2)
    assert live.rows(select(Feedback))[0].shared_text == CONTEMPT
    # Someone else pressing the buttons changes nothing.
    live.click("nudge_fair_point", value, user="U0INTRUDER")
    time.sleep(0.2)
    assert live.rows(select(Feedback))[0].verdict == "not_customer"


def test_rate_limited_send_waits_and_succeeds(live: LiveApp, fake: FakeSlack) -> None:
    fake.rate_limit("chat.postEphemeral", retry_after=1)
    started = time.monotonic()
    live.message(CONTEMPT, ts="1760000000.001000")
    calls = fake.wait_for("chat.postEphemeral", count=2, timeout=10)
    assert calls[1].at - calls[0].at >= 0.95
    live.settle()
    assert time.monotonic() - started < 10
    assert live.rows(select(Nudge))[0].status == "delivered"


def test_server_errors_retry_and_permanent_errors_drop(
    live: LiveApp, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.server_error("chat.postEphemeral")
    live.message(CONTEMPT, ts="1760000000.001100")
    fake.wait_for("chat.postEphemeral", count=2, timeout=10)
    live.settle()
    assert live.rows(select(Nudge))[0].status == "delivered"
    fake.error("chat.postEphemeral", "not_in_channel")
    live.message(CONTEMPT, ts="1760000000.001200", user="U0OTHER01")
    fake.wait_for("chat.postEphemeral", count=3)
    live.settle()
    statuses = {n.author_key: n.status for n in live.rows(select(Nudge))}
    assert sorted(statuses.values()) == ["delivered", "failed"]
    assert live.rows(select(OutboxMessage.status).order_by(OutboxMessage.id)) == ["sent", "dropped"]
    assert "not_in_channel" in caplog.text


def test_restart_loses_nothing_queued_or_unsent(
    settings: Settings, database: Database, fake: FakeSlack
) -> None:
    with running(settings, database, fake, background=False) as app:
        app.message(CONTEMPT, ts="1760000000.001300")
        app.message(NEUTRAL, ts="1760000000.001301")
        assert app.scalar(select(func.count()).select_from(PendingMessage)) == 2
        # The worker classifies but the process dies before anything is sent.
        app.undertone.services.worker.drain()
        assert app.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert fake.calls_to("chat.postEphemeral") == []
    with running(settings, database, fake) as app:
        fake.wait_for("chat.postEphemeral")
        app.settle()
        assert len(observations(app)) == 2
    # And a queue left with unclassified messages is picked up after a restart too.
    with running(settings, database, fake, background=False) as app:
        app.message(NEUTRAL, ts="1760000000.001302")
    with running(settings, database, fake) as app:
        wait_until(lambda: len(observations(app)) == 3, what="the queued message")


def test_joining_a_channel_posts_the_notice_once(live: LiveApp, fake: FakeSlack) -> None:
    join = {
        "type": "member_joined_channel",
        "user": BOT_USER_ID,
        "channel": CHANNEL,
        "channel_type": "C",
        "team": "T0TEST001",
    }
    assert live.event(join) == 200
    [call] = fake.wait_for("chat.postMessage")
    assert call.params["channel"] == CHANNEL
    text = json.dumps(call.params["blocks"])
    assert "no message text" in text and "nudges off" in text
    live.event(join)
    live.event({**join, "user": "U0SOMEONE"})
    live.settle()
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_help_and_privacy_commands(live: LiveApp) -> None:
    assert "/undertone privacy" in live.command("help")["text"]
    privacy = json.dumps(live.command("privacy"))
    assert "Never the text" in privacy and "at least 5" in privacy
    assert "admins" in live.command("status")["text"]


def test_app_home_shows_the_persons_settings(live: LiveApp, fake: FakeSlack) -> None:
    live.event({"type": "app_home_opened", "user": AUTHOR, "channel": "D0HOME", "tab": "home"})
    [call] = fake.wait_for("views.publish")
    view = (
        call.params["view"]
        if isinstance(call.params["view"], dict)
        else json.loads(call.params["view"])
    )
    assert call.params["user_id"] == AUTHOR
    assert "Your nudges are on" in json.dumps(view)
    assert "This month" not in json.dumps(view)  # figures are for leaders and admins


def test_garbage_requests_get_a_clear_status_and_the_app_keeps_running(live: LiveApp) -> None:
    body = b"{not json"
    assert post(
        live.url, body, signed_headers(body, "test-signing-secret", content_type="application/json")
    )[0] in (400, 401, 404)
    assert live.event({"type": "some_future_event", "x": 1}) == 200
    assert live.event({"type": "message", "channel": CHANNEL, "channel_type": "channel"}) == 200
    assert live.message("x" * 40_000, ts="1760000000.001400") == 200
    assert (
        live.event(
            {
                "type": "message",
                "channel": CHANNEL,
                "channel_type": "channel",
                "user": AUTHOR,
                "ts": "1760000000.001500",
                "text": "",
                "files": [{"id": "F1"}],
            }
        )
        == 200
    )
    assert live.message(NEUTRAL, ts="1760000000.001600", channel_type="im") == 200
    wait_until(lambda: len(observations(live)) == 1, what="the long message")
    status, _, _ = post(live.base + "/healthz", b"", {})
    assert status in (200, 405)


def test_health_and_metrics_endpoints(live: LiveApp) -> None:
    import urllib.request

    with urllib.request.urlopen(live.base + "/healthz", timeout=5) as response:
        assert json.loads(response.read())["ok"] is True
    with urllib.request.urlopen(live.base + "/metrics", timeout=5) as response:
        assert "undertone_queue_depth 0" in response.read().decode()


def _real_events() -> list[Path]:
    folder = REAL_WORLD / "events" / "java-slack-sdk-schema-samples" / "events"
    return sorted(folder.glob("*.json"))


def test_real_event_samples_are_handled_without_error(
    live: LiveApp, caplog: pytest.LogCaptureFixture
) -> None:
    for path in _real_events():
        envelope = json.loads(path.read_text())
        event = envelope.get("event", envelope)
        body = event_body(event)
        status, _, data = post(live.url, body, signed_headers(body, "test-signing-secret"))
        assert status == 200, (path.name, data)
    for path in sorted((REAL_WORLD / "events" / "wee-slack-rtm-captures").rglob("*.json")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        events = data if isinstance(data, list) else [data]
        for event in events:
            if isinstance(event, dict) and isinstance(event.get("type"), str):
                body = event_body(event)
                assert (
                    post(live.url, body, signed_headers(body, "test-signing-secret"))[0] == 200
                ), path.name
    live.settle()
    assert "Traceback" not in caplog.text
