"""Read and change a person's choices."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.statements import dialect_insert
from bot.preferences.models import UserPreference


def get(
    *, session: Session, workspace_id: str, author_key: str, nudges_default: bool = True
) -> UserPreference:
    """Return a person's preferences (the defaults when they never chose)."""
    found = session.scalar(
        select(UserPreference).where(
            UserPreference.workspace_id == workspace_id, UserPreference.author_key == author_key
        )
    )
    return found or UserPreference(
        workspace_id=workspace_id,
        author_key=author_key,
        nudges_enabled=nudges_default,
        opted_out=False,
    )


def set_nudges(*, session: Session, workspace_id: str, author_key: str, enabled: bool) -> None:
    """Turn a person's nudges on or off."""
    _upsert(session, workspace_id, author_key, nudges_enabled=enabled)


def set_opted_out(*, session: Session, workspace_id: str, author_key: str, opted_out: bool) -> None:
    """Stop (or resume) classifying a person's messages at all."""
    _upsert(session, workspace_id, author_key, opted_out=opted_out)


def _upsert(session: Session, workspace_id: str, author_key: str, **values: bool) -> None:
    now = datetime.now(UTC)
    statement = dialect_insert(session, UserPreference).values(
        workspace_id=workspace_id,
        author_key=author_key,
        nudges_enabled=values.get("nudges_enabled", True),
        opted_out=values.get("opted_out", False),
        updated_at=now,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "author_key"], set_={**values, "updated_at": now}
        )
    )
