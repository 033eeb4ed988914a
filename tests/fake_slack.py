"""A fake Slack Web API on 127.0.0.1, for end-to-end tests.

``FakeSlack`` is a real HTTP server. Point a real ``slack_sdk.WebClient`` (or a Bolt ``App``)
at it with ``WebClient(token="xoxb-test", base_url=fake.url)`` and the client goes through its
whole stack: request encoding, HTTP, status handling, retry handlers, JSON decoding.

What it does, in the order a request meets it:

1. Every request is recorded as a :class:`Call` (``fake.calls``, ``fake.calls_to(method)``,
   ``fake.wait_for(method)``), whatever the answer is.
2. ``/api/<method>`` checks the token the way Slack does: none gives ``not_authed``,
   ``xoxb-invalid`` (or anything not shaped like a token) gives ``invalid_auth``; an app-level
   ``xapp-`` token works only for ``apps.connections.open`` and a bot or user token does not.
   All of these are HTTP 200 with ``ok: false``, as Slack answers.
3. A scripted answer queued with :meth:`FakeSlack.respond` (or ``rate_limit``, ``server_error``,
   ``error``) is used next, first in first out per method.
4. Otherwise a canned default shaped like Slack's real answer (see ``_DEFAULTS``); unknown
   methods answer ``{"ok": true}``. :meth:`FakeSlack.set_default` replaces one.

``conversations.history`` and ``conversations.replies`` serve message lists given with
:meth:`FakeSlack.set_history` / :meth:`FakeSlack.set_replies` with real cursor pagination.

Besides ``/api/``, the server takes file bytes at ``/upload/<file_id>`` (the ``upload_url`` that
``files.getUploadURLExternal`` hands out; recorded as method ``"upload"``) and posts to
``/response/<name>`` (use :meth:`FakeSlack.response_url` as a slash command's or action's
``response_url``; recorded as method ``"response_url"`` with the name in ``params["_name"]``).
Both can be scripted like any method (``fake.server_error("upload")``).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "TEAM_NAME",
    "Call",
    "DefaultBody",
    "FakeSlack",
]

TEAM_ID = "T0TEST001"
TEAM_NAME = "Undertone Test"
TEAM_DOMAIN = "undertone-test"
APP_ID = "A0TEST001"
BOT_USER_ID = "UBOT00001"
BOT_ID = "BBOT00001"
BOT_NAME = "undertone"

# Methods Slack answers without a bearer token (OAuth uses client credentials instead).
_NO_TOKEN_METHODS = frozenset(
    {"api.test", "oauth.access", "oauth.v2.access", "oauth.v2.exchange", "openid.connect.token"}
)
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})

Params = dict[str, Any]
DefaultBody = Mapping[str, Any] | Callable[[Params], Mapping[str, Any]]
"""A canned answer: a fixed JSON object, or a function of the request's params."""


@dataclass(frozen=True)
class Call:
    """One request the fake received.

    ``params`` merges the query string with the body: form fields as strings (a repeated field
    becomes a list), a JSON body as decoded, multipart fields as strings and files as bytes.
    ``headers`` has lower-case names. ``at`` is ``time.time()`` on arrival.
    """

    method: str
    params: Params
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


@dataclass
class _Scripted:
    reply: _Reply
    remaining: int


@dataclass
class _Timeline:
    messages: list[dict[str, Any]]
    page_size: int
    parent_on_every_page: bool = True


