"""`undertone report`: the monthly culture report, offline."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.main import app, runtime, stderr
from bot.errors import InputError


class Format(StrEnum):
    """Output formats."""

    text = "text"
    markdown = "markdown"
    html = "html"
    json = "json"


@app.command()
def report(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option(help="YYYY-MM; default: the last complete month.")
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="Only this team (by name) and its channels.")
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="text, markdown, html or json.")
    ] = Format.text,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace id, when the database holds several.")
    ] = None,
) -> None:
    """Print or write the culture report for a month."""
    from bot.reports.chart import trend_png
    from bot.reports.month import Month
    from bot.reports.render import render
    from bot.reports.report import build_report, only_team

    rt = runtime(ctx)
    settings = rt.settings
    rt.database.check()
    with rt.database.session() as session:
        from bot.workspaces.service import pick_workspace

        workspace_id = pick_workspace(session, workspace)
        if settings.teams_file:
            from bot.teams.service import apply_specs, load_teams_file

            apply_specs(
                session,
                workspace_id=workspace_id,
                specs=load_teams_file(Path(settings.teams_file)),
                path=settings.teams_file,
            )
        chosen = (
            Month.parse(month)
            if month
            else Month.containing(datetime.now(UTC), settings.zone).shift(-1)
        )
        result = build_report(
            session,
            workspace_id=workspace_id,
            month=chosen,
            min_group=settings.min_group,
            zone=settings.zone,
            team_level_only=settings.team_level_only,
        )
        if team:
            result = only_team(result, team)
        from bot.governance.service import audit, cli_actor

        audit(
            session,
            workspace_id=workspace_id,
            actor=cli_actor(),
            action="report.view",
            target=str(chosen) + (f" {team}" if team else ""),
            details={"via": "undertone report", "format": fmt.value},
        )
    if not result.has_data:
        stderr.print(f"no observations in {chosen}; the report is empty")
    chart = trend_png(result) if fmt is Format.html else None
    text = render(result, fmt.value, chart_png=chart)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    stderr.print(f"report for {chosen} written to {out.resolve()}")
