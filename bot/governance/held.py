"""What Undertone sent, or held back in dry run: counts per kind and anonymised wording.

Samples are Undertone's own wording (a nudge's gentle note, an alert's numbers) with
people, channels and links replaced; an employee's message text is never in an outbox
row, so it can never be in a sample.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.outbox.models import OutboxMessage

HELD = ("dry_run",)
OUTGOING = ("sent", "pending", "sending", "capped", "dropped")
_KINDS = {"nudge": "nudge", "alert": "alert", "report": "report", "notice": "channel notice"}


def kind_of(dedupe_key: str | None) -> str:
    """Return what a queued message is, from its dedupe key."""
    return _KINDS.get((dedupe_key or "").split(":", 1)[0], "other")


def anonymise(value: Any) -> Any:
    """Replace people, channels and links in a queued message with placeholders."""
    if isinstance(value, str):
        value = re.sub(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>", "@someone", value)
        value = re.sub(r"<#[CG][A-Z0-9]+(?:\|[^>]*)?>", "#a-channel", value)
        value = re.sub(r"<?https?://[^\s>|]+(?:\|([^>]*))?>?", r"<link>", value)
        return re.sub(r"\b[UWCGT][A-Z0-9]{8,}\b", "…", value)
    if isinstance(value, dict):
        return {k: anonymise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [anonymise(v) for v in value]
    return value


def wording(payload: dict[str, Any]) -> str:
    """Return the visible text of a message's blocks (or its fallback text)."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                texts.append(node["text"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(payload.get("blocks") or [])
    return " ".join(texts) or str(payload.get("text") or "")


@dataclass
class OutboxSummary:
    """Counts per (kind, status) and a few anonymised examples per kind."""

    days: int
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Return how many messages were counted."""
        return sum(self.counts.values())

    def per_kind(self) -> dict[str, int]:
        """Return counts per kind, all statuses together."""
        out: Counter[str] = Counter()
        for (kind, _), count in self.counts.items():
            out[kind] += count
        return dict(out)


def summarise(
    session: Session,
    *,
    statuses: tuple[str, ...],
    days: int = 7,
    samples: int = 2,
    workspace_id: str | None = None,
    now: datetime | None = None,
) -> OutboxSummary:
    """Count recent outbox rows by kind and status, with anonymised examples."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.created_at >= since, OutboxMessage.status.in_(statuses))
        .order_by(OutboxMessage.created_at)
    )
    if workspace_id:
        query = query.where(OutboxMessage.workspace_id == workspace_id)
    summary = OutboxSummary(days)
    for row in session.scalars(query):
        kind = kind_of(row.dedupe_key)
        summary.counts[(kind, row.status)] += 1
        text = wording(anonymise(dict(row.payload)))
        shown = summary.examples.setdefault(kind, [])
        if text and len(shown) < samples and text not in shown:
            shown.append(text)
    return summary
