"""What happens after a nudge: delivery status and the author's feedback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.statements import dialect_insert
from bot.feedback.models import Feedback
from bot.nudges.models import Nudge
from bot.observations.models import Observation
from bot.outbox.service import Outcome

# Verdicts that say the model was wrong, and the label the author says is right.
CORRECTIONS = {"nudge_not_customer": "not_customer", "nudge_fair_criticism": "constructive"}
VERDICTS = {
    "nudge_fair_point": "fair_point",
    "nudge_not_customer": "not_customer",
    "nudge_fair_criticism": "fair_criticism",
    "nudge_turn_off": "turn_off",
}


@dataclass(frozen=True)
class NudgeRef:
    """The message a nudge button refers to (carried in the button's value)."""

    channel_id: str
    message_ts: str

    @classmethod
    def from_value(cls, value: str) -> NudgeRef | None:
        """Parse a button value; None if it is not ours."""
        try:
            data = json.loads(value)
            return cls(str(data["c"]), str(data["ts"]))
        except (ValueError, KeyError, TypeError):
            return None


def record_delivery(session: Session, outcome: Outcome) -> None:
    """Outbox hook: mark a nudge delivered or failed once Slack has answered."""
    key = outcome.dedupe_key or ""
    if not key.startswith("nudge:") or outcome.status == "retry":
        return
    _, workspace_id, channel_id, ts = key.split(":", 3)
    delivered = outcome.status == "sent"
    session.execute(
        update(Nudge)
        .where(
            Nudge.workspace_id == workspace_id,
            Nudge.channel_id == channel_id,
            Nudge.message_ts == ts,
        )
        .values(
            status="delivered" if delivered else "failed",
            delivered_at=datetime.now(UTC) if delivered else None,
        )
    )


def record_feedback(
    *, session: Session, workspace_id: str, author_key: str, ref: NudgeRef, action_id: str
) -> bool:
    """Store the author's verdict on a nudge (no text); return False if it was not theirs."""
    nudge = session.scalar(
        select(Nudge).where(
            Nudge.workspace_id == workspace_id,
            Nudge.channel_id == ref.channel_id,
            Nudge.message_ts == ref.message_ts,
        )
    )
    if nudge is None or nudge.author_key != author_key:
        return False
    observation = session.scalar(
        select(Observation).where(
            Observation.workspace_id == workspace_id,
            Observation.channel_id == ref.channel_id,
            Observation.message_ts == ref.message_ts,
        )
    )
    values = {
        "workspace_id": workspace_id,
        "channel_id": ref.channel_id,
        "message_ts": ref.message_ts,
        "author_key": author_key,
        "verdict": VERDICTS[action_id],
        "corrected_label": CORRECTIONS.get(action_id),
        "model_label": observation.label if observation else None,
        "model_version": observation.model_version if observation else None,
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }
    statement = dialect_insert(session, Feedback).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "channel_id", "message_ts"],
            set_={
                "verdict": statement.excluded.verdict,
                "corrected_label": statement.excluded.corrected_label,
                "updated_at": statement.excluded.updated_at,
            },
        )
    )
    return True


def store_shared_text(
    *, session: Session, workspace_id: str, author_key: str, ref: NudgeRef, text: str
) -> bool:
    """Keep a message's text because its author chose to share it; False if not theirs."""
    result = session.execute(
        update(Feedback)
        .where(
            Feedback.workspace_id == workspace_id,
            Feedback.channel_id == ref.channel_id,
            Feedback.message_ts == ref.message_ts,
            Feedback.author_key == author_key,
        )
        .values(shared_text=text, updated_at=datetime.now(UTC))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