class _HistoryError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _json_reply(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> _Reply:
    return _Reply(
        status=status,
        body=json.dumps(body).encode("utf-8"),
        content_type="application/json; charset=utf-8",
        headers=dict(headers or {}),
    )


class FakeSlack(ThreadingHTTPServer):
    """A fake Slack Web API served from a daemon thread on 127.0.0.1 (a free port).

    Use as ``with FakeSlack() as fake: ...`` or ``fake = FakeSlack().start(); ...; fake.stop()``.
    """

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._scripted: dict[str, deque[_Scripted]] = {}
        self._defaults: dict[str, DefaultBody] = {}
        self._history: dict[str, _Timeline] = {}
        self._replies: dict[tuple[str, str], _Timeline] = {}
        self._uploads: dict[str, dict[str, Any]] = {}
        self._last_ts_us = 0
        self._serial = 0
        self._thread: threading.Thread | None = None
        host, port = self.server_address[:2]
        self.host: str = str(host)
        self.port: int = int(port)
        self.base_url: str = f"http://{self.host}:{self.port}"
        self.url: str = f"{self.base_url}/api/"
        """The Web API base URL, for ``WebClient(base_url=...)``."""
        self.ws_url: str = self._default_ws_url()
        """What ``apps.connections.open`` hands out as the Socket Mode URL."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Serve from a daemon thread; returns self."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"FakeSlack:{self.port}",
                    daemon=True,
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket. Safe to call twice."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self.shutdown()
            thread.join(timeout=5)
        self.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a timeout test, say) is not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every call so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The calls to one method (``"chat.postMessage"``, ``"upload"``...), oldest first."""
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until at least ``count`` calls to ``method`` arrived; return them.

        Raises AssertionError naming what did arrive if they do not come within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                arrived = [call.method for call in self.calls]
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, got {len(found)}; "
                    f"calls that arrived: {arrived}"
                )
            time.sleep(0.01)

    def reset(self) -> None:
        """Forget calls, scripted answers, replaced defaults, history and replies."""
        with self._lock:
            self._calls.clear()
            self._scripted.clear()
            self._defaults.clear()
            self._history.clear()
            self._replies.clear()
            self._uploads.clear()
            self.ws_url = self._default_ws_url()

    # ------------------------------------------------------------------ scripting

    def respond(
        self,
        method: str,
        body: Mapping[str, Any],
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Queue a JSON answer for ``method``, used ``times`` times before defaults resume."""
        self._queue(method, _json_reply(body, status, headers), times)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``."""
        self.respond(
            method,
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(retry_after)},
            times=times,
        )

    def server_error(self, method: str, status: int = 500, times: int = 1) -> None:
        """Answer an HTTP error with an HTML page, as a proxy or load balancer would."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        page = (
            f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n"
            f"<body>\r\n<center><h1>{status} {phrase}</h1></center>\r\n</body>\r\n</html>\r\n"
        )
        reply = _Reply(status, page.encode("utf-8"), "text/html; charset=utf-8", {})
        self._queue(method, reply, times)

    def error(
        self, method: str, error: str = "channel_not_found", *, times: int = 1, **extra: Any
    ) -> None:
        """Answer HTTP 200 ``{"ok": false, "error": error, **extra}`` (e.g. ``needed=...``)."""
        self.respond(method, {"ok": False, "error": error, **extra}, times=times)

    def set_default(self, method: str, body: DefaultBody) -> None:
        """Replace the canned answer of ``method``: a JSON object or a function of params."""
        with self._lock:
            self._defaults[method] = body

    def set_history(
        self, channel: str, messages: list[dict[str, Any]], page_size: int = 100
    ) -> None:
        """Serve ``messages`` from ``conversations.history`` for ``channel``.

        Served newest first with cursor pagination; ``oldest``, ``latest``, ``inclusive``,
        ``limit`` (capped at ``page_size``) and ``cursor`` are honoured. As in Slack, thread
        replies (``thread_ts`` != ``ts``) are left out unless they are ``thread_broadcast``.
        """
        ordered = sorted(
            (copy.deepcopy(m) for m in messages), key=lambda m: _ts_key(m), reverse=True
        )
        with self._lock:
            self._history[channel] = _Timeline(ordered, _positive(page_size, "page_size"))

    def set_replies(
        self,
        channel: str,
        thread_ts: str,
        messages: list[dict[str, Any]],
        page_size: int = 100,
        *,
        parent_on_every_page: bool = True,
    ) -> None:
        """Serve ``messages`` from ``conversations.replies`` for the thread ``thread_ts``.

        The parent (the message whose ``ts`` is ``thread_ts``, if given) comes first, then the
        replies oldest first, ``page_size`` replies a page. By default the parent heads every
        page, so code under test has to avoid counting it twice; with
        ``parent_on_every_page=False`` it is on the first page only. ``oldest``/``latest``/
        ``inclusive`` filter the replies, never the parent.
        """
        ordered = sorted((copy.deepcopy(m) for m in messages), key=lambda m: _ts_key(m))
        with self._lock:
            self._replies[(channel, thread_ts)] = _Timeline(
                ordered, _positive(page_size, "page_size"), parent_on_every_page
            )

    def response_url(self, name: str = "default") -> str:
        """A ``response_url`` served by this fake; posts to it are calls to ``"response_url"``."""
        return f"{self.base_url}/response/{name}"

    # ------------------------------------------------------------------ internals

    def _default_ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/link/?ticket=fake-ticket&app_id={APP_ID}"

    def _queue(self, method: str, reply: _Reply, times: int) -> None:
        with self._lock:
            self._scripted.setdefault(method, deque()).append(
                _Scripted(reply, _positive(times, "times"))
            )

    def _next_scripted(self, method: str) -> _Reply | None:
        with self._lock:
            queue = self._scripted.get(method)
            if not queue:
                return None
            head = queue[0]
            head.remaining -= 1
            if head.remaining <= 0:
                queue.popleft()
            return head.reply

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _next_ts(self) -> str:
        with self._lock:
            now_us = int(time.time() * 1_000_000)
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            us = self._last_ts_us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._serial += 1
            return f"{prefix}0FAKE{self._serial:04d}"

    def _api(self, method: str, params: Params, headers: Mapping[str, str]) -> _Reply:
        if method not in _NO_TOKEN_METHODS:
            problem = _token_problem(method, params, headers)
            if problem is not None:
                return _json_reply({"ok": False, "error": problem})
        scripted = self._next_scripted(method)
        if scripted is not None:
            return scripted
        with self._lock:
            override = self._defaults.get(method)
        if override is not None:
            body = override(params) if callable(override) else override
            return _json_reply(copy.deepcopy(dict(body)))
        handler = _DEFAULTS.get(method)
        if handler is None:
            return _json_reply({"ok": True})
        try:
            return _json_reply(handler(self, params))
        except _HistoryError as exc:
            return _json_reply({"ok": False, "error": exc.error})

    def _upload(self, file_id: str, body: bytes) -> _Reply:
        scripted = self._next_scripted("upload")
        if scripted is not None:
            return scripted
        with self._lock:
            if file_id in self._uploads:
                self._uploads[file_id]["uploaded"] = len(body)
        return _Reply(200, f"OK - {len(body)}".encode(), "text/plain; charset=utf-8", {})

    def _response_url(self) -> _Reply:
        scripted = self._next_scripted("response_url")
        return scripted if scripted is not None else _json_reply({"ok": True})

    # ---- canned answers

    def _auth_test(self, params: Params) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _bot_message(self, params: Params, ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "user": BOT_USER_ID,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": params.get("text") or "",
            "team": TEAM_ID,
            "bot_profile": {
                "id": BOT_ID,
                "app_id": APP_ID,
                "name": BOT_NAME,
                "icons": {},
                "deleted": False,
                "updated": 1700000000,
                "team_id": TEAM_ID,
            },
        }
        for key in ("blocks", "attachments", "metadata"):
            value = _json_field(params.get(key))
            if value:
                message[key] = value
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
            message["parent_user_id"] = BOT_USER_ID
        return message

    def _chat_post_message(self, params: Params) -> dict[str, Any]:
        ts = self._next_ts()
        return {
            "ok": True,
            "channel": _conversation_for(str(params.get("channel", ""))),
            "ts": ts,
            "message": self._bot_message(params, ts),
        }

    def _chat_post_ephemeral(self, params: Params) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, params: Params) -> dict[str, Any]:
        ts = str(params.get("ts", ""))
        message = self._bot_message(params, ts)
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": str(params.get("channel", "")),
            "ts": ts,
            "text": params.get("text") or "",
            "message": message,
        }

    def _chat_delete(self, params: Params) -> dict[str, Any]:
        return {"ok": True, "channel": params.get("channel", ""), "ts": params.get("ts", "")}

    def _chat_get_permalink(self, params: Params) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        ts = str(params.get("message_ts", "")).replace(".", "")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts}",
        }

    def _conversations_info(self, params: Params) -> dict[str, Any]:
        channel_id = str(params.get("channel", ""))
        if channel_id.startswith("D"):
            return {
                "ok": True,
                "channel": {
                    "id": channel_id,
                    "created": 1700000000,
                    "is_archived": False,
                    "is_im": True,
                    "is_org_shared": False,
                    "context_team_id": TEAM_ID,
                    "updated": 1700000000000,
                    "user": "U" + channel_id[1:],
                    "is_user_deleted": False,
                    "priority": 0,
                },
            }
        is_private = channel_id.startswith("G")
        name = channel_id.lower().removeprefix("c0").removeprefix("g0") or "channel"
        return {
            "ok": True,
            "channel": {
                "id": channel_id,
                "name": name,
                "is_channel": not is_private,
                "is_group": is_private,
                "is_im": False,
                "is_mpim": False,
                "is_private": is_private,
                "created": 1700000000,
                "is_archived": False,
                "is_general": name == "general",
                "unlinked": 0,
                "name_normalized": name,
                "is_shared": False,
                "is_org_shared": False,
                "is_pending_ext_shared": False,
                "pending_shared": [],
                "context_team_id": TEAM_ID,
                "updated": 1700000000000,
                "parent_conversation": None,
                "creator": "U0CREATOR",
                "is_ext_shared": False,
                "shared_team_ids": [TEAM_ID],
                "pending_connected_team_ids": [],
                "is_member": True,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
                "previous_names": [],
                "num_members": 3,
            },
        }

    def _conversations_open(self, params: Params) -> dict[str, Any]:
        if params.get("channel"):
            channel = {"id": str(params["channel"])}
            return {"ok": True, "no_op": True, "already_open": True, "channel": channel}
        users = [u.strip() for u in str(params.get("users", "")).split(",") if u.strip()]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) == 1:
            channel_id = _conversation_for(users[0])
        else:
            channel_id = "G" + "".join(u[1:4] for u in users)[:10].upper()
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}

    def _conversations_history(self, params: Params) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        with self._lock:
            timeline = self._history.get(channel)
        body: dict[str, Any] = {
            "ok": True,
            "messages": [],
            "has_more": False,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        if params.get("latest"):
            body["latest"] = str(params["latest"])
        if timeline is None:
            return body
        top_level = [m for m in timeline.messages if _is_top_level(m)]
        window = _window(top_level, params)
        size = _page_size(params, timeline.page_size)
        start = _cursor_start(params.get("cursor"), window, newest_first=True)
        page = window[start : start + size]
        body["messages"] = copy.deepcopy(page)
        if start + size < len(window):
            body["has_more"] = True
            body["response_metadata"] = {"next_cursor": _cursor(window[start + size])}
        return body

    def _conversations_replies(self, params: Params) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        thread_ts = str(params.get("ts", ""))
        with self._lock:
            timeline = self._replies.get((channel, thread_ts))
        body: dict[str, Any] = {"ok": True, "messages": [], "has_more": False}
        if timeline is None:
            return body
        parents = [m for m in timeline.messages if str(m.get("ts")) == thread_ts]
        replies = _window([m for m in timeline.messages if str(m.get("ts")) != thread_ts], params)
        size = _page_size(params, timeline.page_size)
        start = _cursor_start(params.get("cursor"), replies, newest_first=False)
        page = replies[start : start + size]
        if parents and (start == 0 or timeline.parent_on_every_page):
            page = parents[:1] + page
        body["messages"] = copy.deepcopy(page)
        if start + size < len(replies):
            body["has_more"] = True
            body["response_metadata"] = {"next_cursor": _cursor(replies[start + size])}
        return body

    def _users_info(self, params: Params) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        is_bot = user_id == BOT_USER_ID
        name = BOT_NAME if is_bot else user_id.lower()
        real_name = "Undertone" if is_bot else f"Test User {user_id}"
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": "Europe/Amsterdam",
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "profile": {
                "title": "",
                "phone": "",
                "skype": "",
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": name,
                "display_name_normalized": name,
                "fields": None,
                "status_text": "",
                "status_emoji": "",
                "status_expiration": 0,
                "avatar_hash": "g0000000000",
                "first_name": real_name.split()[0],
                "last_name": real_name.split()[-1],
                "team": TEAM_ID,
            },
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "is_email_confirmed": not is_bot,
            "who_can_share_contact_card": "EVERYONE",
        }
        if is_bot:
            user["profile"]["bot_id"] = BOT_ID
            user["profile"]["api_app_id"] = APP_ID
        if _truthy(params.get("include_locale")):
            user["locale"] = "en-US"
        return {"ok": True, "user": user}

    def _view(self, params: Params) -> dict[str, Any]:
        view = _json_field(params.get("view"))
        view = dict(view) if isinstance(view, Mapping) else {}
        view_id = str(params.get("view_id") or self._next_id("V"))
        return {
            "ok": True,
            "view": {
                "id": view_id,
                "team_id": TEAM_ID,
                "type": view.get("type", "home"),
                "blocks": view.get("blocks", []),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "state": {"values": {}},
                "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
                "title": view.get("title", {"type": "plain_text", "text": "Undertone"}),
                "clear_on_close": False,
                "notify_on_close": False,
                "close": view.get("close"),
                "submit": view.get("submit"),
                "previous_view_id": None,
                "root_view_id": view_id,
                "app_id": APP_ID,
                "external_id": view.get("external_id", ""),
                "app_installed_team_id": TEAM_ID,
                "bot_id": BOT_ID,
            },
        }

    def _team_info(self, params: Params) -> dict[str, Any]:
        return {
            "ok": True,
            "team": {
                "id": TEAM_ID,
                "name": TEAM_NAME,
                "url": f"https://{TEAM_DOMAIN}.slack.com/",
                "domain": TEAM_DOMAIN,
                "email_domain": "",
                "icon": {
                    "image_default": True,
                    "image_34": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-34.png",
                    "image_44": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-44.png",
                },
                "avatar_base_url": "https://ca.slack-edge.com/",
                "is_verified": False,
                "lob_sales_home_enabled": False,
                "is_sfdc_auto_slack": False,
            },
        }

    def _files_get_upload_url(self, params: Params) -> dict[str, Any]:
        file_id = self._next_id("F")
        with self._lock:
            self._uploads[file_id] = {
                "filename": str(params.get("filename", "")),
                "length": params.get("length"),
            }
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: Params) -> dict[str, Any]:
        requested = _json_field(params.get("files"))
        if not isinstance(requested, list) or not requested:
            return {"ok": False, "error": "invalid_arguments"}
        files = []
        for item in requested:
            file_id = str(item.get("id", "")) if isinstance(item, Mapping) else ""
            with self._lock:
                known = self._uploads.get(file_id)
            if known is None:
                return {"ok": False, "error": "file_not_found"}
            name = known["filename"] or "file"
            files.append(
                {
                    "id": file_id,
                    "created": int(time.time()),
                    "timestamp": int(time.time()),
                    "name": name,
                    "title": str(item.get("title") or name),
                    "mimetype": "",
                    "filetype": "",
                    "pretty_type": "",
                    "user": BOT_USER_ID,
                    "user_team": TEAM_ID,
                    "editable": False,
                    "size": known.get("uploaded", 0),
                    "mode": "hosted",
                    "is_external": False,
                    "external_type": "",
                    "is_public": False,
                    "public_url_shared": False,
                    "display_as_bot": False,
                    "username": "",
                    "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{file_id}/{name}",
                    "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{file_id}/{name}",
                    "comments_count": 0,
                    "shares": {},
                    "channels": [],
                    "groups": [],
                    "ims": [],
                    "has_more_shares": False,
                }
            )
        return {"ok": True, "files": files}

    def _apps_connections_open(self, params: Params) -> dict[str, Any]:
        with self._lock:
            return {"ok": True, "url": self.ws_url}


_DEFAULTS: dict[str, Callable[[FakeSlack, Params], dict[str, Any]]] = {
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._chat_post_message,
    "chat.postEphemeral": FakeSlack._chat_post_ephemeral,
    "chat.update": FakeSlack._chat_update,
    "chat.delete": FakeSlack._chat_delete,
    "chat.getPermalink": FakeSlack._chat_get_permalink,
    "conversations.info": FakeSlack._conversations_info,
    "conversations.open": FakeSlack._conversations_open,
    "conversations.history": FakeSlack._conversations_history,
    "conversations.replies": FakeSlack._conversations_replies,
    "users.info": FakeSlack._users_info,
    "views.publish": FakeSlack._view,
    "views.open": FakeSlack._view,
    "views.update": FakeSlack._view,
    "views.push": FakeSlack._view,
    "team.info": FakeSlack._team_info,
    "files.getUploadURLExternal": FakeSlack._files_get_upload_url,
    "files.completeUploadExternal": FakeSlack._files_complete_upload,
    "apps.connections.open": FakeSlack._apps_connections_open,
}


class _Handler(BaseHTTPRequestHandler):
    server: FakeSlack
    protocol_version = "HTTP/1.1"
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output clean

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        fake = self.server
        received = time.time()
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        split = urlsplit(self.path)
        params = _parse_params(split.query, headers.get("content-type", ""), body)
        path = unquote(split.path)

        if path.startswith("/api/") and len(path) > len("/api/"):
            method = path[len("/api/") :]
            fake._record(Call(method, params, headers, body, received))
            try:
                reply = fake._api(method, params, headers)
            except Exception as exc:  # noqa: BLE001 - a broken set_default function: say so, do not hang up
                text = f"FakeSlack failed answering {method}: {exc!r}".encode()
                reply = _Reply(500, text, "text/plain; charset=utf-8", {})
        elif path.startswith("/upload/") and self.command in ("POST", "PUT"):
            file_id = path[len("/upload/") :]
            fake._record(Call("upload", {"file_id": file_id, **params}, headers, body, received))
            reply = fake._upload(file_id, body)
        elif path.startswith("/response/") and self.command == "POST":
            name = path[len("/response/") :]
            fake._record(Call("response_url", {**params, "_name": name}, headers, body, received))
            reply = fake._response_url()
        else:
            reply = _Reply(404, b"Not Found", "text/plain; charset=utf-8", {})
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("X-Slack-Req-Id", uuid.uuid4().hex)
        self.send_header("Connection", "close")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
        self.close_connection = True


# ---------------------------------------------------------------------- helpers


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def _parse_params(query: str, content_type: str, body: bytes) -> Params:
    params: Params = _flatten(parse_qs(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(decoded)
    elif kind == "application/x-www-form-urlencoded" and body:
        text = body.decode("utf-8", errors="replace")
        params.update(_flatten(parse_qs(text, keep_blank_values=True)))
    elif kind == "multipart/form-data" and body:
        params.update(_parse_multipart(content_type, body))
    return params


def _flatten(multi: Mapping[str, list[str]]) -> Params:
    return {key: values[0] if len(values) == 1 else values for key, values in multi.items()}


def _parse_multipart(content_type: str, body: bytes) -> Params:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    params: Params = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        params[name] = raw if part.get_filename() else raw.decode("utf-8", errors="replace")
    return params


def _token_problem(method: str, params: Params, headers: Mapping[str, str]) -> str | None:
    token = ""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[len("bearer ") :].strip()
    if not token and isinstance(params.get("token"), str):
        token = params["token"].strip()
    if not token:
        return "not_authed"
    if token == "xoxb-invalid" or not token.startswith(("xox", "xapp-")):
        return "invalid_auth"
    is_app_token = token.startswith("xapp-")
    if is_app_token != (method in _APP_TOKEN_METHODS):
        return "not_allowed_token_type"
    return None


def _conversation_for(channel: str) -> str:
    """Slack answers a post to a user ID with the DM's ID."""
    if channel[:1] in ("U", "W") and len(channel) > 1:
        return "D" + channel[1:]
    return channel


