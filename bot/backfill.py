"""History backfill: read a channel's past messages from Slack and run them through the
same path as live ones (never nudging anybody about the past)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.ingest.normalize import Skipped, SlackMessage, normalize
from bot.ingest.pipeline import Sink

log = logging.getLogger(__name__)

PAGE_SIZE = 200


@dataclass
class BackfillResult:
    """Counts for one channel."""

    channel_id: str
    read: int = 0
    classified: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


def with_rate_limit_retries(client: WebClient, attempts: int = 5) -> WebClient:
    """Make a client wait out `429`s (Slack's `Retry-After`) instead of failing."""
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=attempts))
    return client


def channel_messages(
    client: WebClient, channel_id: str, *, oldest: datetime
) -> Iterator[dict[str, Any]]:
    """Yield a channel's messages since `oldest`, thread replies included, page by page."""
    cursor: str | None = None
    while True:
        page = client.conversations_history(
            channel=channel_id, oldest=f"{oldest.timestamp():.6f}", limit=PAGE_SIZE, cursor=cursor
        )
        for message in page.get("messages") or []:
            yield message
            if int(message.get("reply_count") or 0) > 0:
                yield from _replies(client, channel_id, str(message["ts"]))
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return


def _replies(client: WebClient, channel_id: str, thread_ts: str) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        page = client.conversations_replies(
            channel=channel_id, ts=thread_ts, limit=PAGE_SIZE, cursor=cursor
        )
        for message in page.get("messages") or []:
            if message.get("ts") != thread_ts:  # the parent comes with every page
                yield message
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return


def backfill_channel(
    *,
    client: WebClient,
    pipeline: Sink,
    workspace_id: str,
    channel_id: str,
    days: int,
    bot_user_id: str | None = None,
    batch_size: int = 256,
    progress: Callable[[int], None] = lambda _: None,
) -> BackfillResult:
    """Classify and store the last `days` days of one channel."""
    result = BackfillResult(channel_id)
    oldest = datetime.now(UTC) - timedelta(days=days)
    batch: list[SlackMessage] = []

    def flush() -> None:
        outcome = pipeline.process(batch, workspace_id=workspace_id, source="backfill")
        result.classified += len(outcome.classified)
        for reason, count in outcome.skipped.items():
            result.skipped[reason] = result.skipped.get(reason, 0) + count
        progress(len(batch))
        batch.clear()

    for raw in channel_messages(client, channel_id, oldest=oldest):
        result.read += 1
        message = normalize(raw, channel_id=channel_id, bot_user_id=bot_user_id)
        if isinstance(message, Skipped):
            result.skipped[message.reason] = result.skipped.get(message.reason, 0) + 1
            progress(1)
            continue
        batch.append(message)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return result
