"""`undertone accounts …`: the customer account list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.main import app, console, runtime, stderr
from bot.db.engine import Database
from bot.errors import DatabaseError, InputError
from bot.governance.service import audit, cli_actor

accounts_app = typer.Typer(help="The customer accounts Undertone reports on.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")

WorkspaceOption = Annotated[
    str | None,
    typer.Option(help="Workspace id (T…), when the database holds several or none yet."),
]


def _check_database(database: Database) -> None:
    """Raise one clear line when the database cannot be reached or was never migrated."""
    from bot.db import migrate

    database.check()
    if migrate.current_revision(database) != migrate.head_revision():
        raise DatabaseError(
            f"the database at {database.url} is not up to date; run `undertone db upgrade`"
        )


def _workspace(session, wanted: str | None, *, create: bool = False) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.observations.models import Observation
    from bot.workspaces.models import Workspace
    from bot.workspaces.service import ensure_workspace, pick_workspace

    if wanted and create and session.get(Workspace, wanted) is None:
        ensure_workspace(session=session, workspace_id=wanted, name="")
        return wanted
    if (
        create
        and not wanted
        and session.scalar(select(Workspace.id).limit(1)) is None
        and session.scalar(select(Observation.workspace_id).limit(1)) is None
    ):
        # Loading accounts before any analysis is normal; only the team id is missing.
        raise InputError(
            "the database holds no workspace yet: pass --workspace with your Slack team id "
            "(T…, as in app.slack.com/client/T…/) to add accounts before the first analysis"
        )
    return pick_workspace(session, wanted)


@accounts_app.command("import")
def import_accounts(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="CSV with columns name, aliases, owner_team, crm_id.")
    ],
    workspace: WorkspaceOption = None,
) -> int:
    """Load accounts from a CSV; re-importing updates, never duplicates.

    `aliases` are separated by `;` and `owner_team` names a team. Bad lines are reported
    by number and skipped; the good ones are imported (exit code 1 if any line was bad).
    """
    from bot.accounts.service import import_csv

    rt = runtime(ctx)
    _check_database(rt.database)
    with rt.database.session() as session:
        workspace_id = _workspace(session, workspace, create=True)
        result = import_csv(session, workspace_id=workspace_id, path=path)
        audit(
            session,
            workspace_id=workspace_id,
            actor=cli_actor(),
            action="accounts.import",
            target=path.name,
            details={
                "added": result.created,
                "updated": result.updated,
                "bad_lines": len(result.errors),
            },
        )
    for error in result.errors:
        stderr.print(f"[yellow]{path}: {error}[/]")
    console.print(
        f"{result.created} account(s) added, {result.updated} updated, "
        f"{result.unchanged} unchanged"
        + (f"; {len(result.errors)} line(s) skipped" if result.errors else "")
    )
    return 1 if result.errors else 0


@accounts_app.command("list")
def list_accounts(ctx: typer.Context, workspace: WorkspaceOption = None) -> None:
    """Show the account list with aliases and owner teams."""
    from bot.accounts.service import accounts_of
    from bot.teams.models import Team

    rt = runtime(ctx)
    _check_database(rt.database)
    table = Table("account", "aliases", "owner team", "CRM id")
    with rt.database.session() as session:
        workspace_id = _workspace(session, workspace)
        for account in accounts_of(session, workspace_id):
            team = session.get(Team, account.owner_team_id) if account.owner_team_id else None
            table.add_row(
                account.name,
                ", ".join(a.alias for a in account.aliases),
                team.name if team else "",
                account.crm_id or "",
            )
    console.print(table)


@accounts_app.command("add")
def add_account(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account's name.")],
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="Another name; repeat for more.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add one account (or update its aliases)."""
    from bot.accounts.service import upsert_account

    rt = runtime(ctx)
    _check_database(rt.database)
    with rt.database.session() as session:
        workspace_id = _workspace(session, workspace, create=True)
        account, outcome = upsert_account(
            session, workspace_id=workspace_id, name=name, aliases=alias or []
        )
        audit(
            session,
            workspace_id=workspace_id,
            actor=cli_actor(),
            action="accounts.add",
            target=account.name,
            details={"outcome": outcome},
        )
        console.print(f"{account.name}: {outcome}")


@accounts_app.command("suggest")
def suggest(ctx: typer.Context, workspace: WorkspaceOption = None) -> None:
    """Names seen often in messages about customers that are not accounts yet.

    Nothing is added on its own: confirm one with `undertone accounts add NAME`.
    """
    from bot.accounts.service import SUGGEST_MIN_AUTHORS, SUGGEST_MIN_MENTIONS, suggestions

    rt = runtime(ctx)
    _check_database(rt.database)
    with rt.database.session() as session:
        found = suggestions(session, workspace_id=_workspace(session, workspace))
    if not found:
        console.print(
            "No suggestions yet: a name needs at least "
            f"{SUGGEST_MIN_MENTIONS} messages about customers from {SUGGEST_MIN_AUTHORS} people."
        )
        return
    table = Table("name", "messages", "people", title="Possible accounts")
    for item in found:
        table.add_row(item.name, str(item.mentions), str(item.people))
    console.print(table)
    console.print("Add one with `undertone accounts add NAME [--alias OTHER]`.")
