"""The outbox: queue a Slack call in the same transaction as the decision to make it,
then send it reliably, however Slack answers.

- `429` waits exactly as long as Slack's `Retry-After` says.
- `5xx`, network errors and Slack's transient errors retry with exponential backoff.
- Permanent errors (`channel_not_found`, `not_in_channel`, `user_not_found`, …) drop the
  message with a log line; retrying them would never succeed.
- Rows are claimed with a lease, so a crash mid-send re-sends after the lease expires and
  several processes can share one outbox without sending a row twice at once.
"""

from __future__ import annotations

import base64
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.db.engine import Database
from bot.db.statements import insert_if_absent
from bot.governance.models import WorkspaceControl
from bot.governance.service import Controls, controls, take_send_slot
from bot.outbox.models import OutboxMessage
from bot.settings import Settings

log = logging.getLogger(__name__)

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "user_not_found",
        "users_not_found",
        "is_archived",
        "user_not_in_channel",
        "account_inactive",
        "user_disabled",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "restricted_action",
        "no_permission",
        "invalid_blocks",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
    }
)
# A send in progress holds its row this long; after that another sender may retry it.
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 600


def enqueue(
    *,
    session: Session,
    method: str,
    payload: dict[str, Any],
    workspace_id: str | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue a Slack Web API call; return False if one with this dedupe key exists."""
    values = {
        "workspace_id": workspace_id,
        "method": method,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": not_before or datetime.now(UTC),
        "created_at": datetime.now(UTC),
    }
    if dedupe_key is None:
        session.add(OutboxMessage(**values))
        return True
    return insert_if_absent(session, OutboxMessage, conflict=["dedupe_key"], **values)


def file_payload(*, channel: str, filename: str, content: bytes, **extra: Any) -> dict[str, Any]:
    """Build the payload of a `files_upload_v2` call (the bytes go base64 in JSON)."""
    return {
        "channel": channel,
        "filename": filename,
        "content_b64": base64.b64encode(content).decode("ascii"),
        **extra,
    }


@dataclass(frozen=True)
class Outcome:
    """What happened to one outbox row."""

    id: int
    method: str
    dedupe_key: str | None
    status: str  # sent, retry, dropped, failed
    error: str | None = None


ResultHook = Callable[[Session, Outcome], None]


class OutboxSender:
    """Send due outbox rows to Slack; run `run()` in a thread or call `send_due()`."""

    def __init__(
        self,
        *,
        database: Database,
        client: WebClient,
        poll_seconds: float = 0.5,
        batch: int = 20,
        hooks: list[ResultHook] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        settings: Settings | None = None,
    ) -> None:
        self.database = database
        self.client = client
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.hooks = hooks or []
        self.clock = clock
        # Without settings (tests of the sending itself) nothing is held back or capped.
        self.settings = settings
        self._wake = threading.Event()

    def wake(self) -> None:
        """Send without waiting for the next poll (something was just queued)."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Send until `stop` is set; finish the row in hand first."""
        while not stop.is_set():
            try:
                sent = self.send_due()
            except Exception:
                log.exception("outbox: sending failed; retrying shortly")
                sent = 0
            if not sent:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def send_due(self) -> int:
        """Claim and send the rows that are due; return how many were attempted."""
        outcomes = []
        for row_id in self._claim():
            outcomes.append(self._send_one(row_id))
        return len(outcomes)

    def _claim(self) -> list[int]:
        now = self.clock()
        if self.settings is not None and self.settings.paused:
            return []
        query = select(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.next_attempt_at,
            OutboxMessage.workspace_id,
        ).where(
            or_(OutboxMessage.status == "pending", OutboxMessage.status == "sending"),
            OutboxMessage.next_attempt_at <= now,
        )
        if self.settings is not None:
            # A paused workspace's rows wait without holding up anyone else's.
            paused = select(WorkspaceControl.workspace_id).where(WorkspaceControl.paused.is_(True))
            query = query.where(
                or_(OutboxMessage.workspace_id.is_(None), OutboxMessage.workspace_id.not_in(paused))
            )
        with self.database.session() as session:
            due = session.execute(
                query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(self.batch)
            ).all()
            claimed = []
            states: dict[str | None, Controls] = {}
            for row_id, status, next_at, workspace_id in due:
                if self.settings is not None:
                    if workspace_id not in states:
                        states[workspace_id] = controls(session, workspace_id, self.settings)
                    state = states[workspace_id]
                    if state.paused:
                        continue  # stays pending: sent after `/undertone admin resume`
                    if state.dry_run:
                        # Shadow mode: kept (without sending) so admins can judge the noise.
                        session.execute(
                            update(OutboxMessage)
                            .where(OutboxMessage.id == row_id, OutboxMessage.status == status)
                            .values(status="dry_run")
                        )
                        continue
                # Conditional update: only one sender wins a row, whatever the backend.
                result = session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row_id,
                        OutboxMessage.status == status,
                        OutboxMessage.next_attempt_at == next_at,
                    )
                    .values(
                        status="sending",
                        next_attempt_at=now + LEASE,
                        attempts=OutboxMessage.attempts + 1,
                    )
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    claimed.append(row_id)
        return claimed

    def _send_one(self, row_id: int) -> Outcome:
        with self.database.session() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            method, payload, attempts = row.method, dict(row.payload), row.attempts
            dedupe_key = row.dedupe_key
            capped = (
                self._over_cap(session, row.workspace_id, method, payload)
                if attempts == 1
                else None
            )
        if capped:
            outcome = Outcome(row_id, method, dedupe_key, "capped", capped)
            self._finish(outcome, 0.0)
            return outcome
        status, error, delay = "sent", None, 0.0
        try:
            self._call(method, payload)
        except SlackApiError as exc:
            code = exc.response.status_code
            error = str(exc.response.get("error") or f"http_{code}")
            if code == 429:
                status, delay = "retry", _retry_after(exc.response.headers)
            elif code >= 500 or error not in PERMANENT_ERRORS:
                status, delay = "retry", _backoff(attempts)
            else:
                status = "dropped"
        except (URLError, OSError, SlackRequestError) as exc:
            status, error, delay = "retry", type(exc).__name__, _backoff(attempts)
        if status == "retry" and attempts >= MAX_ATTEMPTS and error != "ratelimited":
            status = "failed"
        outcome = Outcome(row_id, method, dedupe_key, status, error)
        self._finish(outcome, delay)
        return outcome

    def _finish(self, outcome: Outcome, delay: float) -> None:
        now = self.clock()
        values: dict[str, Any] = {"last_error": outcome.error}
        if outcome.status == "sent":
            # What was sent is done with; keep no user ids or wording longer than needed.
            values |= {"status": "sent", "sent_at": now, "payload": {}}
        elif outcome.status == "retry":
            values |= {"status": "pending", "next_attempt_at": now + timedelta(seconds=delay)}
            log.warning(
                "outbox: %s #%s failed (%s); retrying in %.0fs",
                outcome.method,
                outcome.id,
                outcome.error,
                delay,
            )
        else:
            values |= {"status": outcome.status, "payload": {}}
            log.warning(
                "outbox: %s #%s %s: %s", outcome.method, outcome.id, outcome.status, outcome.error
            )
        with self.database.session() as session:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == outcome.id).values(**values)
            )
            for hook in self.hooks:
                hook(session, outcome)

    def _over_cap(
        self, session: Session, workspace_id: str | None, method: str, payload: dict[str, Any]
    ) -> str | None:
        if self.settings is None or workspace_id is None:
            return None
        return take_send_slot(
            session,
            workspace_id=workspace_id,
            day=self.clock().astimezone(self.settings.zone).date(),
            recipient=recipient(method, payload),
            daily_cap=self.settings.daily_cap,
            user_daily_cap=self.settings.user_daily_cap,
        )

    def _call(self, method: str, payload: dict[str, Any]) -> None:
        if method == "files_upload_v2":
            content = base64.b64decode(payload.pop("content_b64"))
            channel = str(payload.pop("channel"))
            if channel[:1] in ("U", "W"):
                # A file for a person goes to their DM with the app, which needs its id.
                opened = self.client.conversations_open(users=channel)
                channel = str(opened["channel"]["id"])
            self.client.files_upload_v2(content=content, channel=channel, **payload)
        else:
            self.client.api_call(method, json=payload)


def recipient(method: str, payload: dict[str, Any]) -> str | None:
    """Return the person a message is for (an ephemeral's user, a DM's user), if any."""
    if method == "chat.postEphemeral":
        return str(payload.get("user") or "") or None
    channel = str(payload.get("channel") or "")
    return channel if channel[:1] in ("U", "W") else None


def _retry_after(headers: Any) -> float:
    value = None
    if headers:
        for key in ("Retry-After", "retry-after"):
            if key in headers:
                value = headers[key]
                break
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(1.0, float(value)) if value is not None else 30.0
    except (TypeError, ValueError):
        return 30.0


def _backoff(attempts: int) -> float:
    base = min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)


def pending_count(session: Session) -> int:
    """Return how many messages wait to be sent."""
    from sqlalchemy import func

    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(("pending", "sending")))
        )
        or 0
    )


__all__ = ["OutboxSender", "enqueue", "file_payload", "pending_count"]
