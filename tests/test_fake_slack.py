"""The fake Slack Web API answers a real slack_sdk WebClient the way Slack does."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web import SlackResponse

from tests.conftest import REAL_WORLD
from tests.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack
from tests.slack_requests import (
    block_action_body,
    command_body,
    event_body,
    post,
    signed_headers,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=5)


def _pages(first: SlackResponse) -> list[dict[str, Any]]:
    """Walk the cursor pages as slack_sdk does; keep each page (the iterator reuses one object)."""
    return [dict(page.data) for page in first]


def _messages(count: int, start: int = 1_700_000_000) -> list[dict[str, Any]]:
    return [
        {"type": "message", "user": "U0AUTHOR1", "text": f"m{i}", "ts": f"{start + i}.000100"}
        for i in range(count)
    ]


# ---------------------------------------------------------------------- basics


def test_url_is_a_web_api_base_on_loopback(fake: FakeSlack) -> None:
    assert fake.url.startswith("http://127.0.0.1:")
    assert fake.url.endswith("/api/")
    assert fake.port > 0


def test_auth_test_answers_like_slack_and_is_recorded(fake: FakeSlack, client: WebClient) -> None:
    response = client.auth_test()

    assert response.status_code == 200
    assert response["ok"] is True
    assert (response["team_id"], response["user_id"], response["bot_id"]) == (
        TEAM_ID,
        BOT_USER_ID,
        BOT_ID,
    )
    assert response["url"].startswith("https://")
    assert response.headers["Content-Type"].startswith("application/json")
    [call] = fake.calls_to("auth.test")
    assert call.headers["authorization"] == "Bearer xoxb-test"
    assert call.at <= time.time()


def test_json_body_is_recorded_with_decoded_params(fake: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    response = client.chat_postMessage(channel="C0GENERAL", text="hi", blocks=blocks)

    assert response["channel"] == "C0GENERAL"
    assert response["message"]["text"] == "hi"
    assert response["message"]["ts"] == response["ts"]
    assert response["message"]["blocks"] == blocks
    [call] = fake.calls_to("chat.postMessage")
    assert call.headers["content-type"].startswith("application/json")
    assert call.params["channel"] == "C0GENERAL"
    assert call.params["text"] == "hi"
    assert call.params["blocks"] == blocks
    assert json.loads(call.body)["text"] == "hi"


def test_form_body_is_recorded_as_strings(fake: FakeSlack, client: WebClient) -> None:
    response = client.conversations_open(users="U0AUTHOR1")

    assert response["channel"]["id"] == "D0AUTHOR1"
    [call] = fake.calls_to("conversations.open")
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.params == {"users": "U0AUTHOR1"}
    assert call.body == b"users=U0AUTHOR1"


def test_get_with_query_params_is_answered(fake: FakeSlack) -> None:
    url = f"{fake.url}users.info?user=U0AUTHOR1&token=xoxb-test"
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())

    assert body["ok"] is True
    assert body["user"]["id"] == "U0AUTHOR1"
    assert fake.calls_to("users.info")[0].params == {"user": "U0AUTHOR1", "token": "xoxb-test"}


def test_posting_to_a_user_answers_with_the_dm_channel(client: WebClient) -> None:
    response = client.chat_postMessage(channel="U0AUTHOR1", text="psst")
    assert response["channel"] == "D0AUTHOR1"


@pytest.mark.parametrize(
    ("method", "kwargs", "key"),
    [
        (
            "chat_postEphemeral",
            {"channel": "C0GENERAL", "user": "U0AUTHOR1", "text": "x"},
            "message_ts",
        ),
        (
            "chat_update",
            {"channel": "C0GENERAL", "ts": "1700000000.000100", "text": "y"},
            "message",
        ),
        ("conversations_info", {"channel": "C0GENERAL"}, "channel"),
        ("conversations_history", {"channel": "C0GENERAL"}, "messages"),
        ("conversations_replies", {"channel": "C0GENERAL", "ts": "1700000000.000100"}, "messages"),
        ("users_info", {"user": "U0AUTHOR1"}, "user"),
        ("views_publish", {"user_id": "U0AUTHOR1", "view": {"type": "home", "blocks": []}}, "view"),
        ("team_info", {}, "team"),
    ],
)
def test_canned_defaults(client: WebClient, method: str, kwargs: dict[str, Any], key: str) -> None:
    response = getattr(client, method)(**kwargs)
    assert response["ok"] is True
    assert key in response


def test_canned_default_shapes(client: WebClient) -> None:
    ephemeral = client.chat_postEphemeral(channel="C0GENERAL", user="U0AUTHOR1", text="x")
    assert ephemeral["message_ts"].count(".") == 1

    info = client.conversations_info(channel="C0GENERAL")["channel"]
    assert info["id"] == "C0GENERAL"
    assert info["name"] == "general"
    assert info["is_private"] is False
    assert info["is_member"] is True
    assert client.conversations_info(channel="G0SECRET")["channel"]["is_private"] is True

    history = client.conversations_history(channel="C0GENERAL")
    assert history["messages"] == []
    assert history["has_more"] is False

    user = client.users_info(user="U0AUTHOR1")["user"]
    assert user["id"] == "U0AUTHOR1"
    assert user["deleted"] is False
    assert user["is_bot"] is False

    view = client.views_publish(user_id="U0AUTHOR1", view={"type": "home", "blocks": []})
    assert view["view"]["type"] == "home"
    assert view["view"]["id"].startswith("V")

    assert client.team_info()["team"]["id"] == TEAM_ID


def test_unknown_methods_answer_ok(fake: FakeSlack, client: WebClient) -> None:
    response = client.api_call("reactions.add", params={"name": "eyes"})
    assert response.data == {"ok": True}
    assert fake.calls_to("reactions.add")[0].params == {"name": "eyes"}


def test_apps_connections_open_needs_an_app_token(fake: FakeSlack) -> None:
    fake.ws_url = "ws://127.0.0.1:1/link/?ticket=t1"
    app_client = WebClient(token="xapp-1-test", base_url=fake.url)

    assert app_client.apps_connections_open(app_token="xapp-1-test")["url"] == fake.ws_url
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token="xoxb-test", base_url=fake.url).apps_connections_open(app_token="xoxb-test")
    assert excinfo.value.response["error"] == "not_allowed_token_type"


# ---------------------------------------------------------------------- tokens


def test_no_token_is_not_authed(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=fake.url).auth_test()

    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response["error"] == "not_authed"
    assert "authorization" not in fake.calls_to("auth.test")[0].headers


def test_invalid_token_is_invalid_auth(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token="xoxb-invalid", base_url=fake.url).chat_postMessage(
            channel="C0GENERAL", text="x"
        )
    assert excinfo.value.response["error"] == "invalid_auth"


def test_token_param_is_accepted(fake: FakeSlack) -> None:
    response = WebClient(base_url=fake.url).api_call("auth.test", params={"token": "xoxb-test"})
    assert response["ok"] is True


# ---------------------------------------------------------------------- scripting


def test_rate_limit_surfaces_status_and_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="x")

    response = excinfo.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C0GENERAL", text="x")["ok"] is True


def test_rate_limit_retry_handler_retries_and_succeeds(
    fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slept.append))
    monkeypatch.setattr(builtin_handlers, "random", SimpleNamespace(random=lambda: 0.0))
    client = WebClient(token="xoxb-test", base_url=fake.url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    fake.rate_limit("chat.postMessage", retry_after=3, times=2)

    response = client.chat_postMessage(channel="C0GENERAL", text="x")

    assert response["ok"] is True
    assert len(fake.calls_to("chat.postMessage")) == 3
    assert slept == [3, 3]


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_surfaces(fake: FakeSlack, client: WebClient, status: int) -> None:
    fake.server_error("conversations.history", status=status)

    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(channel="C0GENERAL")

    assert excinfo.value.response.status_code == status
    assert "non-JSON" in excinfo.value.response["error"]
    assert client.conversations_history(channel="C0GENERAL")["ok"] is True


def test_ok_false_surfaces_with_the_error(fake: FakeSlack, client: WebClient) -> None:
    fake.error("conversations.info", "channel_not_found", times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.conversations_info(channel="C0GONE")
        assert excinfo.value.response.status_code == 200
        assert excinfo.value.response["error"] == "channel_not_found"
    assert client.conversations_info(channel="C0GONE")["ok"] is True


def test_scripted_answers_are_fifo_per_method(fake: FakeSlack, client: WebClient) -> None:
    fake.respond("auth.test", {"ok": True, "user_id": "U1"}, times=2)
    fake.respond("auth.test", {"ok": True, "user_id": "U2"}, headers={"X-Extra": "yes"})
    fake.error("users.info", "user_not_found")

    answers = [client.auth_test() for _ in range(4)]

    assert [a["user_id"] for a in answers] == ["U1", "U1", "U2", BOT_USER_ID]
    assert answers[2].headers["X-Extra"] == "yes"
    with pytest.raises(SlackApiError):
        client.users_info(user="U0GONE")


def test_set_default_takes_a_body_or_a_function(fake: FakeSlack, client: WebClient) -> None:
    fake.set_default("team.info", {"ok": True, "team": {"id": "T2", "name": "Other"}})
    fake.set_default(
        "users.info",
        lambda params: {"ok": True, "user": {"id": params["user"], "deleted": True}},
    )

    assert client.team_info()["team"]["name"] == "Other"
    assert client.users_info(user="U9")["user"] == {"id": "U9", "deleted": True}


def test_reset_forgets_calls_and_scripts(fake: FakeSlack, client: WebClient) -> None:
    fake.error("auth.test", "invalid_auth")
    fake.set_history("C0GENERAL", _messages(3))
    client.api_test()

    fake.reset()

    assert fake.calls == []
    assert client.auth_test()["ok"] is True
    assert client.conversations_history(channel="C0GENERAL")["messages"] == []


# ---------------------------------------------------------------------- waiting


def test_wait_for_sees_calls_from_another_thread(fake: FakeSlack, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.05)
        client.chat_postMessage(channel="C0GENERAL", text="a")
        client.chat_postMessage(channel="C0GENERAL", text="b")

    worker = threading.Thread(target=later)
    worker.start()
    calls = fake.wait_for("chat.postMessage", count=2, timeout=5)
    worker.join()

    assert [c.params["text"] for c in calls] == ["a", "b"]


def test_wait_for_names_what_arrived_on_timeout(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.update.*auth\.test"):
        fake.wait_for("chat.update", timeout=0.05)


# ---------------------------------------------------------------------- pagination


def test_history_pagination_walks_every_page_newest_first(
    fake: FakeSlack, client: WebClient
) -> None:
    messages = _messages(25)
    reply = {
        "type": "message",
        "user": "U2",
        "text": "in thread",
        "ts": "1700000003.000200",
        "thread_ts": messages[3]["ts"],
    }
    fake.set_history("C0GENERAL", [*messages, reply], page_size=10)

    pages = _pages(client.conversations_history(channel="C0GENERAL", limit=100))

    assert [len(p["messages"]) for p in pages] == [10, 10, 5]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert pages[0]["response_metadata"]["next_cursor"]
    assert "response_metadata" not in pages[-1]
    seen = [m["ts"] for p in pages for m in p["messages"]]
    assert seen == [m["ts"] for m in reversed(messages)]
    cursors = [c.params.get("cursor") for c in fake.calls_to("conversations.history")]
    assert cursors[0] is None
    assert all(cursors[1:])


def test_history_honours_limit_oldest_latest_inclusive(fake: FakeSlack, client: WebClient) -> None:
    messages = _messages(10)
    fake.set_history("C0GENERAL", messages)
    ts = [m["ts"] for m in messages]

    limited = client.conversations_history(channel="C0GENERAL", limit=3)
    assert [m["ts"] for m in limited["messages"]] == ts[::-1][:3]
    assert limited["has_more"] is True

    window = client.conversations_history(channel="C0GENERAL", oldest=ts[2], latest=ts[6])
    assert [m["ts"] for m in window["messages"]] == ts[3:6][::-1]

    inclusive = client.conversations_history(
        channel="C0GENERAL", oldest=ts[2], latest=ts[6], inclusive=True
    )
    assert [m["ts"] for m in inclusive["messages"]] == ts[2:7][::-1]

    paged = _pages(client.conversations_history(channel="C0GENERAL", oldest=ts[4], limit=2))
    assert [m["ts"] for p in paged for m in p["messages"]] == ts[5:][::-1]


def test_history_rejects_a_bad_cursor(fake: FakeSlack, client: WebClient) -> None:
    fake.set_history("C0GENERAL", _messages(3))
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(channel="C0GENERAL", cursor="not a cursor!")
    assert excinfo.value.response["error"] == "invalid_cursor"


def test_replies_pagination_parent_first_then_oldest_first(
    fake: FakeSlack, client: WebClient
) -> None:
    parent_ts = "1700000000.000100"
    thread: list[dict[str, Any]] = [
        {
            "type": "message",
            "user": "U1",
            "text": "parent",
            "ts": parent_ts,
            "thread_ts": parent_ts,
            "reply_count": 7,
        },
        *[
            {
                "type": "message",
                "user": "U2",
                "text": f"r{i}",
                "ts": f"17000000{10 + i}.000100",
                "thread_ts": parent_ts,
                "parent_user_id": "U1",
            }
            for i in range(7)
        ],
    ]
    fake.set_replies("C0GENERAL", parent_ts, list(reversed(thread)), page_size=3)

    pages = _pages(client.conversations_replies(channel="C0GENERAL", ts=parent_ts))

    assert [p["has_more"] for p in pages] == [True, True, False]
    assert all(p["messages"][0]["ts"] == parent_ts for p in pages)
    replies = [m["text"] for p in pages for m in p["messages"][1:]]
    assert replies == [f"r{i}" for i in range(7)]


def test_replies_parent_can_be_on_the_first_page_only(fake: FakeSlack, client: WebClient) -> None:
    parent_ts = "1700000000.000100"
    thread = [{"ts": parent_ts, "thread_ts": parent_ts, "text": "p"}] + [
        {"ts": f"170000001{i}.000100", "thread_ts": parent_ts, "text": f"r{i}"} for i in range(4)
    ]
    fake.set_replies("C0GENERAL", parent_ts, thread, page_size=2, parent_on_every_page=False)

    pages = _pages(client.conversations_replies(channel="C0GENERAL", ts=parent_ts))

    texts = [m["text"] for p in pages for m in p["messages"]]
    assert texts == ["p", "r0", "r1", "r2", "r3"]


# ---------------------------------------------------------------------- uploads


def test_files_upload_v2_completes_and_records_the_upload(
    fake: FakeSlack, client: WebClient
) -> None:
    content = b"label,count\ncontempt,3\n"

    response = client.files_upload_v2(
        channel="C0GENERAL", content=content, filename="report.csv", title="Report"
    )

    assert response["ok"] is True
    assert response["file"]["title"] == "Report"
    [url_call] = fake.calls_to("files.getUploadURLExternal")
    assert url_call.params["filename"] == "report.csv"
    assert url_call.params["length"] == str(len(content))
    [upload] = fake.calls_to("upload")
    assert upload.body == content
    assert upload.params["file_id"] == response["file"]["id"]
    [complete] = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == "C0GENERAL"
    assert json.loads(complete.params["files"]) == [
        {"id": response["file"]["id"], "title": "Report"}
    ]


def test_a_failing_upload_url_fails_files_upload_v2(fake: FakeSlack, client: WebClient) -> None:
    fake.server_error("upload", status=500)
    with pytest.raises((SlackRequestError, urllib.error.HTTPError)):
        client.files_upload_v2(channel="C0GENERAL", content=b"x", filename="x.txt")
    assert fake.calls_to("files.completeUploadExternal") == []


# ---------------------------------------------------------------------- lifecycle


def test_stop_closes_the_port() -> None:
    fake = FakeSlack().start()
    url = fake.url
    fake.stop()
    fake.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}api.test", timeout=1)


def test_response_url_and_post_helper(fake: FakeSlack) -> None:
    status, headers, body = post(
        fake.response_url("cmd"), b'{"text": "done"}', {"Content-Type": "application/json"}
    )
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"ok": True}
    [call] = fake.calls_to("response_url")
    assert call.params == {"text": "done", "_name": "cmd"}

    status, _, _ = post(f"{fake.base_url}/nowhere", b"", {})
    assert status == 404


# ---------------------------------------------------------------------- signed requests


def test_signed_headers_verify() -> None:
    body = event_body({"type": "message", "text": "hi", "channel": "C0GENERAL"})
    headers = signed_headers(body, SECRET)
    verifier = SignatureVerifier(SECRET)

    assert headers["Content-Type"] == "application/json"
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + b" ", headers)
    stale = signed_headers(body, SECRET, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_signed_headers_match_slacks_documented_vector() -> None:
    vector = json.loads((REAL_WORLD / "signing" / "slack_docs_signature_vector.json").read_text())
    headers = signed_headers(
        vector["body"].encode(), vector["signing_secret"], timestamp=int(vector["timestamp"])
    )
    assert headers["X-Slack-Signature"] == vector["expected_signature"]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_event_body_is_an_event_callback_envelope() -> None:
    event = {"type": "message", "channel": "C0GENERAL", "user": "U0AUTHOR1", "text": "hi"}
    first = json.loads(event_body(event))
    second = json.loads(event_body(event))

    assert first["type"] == "event_callback"
    assert first["event"] == event
    assert first["team_id"] == TEAM_ID
    assert first["api_app_id"] == "A0TEST001"
    assert first["event_id"].startswith("Ev")
    assert first["event_id"] != second["event_id"]
    assert isinstance(first["event_time"], int)
    assert first["authorizations"][0]["user_id"] == BOT_USER_ID
    assert json.loads(event_body(event, event_id="Ev1", event_time=5))["event_id"] == "Ev1"


def test_command_body_is_slash_command_form() -> None:
    fields = parse_qs(command_body(text="help me", response_url="http://x/r").decode())

    assert fields["command"] == ["/undertone"]
    assert fields["text"] == ["help me"]
    assert fields["user_id"] == ["U0AUTHOR1"]
    assert fields["channel_id"] == ["C0GENERAL"]
    assert fields["team_id"] == [TEAM_ID]
    assert fields["response_url"] == ["http://x/r"]
    assert fields["trigger_id"][0]


def test_block_action_body_is_a_payload_field() -> None:
    body = block_action_body(
        "undertone_dismiss", "obs-1", user_id="U0AUTHOR1", channel_id="C0GENERAL"
    )
    payload = json.loads(parse_qs(body.decode())["payload"][0])

    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0AUTHOR1"
    assert payload["channel"]["id"] == "C0GENERAL"
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload
    [action] = payload["actions"]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "undertone_dismiss",
        "obs-1",
        "b",
    )

    shared = block_action_body(
        "a",
        "v",
        user_id="U1",
        channel_id="C1",
        container={
            "type": "message",
            "message_ts": "1.2",
            "channel_id": "C1",
            "is_ephemeral": False,
        },
    )
    assert json.loads(parse_qs(shared.decode())["payload"][0])["message"]["ts"] == "1.2"


def test_a_bolt_app_accepts_the_signed_requests_and_calls_the_fake(fake: FakeSlack) -> None:
    from slack_bolt import App, BoltRequest

    app = App(
        client=WebClient(token="xoxb-test", base_url=fake.url),
        signing_secret=SECRET,
        process_before_response=True,
    )
    seen: list[str] = []

    @app.event("message")
    def on_message(event: dict[str, Any], client: WebClient) -> None:
        client.chat_postEphemeral(channel=event["channel"], user=event["user"], text="hey")

    @app.command("/undertone")
    def on_command(ack: Any, respond: Any) -> None:
        ack()
        respond("later")

    @app.action("undertone_dismiss")
    def on_action(ack: Any, body: dict[str, Any]) -> None:
        ack()
        seen.append(body["actions"][0]["value"])

    event = {
        "type": "message",
        "channel": "C0GENERAL",
        "user": "U0AUTHOR1",
        "text": "hi",
        "ts": "1700000000.000100",
        "event_ts": "1700000000.000100",
        "channel_type": "channel",
    }
    bodies = [
        event_body(event),
        command_body(response_url=fake.response_url("cmd")),
        block_action_body(
            "undertone_dismiss", "obs-1", user_id="U0AUTHOR1", channel_id="C0GENERAL"
        ),
    ]

    def signed(body: bytes, secret: str = SECRET) -> BoltRequest:
        headers: dict[str, str | Sequence[str]] = {**signed_headers(body, secret)}
        return BoltRequest(body=body.decode(), headers=headers)

    for body in bodies:
        response = app.dispatch(signed(body))
        assert response.status == 200, response.body
    forged = app.dispatch(signed(bodies[0], "wrong-secret"))

    assert forged.status == 401
    assert fake.calls_to("chat.postEphemeral")[0].params["user"] == "U0AUTHOR1"
    assert fake.calls_to("response_url")[0].params["text"] == "later"
    assert seen == ["obs-1"]
