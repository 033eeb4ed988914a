"""Run Alembic from code, so `undertone db upgrade` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

import migrations
from bot.db.engine import Database, describe_operational_error

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database: Database, raw_url: str) -> tuple[str | None, str]:
    """Migrate to the newest revision; return the revisions before and after."""
    database.check()
    config = alembic_config(raw_url)
    try:
        before = current_revision(database)
        command.upgrade(config, "head")
        return before, head_revision()
    except OperationalError as exc:
        from bot.errors import DatabaseError

        raise DatabaseError(describe_operational_error(database.url, exc)) from None


def current_revision(database: Database) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """Return the newest revision in the code."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None
    return head
