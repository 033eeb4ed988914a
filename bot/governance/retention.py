"""Retention and erasure: old observations go every day; a person can be erased at once.

Erasure removes everything keyed to the person: observations (and the accounts they
named), preferences, nudges, feedback (with any text they chose to share), messages still
waiting for the classifier, Slack messages to them that were never sent (held by the dry
run, a pause or a cap), their daily send counter, and their key in account suggestions.
Monthly snapshots are aggregates of at least the minimum group and stay. Both leave an
audit row that names the person only by a one-way tag.
"""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Executable
from sqlalchemy.sql.selectable import Exists

from bot.accounts.models import AccountCandidate, ObservationAccount, mention_of_observation
from bot.feedback.models import Feedback
from bot.governance.models import SendCounter
from bot.governance.service import audit, erased_key
from bot.ingest.models import PendingMessage
from bot.nudges.models import Nudge
from bot.observations.models import Observation
from bot.outbox.models import OutboxMessage
from bot.preferences.models import UserPreference

log = logging.getLogger(__name__)


# Outbox rows still on their way to Slack; every other status is settled.
_UNSETTLED = ("pending", "sending")


def _outbox_to(session: Session, workspace_id: str, user_id: str) -> list[int]:
    """Return the ids of the workspace's unsent outbox rows addressed to this user."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.payload).where(
            OutboxMessage.workspace_id == workspace_id, OutboxMessage.status != "sent"
        )
    )
    return [
        row_id
        for row_id, payload in rows
        if user_id in (payload.get("user"), payload.get("channel"))
    ]


def _links_of(where: ColumnElement[bool]) -> Exists:
    return exists().where(mention_of_observation(), where)


def purge_expired(
    session: Session, *, retention_days: int, now: datetime | None = None, actor: str = "undertone"
) -> int:
    """Delete observations (and their account links, nudges, feedback) past retention."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    session.execute(delete(ObservationAccount).where(_links_of(Observation.message_at < cutoff)))
    gone = session.execute(delete(Observation).where(Observation.message_at < cutoff))
    session.execute(delete(Nudge).where(Nudge.created_at < cutoff))
    session.execute(delete(Feedback).where(Feedback.created_at < cutoff))
    # Settled outbox rows: sent, refused, or held back by the dry run or a cap.
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.created_at < cutoff, OutboxMessage.status.not_in(_UNSETTLED)
        )
    )
    session.execute(delete(SendCounter).where(SendCounter.day < cutoff.date()))
    count = int(gone.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit(
            session,
            actor=actor,
            action="retention.purge",
            details={"observations": count, "older_than": cutoff.date().isoformat()},
        )
        log.info("retention: deleted %d observation(s) older than %s", count, cutoff.date())
    return count


@dataclass
class Erased:
    """How many rows of each kind an erasure removed."""

    observations: int = 0
    preferences: int = 0
    nudges: int = 0
    feedback: int = 0
    pending: int = 0
    outbox: int = 0
    counters: int = 0

    @property
    def total(self) -> int:
        """Return every row removed."""
        return sum(astuple(self))


def erase_person(
    session: Session,
    *,
    workspace_id: str,
    user_id: str,
    author_key: str,
    actor: str,
    reason: str,
) -> Erased:
    """Erase everything Undertone holds about one person in one workspace."""
    mine = and_(Observation.workspace_id == workspace_id, Observation.author_key == author_key)
    session.execute(delete(ObservationAccount).where(_links_of(mine)))

    def rows(statement: Executable) -> int:
        return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    erased = Erased(
        observations=rows(delete(Observation).where(mine)),
        preferences=rows(
            delete(UserPreference).where(
                UserPreference.workspace_id == workspace_id,
                UserPreference.author_key == author_key,
            )
        ),
        nudges=rows(
            delete(Nudge).where(Nudge.workspace_id == workspace_id, Nudge.author_key == author_key)
        ),
        feedback=rows(
            delete(Feedback).where(
                Feedback.workspace_id == workspace_id, Feedback.author_key == author_key
            )
        ),
        pending=rows(
            delete(PendingMessage).where(
                PendingMessage.workspace_id == workspace_id, PendingMessage.user_id == user_id
            )
        ),
        outbox=rows(
            delete(OutboxMessage).where(
                OutboxMessage.id.in_(_outbox_to(session, workspace_id, user_id) or [-1])
            )
        ),
        counters=rows(
            delete(SendCounter).where(
                SendCounter.workspace_id == workspace_id, SendCounter.scope == f"user:{user_id}"
            )
        ),
    )
    for candidate in session.scalars(
        select(AccountCandidate).where(AccountCandidate.workspace_id == workspace_id)
    ):
        if author_key in candidate.author_keys:
            candidate.author_keys = [k for k in candidate.author_keys if k != author_key]
    audit(
        session,
        workspace_id=workspace_id,
        actor=actor,
        action="erase.person",
        target=erased_key(author_key),
        details={"reason": reason, "rows": erased.total},
    )
    return erased