def _json_field(value: Any) -> Any:
    """Form bodies carry blocks, views and file lists as JSON strings."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _ts_key(message: Mapping[str, Any]) -> Decimal:
    try:
        return Decimal(str(message["ts"]))
    except (KeyError, InvalidOperation) as exc:
        raise ValueError(f"every message needs a ts like '1700000000.000100': {message!r}") from exc


def _param_ts(value: Any, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise _HistoryError(f"invalid_ts_{name}") from exc


def _is_top_level(message: Mapping[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return (
        thread_ts is None
        or str(thread_ts) == str(message.get("ts"))
        or message.get("subtype") == "thread_broadcast"
    )


def _window(messages: list[dict[str, Any]], params: Params) -> list[dict[str, Any]]:
    oldest = _param_ts(params.get("oldest"), "oldest")
    latest = _param_ts(params.get("latest"), "latest")
    inclusive = _truthy(params.get("inclusive"))
    kept = []
    for message in messages:
        ts = _ts_key(message)
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            continue
        if latest is not None and (ts > latest or (ts == latest and not inclusive)):
            continue
        kept.append(message)
    return kept


def _page_size(params: Params, page_size: int) -> int:
    try:
        limit = int(params.get("limit") or 0)
    except (TypeError, ValueError):
        limit = 0
    return min(limit, page_size) if limit > 0 else page_size


def _cursor(message: Mapping[str, Any]) -> str:
    return base64.b64encode(f"next_ts:{message['ts']}".encode()).decode()


def _cursor_start(cursor: Any, messages: list[dict[str, Any]], *, newest_first: bool) -> int:
    if not cursor:
        return 0
    try:
        decoded = base64.b64decode(str(cursor), validate=True).decode()
        kind, _, ts_text = decoded.partition(":")
        target = Decimal(ts_text)
    except (binascii.Error, UnicodeDecodeError, InvalidOperation) as exc:
        raise _HistoryError("invalid_cursor") from exc
    if kind != "next_ts":
        raise _HistoryError("invalid_cursor")
    for index, message in enumerate(messages):
        ts = _ts_key(message)
        if (ts <= target) if newest_first else (ts >= target):
            return index
    return len(messages)
