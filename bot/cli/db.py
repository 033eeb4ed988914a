"""`undertone db …`: migrations."""

from __future__ import annotations

import typer

from bot.cli.main import db_app, runtime, stderr
from bot.db import migrate


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema (safe to run again)."""
    rt = runtime(ctx)
    before, after = migrate.upgrade(rt.database, rt.settings.database_url)
    if before == after:
        stderr.print(f"database {rt.database.url} is up to date (revision {after})")
    else:
        stderr.print(f"database {rt.database.url} migrated from {before or 'empty'} to {after}")


@db_app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the revision the database is at and the newest one."""
    rt = runtime(ctx)
    rt.database.check()
    at = migrate.current_revision(rt.database)
    head = migrate.head_revision()
    state = "up to date" if at == head else "needs `undertone db upgrade`"
    typer.echo(f"{rt.database.url}: at {at or 'nothing'}, newest {head} ({state})")
