"""Build signed requests the way Slack sends them to an app's ``/slack/events``.

Bodies follow the real payload shapes (see ``/work/shared/real-world/events/
java-slack-sdk-schema-samples``): an ``event_callback`` envelope for events, form fields for
slash commands, and a ``payload=`` form field holding JSON for block actions. Sign them with
:func:`signed_headers` and send them with :func:`post`.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

__all__ = [
    "FORM",
    "JSON",
    "block_action_body",
    "command_body",
    "event_body",
    "post",
    "signed_headers",
]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_BOT_USER_ID = "UBOT00001"
_TEAM_DOMAIN = "undertone-test"
_serial = itertools.count(1)


def _unique(prefix: str, length: int = 10) -> str:
    """A Slack-looking ID that is unique within the test run."""
    return f"{prefix}{next(_serial):04d}{secrets.token_hex(length).upper()}"[: len(prefix) + length]


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**11)}.{secrets.token_hex(16)}"


def _fresh_ts() -> str:
    now = time.time()
    return f"{int(now)}.{int(now * 1_000_000) % 1_000_000:06d}"


def signed_headers(
    body: bytes,
    secret: str,
    timestamp: int | None = None,
    content_type: str | None = None,
) -> dict[str, str]:
    """Slack's request headers for ``body``: content type, timestamp and ``v0=`` signature.

    ``timestamp`` defaults to now (pass an old one to test replay rejection). ``content_type``
    defaults to JSON when the body looks like a JSON object, else form-encoded.
    """
    if timestamp is None:
        timestamp = int(time.time())
    if content_type is None:
        content_type = JSON if body.lstrip().startswith(b"{") else FORM
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    if signature is None:  # only when timestamp or body is None
        raise ValueError("could not sign the request")
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


def event_body(
    event: Mapping[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = "T0TEST001",
    api_app_id: str = "A0TEST001",
    event_time: int | None = None,
) -> bytes:
    """An Events API ``event_callback`` envelope around ``event``, as JSON bytes.

    A fresh unique ``event_id`` is made when none is given (Bolt and Slack dedupe on it).
    """
    envelope = {
        "token": "fake-verification-token",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or _unique("Ev", 10),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": _BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_urlsafe(24)}",
    }
    return json.dumps(envelope).encode("utf-8")


def command_body(
    command: str = "/undertone",
    text: str = "",
    user_id: str = "U0AUTHOR1",
    channel_id: str = "C0GENERAL",
    team_id: str = "T0TEST001",
    response_url: str | None = None,
) -> bytes:
    """A slash command's form-encoded body.

    Pass ``FakeSlack.response_url()`` as ``response_url`` to catch what the app sends back;
    the default is shaped like Slack's but points at hooks.slack.com.
    """
    fields = {
        "token": "fake-verification-token",
        "team_id": team_id,
        "team_domain": _TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_id.lower().removeprefix("c0") or "channel",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0TEST001",
        "is_enterprise_install": "false",
        "response_url": response_url
        or f"https://hooks.slack.com/commands/{team_id}/{secrets.randbelow(10**12)}/fake",
        "trigger_id": _trigger_id(),
    }
    return urlencode(fields).encode("utf-8")


def block_action_body(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    team_id: str = "T0TEST001",
    response_url: str | None = None,
    block_id: str = "b",
    container: Mapping[str, Any] | None = None,
) -> bytes:
    """A ``block_actions`` payload for a button click, as the ``payload=`` form body.

    The default container is an ephemeral message in ``channel_id`` (what Undertone posts);
    Slack sends no ``message`` for those. Give a container with ``"is_ephemeral": False`` to
    get a ``message`` object with the container's ``message_ts``.
    """
    if container is None:
        container = {
            "type": "message",
            "message_ts": _fresh_ts(),
            "channel_id": channel_id,
            "is_ephemeral": True,
        }
    action_ts = _fresh_ts()
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": "A0TEST001",
        "token": "fake-verification-token",
        "container": dict(container),
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": _TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id.lower().removeprefix("c0")},
        "state": {"values": {}},
        "response_url": response_url
        or f"https://hooks.slack.com/actions/{team_id}/{secrets.randbelow(10**12)}/fake",
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }
    if container.get("type") == "message" and not container.get("is_ephemeral", False):
        payload["message"] = {
            "type": "message",
            "user": _BOT_USER_ID,
            "ts": container.get("message_ts", ""),
            "bot_id": "BBOT00001",
            "app_id": "A0TEST001",
            "text": "",
            "team": team_id,
            "blocks": [],
        }
    return urlencode({"payload": json.dumps(payload)}).encode("utf-8")


def post(
    url: str, body: bytes, headers: Mapping[str, str], timeout: float = 5
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to ``url``; return (status, lower-cased headers, body), errors included."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()
