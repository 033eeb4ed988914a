"""`undertone audit`, `undertone outbox --dry-run` and `undertone forget`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.main import app, console, runtime
from bot.errors import InputError
from bot.settings import SLACK_USER_ID

WorkspaceOption = Annotated[
    str | None, typer.Option(help="Workspace id, when the database holds several.")
]


@app.command()
def audit(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Only entries from this day (YYYY-MM-DD).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Print the audit log: every admin action and report view, who and when."""
    from bot.governance.service import audit_entries

    start = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise InputError(f"--since {since!r} is not a date; write it as YYYY-MM-DD") from None
    rt = runtime(ctx)
    rt.database.check()
    table = Table("when (UTC)", "who", "what", "on", "details", title="Undertone audit log")
    with rt.database.session() as session:
        entries = audit_entries(session, workspace_id=workspace, since=start)
        for entry in entries:
            table.add_row(
                f"{entry.at:%Y-%m-%d %H:%M:%S}",
                entry.actor,
                entry.action,
                entry.target or "",
                ", ".join(f"{k}={v}" for k, v in sorted(entry.details.items()))[:120],
            )
    console.print(table if entries else "The audit log is empty.")


@app.command()
def outbox(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="What the dry run held back instead of sending.")
    ] = False,
    days: Annotated[int, typer.Option(min=1, max=365, help="How far back to look.")] = 7,
    samples: Annotated[int, typer.Option(min=0, max=20, help="Examples of wording per kind.")] = 2,
) -> None:
    """Show what Undertone sent, or (with --dry-run) would have sent: counts and wording.

    Samples show the wording of Undertone's own messages with people, channels and links
    replaced; they never contain an employee's message text.
    """
    from bot.governance.held import HELD, OUTGOING, summarise

    rt = runtime(ctx)
    rt.database.check()
    with rt.database.session() as session:
        summary = summarise(
            session, statuses=HELD if dry_run else OUTGOING, days=days, samples=samples
        )
    counts, examples = summary.counts, summary.examples
    title = (
        f"Held back by the dry run, last {days} day(s)"
        if dry_run
        else f"Outgoing messages, last {days} day(s)"
    )
    table = Table("kind", "status", "messages", title=title)
    for (kind, status), count in sorted(counts.items()):
        table.add_row(kind, status, str(count))
    console.print(table if counts else f"{title}: none.")
    for kind, texts in sorted(examples.items()):
        console.print(f"\n[bold]{kind}[/], for example:")
        for text in texts:
            console.print(f"  “{text[:400]}”")


@app.command()
def forget(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="The person's Slack user id (U…).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Erase everything Undertone holds about one person (and record that it did)."""
    from bot.governance.retention import erase_person
    from bot.governance.service import cli_actor
    from bot.privacy import author_key
    from bot.workspaces.service import pick_workspace

    if not SLACK_USER_ID.match(user):
        raise InputError(f"{user!r} is not a Slack user id (it looks like U0123ABCD)")
    rt = runtime(ctx)
    rt.database.check()
    with rt.database.session() as session:
        workspace_id = pick_workspace(session, workspace)
        erased = erase_person(
            session,
            workspace_id=workspace_id,
            user_id=user,
            author_key=author_key(user, pepper=rt.settings.pepper),
            actor=cli_actor(),
            reason="undertone forget",
        )
    console.print(
        f"Erased {user}: {erased.observations} observation(s), {erased.preferences} "
        f"preference(s), {erased.nudges} nudge(s), {erased.feedback} feedback, "
        f"{erased.pending} queued message(s), {erased.outbox} unsent Slack message(s)."
    )
