"""Turn a Slack message (from an event, the history API or an export) into what we classify.

Only words a person wrote count: bot and app messages, joins, topic changes and other
system messages are skipped, and for file uploads only the uploader's comment is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Subtypes that carry a person's own words. Everything else is a system or app message.
HUMAN_SUBTYPES = frozenset({"", "thread_broadcast", "file_share", "me_message", "file_comment"})
_LEGACY_UPLOAD = re.compile(r"^<@[UW][A-Z0-9]+(?:\|[^>]*)?> uploaded a file:")


@dataclass(frozen=True)
class SlackMessage:
    """A person's message, ready to classify. `text` is raw mrkdwn, never stored."""

    channel_id: str
    ts: str
    user_id: str
    text: str
    thread_ts: str | None = None


@dataclass(frozen=True)
class Skipped:
    """Why a message is not classified."""

    reason: str


def normalize(
    message: dict[str, Any], *, channel_id: str, bot_user_id: str | None = None
) -> SlackMessage | Skipped:
    """Return the message to classify, or why it is skipped."""
    subtype = message.get("subtype") or ""
    if subtype not in HUMAN_SUBTYPES:
        return Skipped(f"subtype {subtype}")
    if message.get("bot_id") or message.get("bot_profile"):
        return Skipped("bot message")
    if message.get("hidden"):
        return Skipped("hidden")
    ts = message.get("ts")
    if not isinstance(ts, str) or not _valid_ts(ts):
        return Skipped("no ts")
    user, text = _author_and_text(message, subtype)
    if not user:
        return Skipped("no author")
    if bot_user_id and user == bot_user_id:
        return Skipped("our own message")
    if not text.strip():
        return Skipped("no text")
    thread_ts = message.get("thread_ts")
    return SlackMessage(
        channel_id=channel_id,
        ts=ts,
        user_id=user,
        text=text,
        thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts != ts else None,
    )


def _valid_ts(ts: str) -> bool:
    try:
        return float(ts) > 0
    except ValueError:
        return False


def _author_and_text(message: dict[str, Any], subtype: str) -> tuple[str, str]:
    user = str(message.get("user") or "")
    text = message.get("text")
    text = text if isinstance(text, str) else ""
    if subtype == "file_comment":
        comment = message.get("comment") or {}
        return str(comment.get("user") or user), str(comment.get("comment") or "")
    if subtype == "file_share" and (message.get("upload") or _LEGACY_UPLOAD.match(text)):
        # Old exports: the text is "<@U> uploaded a file: …"; the words are the comment.
        files = [message.get("file") or {}, *(message.get("files") or [])]
        for file in files:
            initial = file.get("initial_comment") if isinstance(file, dict) else None
            if isinstance(initial, dict) and initial.get("comment"):
                return user, str(initial["comment"])
        return user, ""
    if not text.strip():
        text = rich_text_to_mrkdwn(message.get("blocks") or [])
    return user, text


def rich_text_to_mrkdwn(blocks: list[Any]) -> str:
    """Rebuild message text from `rich_text` blocks, for messages whose `text` is empty."""
    parts: list[str] = []

    def element(node: dict[str, Any]) -> None:
        kind = node.get("type")
        if kind == "text":
            parts.append(_escape(str(node.get("text", ""))))
        elif kind == "link":
            url = str(node.get("url", ""))
            label = node.get("text")
            parts.append(f"<{url}|{_escape(str(label))}>" if label else f"<{url}>")
        elif kind == "user":
            parts.append(f"<@{node.get('user_id', '')}>")
        elif kind == "channel":
            parts.append(f"<#{node.get('channel_id', '')}>")
        elif kind == "usergroup":
            parts.append(f"<!subteam^{node.get('usergroup_id', '')}>")
        elif kind == "broadcast":
            parts.append(f"<!{node.get('range', 'here')}>")
        elif kind == "emoji":
            parts.append(f":{node.get('name', '')}:")
        elif kind == "rich_text_preformatted":
            parts.append("```")
            for child in node.get("elements") or []:
                element(child)
            parts.append("```\n")
        elif kind == "rich_text_quote":
            quoted: list[str] = []
            before = len(parts)
            for child in node.get("elements") or []:
                element(child)
            quoted = parts[before:]
            del parts[before:]
            parts.extend("&gt; " + line + "\n" for line in "".join(quoted).split("\n") if line)
        elif kind in ("rich_text_section", "rich_text_list", "rich_text"):
            for child in node.get("elements") or []:
                if isinstance(child, dict):
                    element(child)
            if kind != "rich_text":
                parts.append("\n")
        # Unknown element types (dates, colours, canvases…) carry no words; skip them.

    for block in blocks:
        if isinstance(block, dict) and block.get("type") == "rich_text":
            element(block)
    return "".join(parts).strip()


def _escape(text: str) -> str:
    # Blocks are not escaped; `text` is. Escape so one preparation step serves both.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
