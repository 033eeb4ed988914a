"""The schema: migrations reach the models exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.db.engine import Database
from bot.db.migrate import current_revision, head_revision, upgrade
from bot.models import Base


def test_upgrade_head_matches_the_models(database_url: str) -> None:
    db = Database.from_url(database_url)
    before, after = upgrade(db, database_url)
    assert before is None
    assert after == head_revision()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": Base.metadata}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    db.dispose()


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    db = Database.from_url(database_url)
    upgrade(db, database_url)
    tables_before = set(inspect(db.engine).get_table_names())
    before, after = upgrade(db, database_url)
    assert before == after == head_revision()
    assert set(inspect(db.engine).get_table_names()) == tables_before
    assert current_revision(db) == head_revision()
    db.dispose()
