"""Alembic environment: the URL comes from Undertone's settings, never from alembic.ini."""

from __future__ import annotations

from alembic import context
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext

from bot.db.base import UTCDateTime
from bot.db.engine import make_engine
from bot.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from bot.settings import get_settings

    return get_settings().database_url


def _skip_empty(
    context: MigrationContext, revision: object, directives: list[ops.MigrationScript]
) -> None:
    script = directives[0]
    if script.upgrade_ops is not None and script.upgrade_ops.is_empty():
        directives[:] = []


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Render our aware-UTC timestamp as the plain type it stores.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,
        process_revision_directives=_skip_empty,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
