"""INSERT … ON CONFLICT for SQLite and PostgreSQL alike: the database decides who wins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session, model: type[Any]) -> Any:
    """Return an INSERT for the session's database that supports ON CONFLICT."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(model)


def insert_if_absent(
    session: Session, model: type[Any], *, conflict: list[str], **values: Any
) -> bool:
    """Insert a row unless one with the same unique key exists; return whether it was new.

    This is how Undertone claims things (an event id, a nudge, a report month) safely
    across processes. RETURNING tells reliably whether the row was inserted; drivers'
    row counts do not for ON CONFLICT DO NOTHING (psycopg reports -1).
    """
    key = inspect(model).primary_key[0]
    statement = (
        dialect_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(key)
    )
    return session.execute(statement).first() is not None
