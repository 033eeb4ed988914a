"""`undertone analyze` and `undertone demo`: a Slack export, analysed offline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from bot.cli.main import app, console, runtime, stderr
from bot.db.engine import Database
from bot.errors import InputError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.exports.analyze import AnalyzeResult
    from bot.reports.report import MonthlyReport

SAMPLE = Path(__file__).resolve().parents[1] / "sample"
DEMO_DATABASE = Path("undertone-demo.db")
DEMO_REPORT = Path("undertone-demo-report.html")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date; write it as YYYY-MM-DD") from None


def analyse(
    *,
    settings: Settings,
    database: Database,
    export_path: Path,
    channels: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    workspace_name: str | None = None,
    teams_file: Path | None = None,
    distributed: bool = False,
    accounts_file: Path | None = None,
) -> AnalyzeResult:
    """Run an export through the pipeline with a progress bar; return the result.

    With `distributed`, messages are queued for `undertone worker` processes instead of
    classified here, and the progress bar follows the queue as it drains.
    """
    from bot.db.migrate import upgrade

    upgrade(database, str(database.engine.url.render_as_string(hide_password=False)))
    if not distributed:
        from bot.classifier import get_classifier
        from bot.ingest.pipeline import Pipeline

        pipeline = Pipeline(
            database=database, classifier=get_classifier(settings), settings=settings
        )
        return _analyse(
            pipeline, settings, database, export_path, channels, since, until, workspace_name,
            teams_file, accounts_file,
        )  # fmt: skip
    from bot.distributed.fanout import QueueSink, relaying, wait_for_workers

    with relaying(settings, database) as relay:
        sink = QueueSink(database, relay)
        result = _analyse(
            sink, settings, database, export_path, channels, since, until, workspace_name,
            teams_file, accounts_file,
        )  # fmt: skip
    _follow_workers(database, result.workspace_id, "export", sink.queued, wait_for_workers)
    _tally_from_database(database, result)
    return result


def _follow_workers(database: Database, workspace_id: str, source: str, queued: int, wait) -> None:  # type: ignore[no-untyped-def]
    with Progress(
        TextColumn("[bold]workers classifying[/]"),
        BarColumn(),
        TextColumn("{task.completed:>7,.0f} of {task.total:,.0f}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=stderr,
    ) as progress:
        task = progress.add_task("workers", total=max(queued, 1))
        wait(
            database,
            workspace_id=workspace_id,
            source=source,
            progress=lambda left: progress.update(task, completed=max(queued - left, 0)),
            stalled=lambda: progress.console.print(
                "[yellow]no message classified for a minute: is `undertone worker` running "
                "with the same DATABASE_URL and UNDERTONE_BROKER_URL?[/]"
            ),
        )


def _tally_from_database(database: Database, result: AnalyzeResult) -> None:
    """Fill the summary's per-channel counts from what the workers stored."""
    from sqlalchemy import func, select

    from bot.observations.models import Observation

    with database.session() as session:
        rows = session.execute(
            select(
                Observation.channel_id,
                func.count(),
                func.count().filter(
                    Observation.label != "not_customer", Observation.lang_supported.is_(True)
                ),
                func.count().filter(
                    Observation.label == "contempt", Observation.lang_supported.is_(True)
                ),
            )
            .where(Observation.workspace_id == result.workspace_id, Observation.source == "export")
            .group_by(Observation.channel_id)
        ).all()
    for channel_id, classified, about, contempt in rows:
        tally = result.channels.get(channel_id)
        if tally is not None:
            tally.classified, tally.about_customers, tally.contempt = classified, about, contempt


def _analyse(  # type: ignore[no-untyped-def]
    pipeline,
    settings,
    database,
    export_path,
    channels,
    since,
    until,
    workspace_name,
    teams_file,
    accounts_file=None,
) -> AnalyzeResult:
    from bot.exports.analyze import ExportAnalysis, workspace_for
    from bot.exports.reader import SlackExport

    with SlackExport(export_path) as export:
        workspace_id = workspace_for(export, workspace_name)
        analysis = ExportAnalysis(
            export=export,
            pipeline=pipeline,
            database=database,
            workspace_id=workspace_id,
            workspace_name=workspace_name or export_path.stem,
            # Big calls let the classifier sort by length and pad little (2-3x faster).
            batch_size=max(settings.batch_size, 512),
        )
        plan = analysis.plan(channels=channels, since=since, until=until)
        if channels and not plan:
            raise InputError(f"none of the channels {', '.join(channels)} is in {export_path}")
        total = analysis.total_bytes(plan)
        if teams_file is not None:
            _apply_teams(database, workspace_id, teams_file, plan, analysis)
        if accounts_file is not None:
            _import_accounts(database, workspace_id, accounts_file, analysis.workspace_name)
        started = datetime.now(UTC)
        with Progress(
            TextColumn("[bold]analysing[/]"),
            BarColumn(),
            TextColumn("{task.fields[messages]:>7,} messages"),
            TextColumn("{task.fields[rate]:>6.0f} msg/s"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=stderr,
            transient=False,
        ) as progress:
            task = progress.add_task("analyse", total=max(total, 1), messages=0, rate=0.0)

            def update(messages: int, done_bytes: int) -> None:
                elapsed = max((datetime.now(UTC) - started).total_seconds(), 1e-6)
                progress.update(
                    task, completed=done_bytes, messages=messages, rate=messages / elapsed
                )

            result = analysis.run(plan, progress=update)
    return result


def _import_accounts(database: Database, workspace_id: str, path: Path, name: str) -> None:
    from bot.accounts.service import import_csv
    from bot.workspaces.service import ensure_workspace

    with database.session() as session:
        ensure_workspace(session=session, workspace_id=workspace_id, name=name)
        result = import_csv(session, workspace_id=workspace_id, path=path)
    for error in result.errors:
        stderr.print(f"[yellow]{path}: {error}[/]")
    stderr.print(
        f"accounts from {path.name}: {result.created} added, {result.updated} updated, "
        f"{result.unchanged} unchanged"
    )


def _apply_teams(database: Database, workspace_id: str, path: Path, plan, analysis) -> None:  # type: ignore[no-untyped-def]
    from bot.teams.service import apply_specs, load_teams_file
    from bot.workspaces.service import ensure_channel, ensure_workspace

    specs = load_teams_file(path)
    with database.session() as session:
        ensure_workspace(session=session, workspace_id=workspace_id, name=analysis.workspace_name)
        for channel, _ in plan:
            ensure_channel(
                session=session, workspace_id=workspace_id, channel_id=channel.id, name=channel.name
            )
        apply_specs(session, workspace_id=workspace_id, specs=specs, path=str(path))


def print_summary(result) -> None:  # type: ignore[no-untyped-def]
    """Print what was analysed, per channel."""
    table = Table(
        "channel",
        "messages",
        "classified",
        "about customers",
        "contempt",
        title="What was analysed",
    )
    for tally in sorted(result.channels.values(), key=lambda t: t.name):
        share = f"{tally.contempt / tally.about_customers:.1%}" if tally.about_customers else "–"
        table.add_row(
            f"#{tally.name}",
            f"{tally.read:,}",
            f"{tally.classified:,}",
            f"{tally.about_customers:,}",
            share,
        )
    console.print(table)
    skipped = ", ".join(f"{count} {reason}" for reason, count in sorted(result.skipped.items()))
    console.print(
        f"{result.read:,} messages read, {result.classified:,} classified and stored "
        "without their text" + (f"; skipped: {skipped}" if skipped else "")
    )
    if result.files_already_done:
        console.print(
            f"{result.files_already_done} day file(s) were already analysed by an earlier run"
        )
    for name, reason in result.problems:
        stderr.print(f"[yellow]{escape(name)}: {escape(reason)}[/]")


def latest_complete_month(result, settings: Settings):  # type: ignore[no-untyped-def]
    """Return the last month that has ended and holds analysed messages."""
    from bot.reports.month import Month

    now = datetime.now(UTC)
    current = Month.containing(now, settings.zone)
    if result.latest_message is None:
        return current.shift(-1)
    last = Month.containing(result.latest_message, settings.zone)
    return last if last < current else current.shift(-1)


def show_results(result: AnalyzeResult, settings: Settings, database: Database) -> MonthlyReport:
    """Print what was analysed and the report for its latest complete month; return it."""
    from bot.governance.service import audit, cli_actor
    from bot.reports.render import to_text
    from bot.reports.report import build_report

    print_summary(result)
    month = latest_complete_month(result, settings)
    with database.session() as session:
        report = build_report(
            session,
            workspace_id=result.workspace_id,
            month=month,
            min_group=settings.min_group,
            zone=settings.zone,
            team_level_only=settings.team_level_only,
        )
        audit(
            session,
            workspace_id=result.workspace_id,
            actor=cli_actor(),
            action="report.view",
            target=str(month),
            details={"via": "undertone analyze"},
        )
    typer.echo()
    typer.echo(to_text(report))
    return report


@app.command()
def analyze(
    ctx: typer.Context,
    export: Annotated[
        Path, typer.Argument(help="A Slack export: the .zip or its unpacked folder.")
    ],
    channels: Annotated[
        str | None, typer.Option(help="Only these channels, comma-separated.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only messages from this day on (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only messages up to this day (YYYY-MM-DD).")
    ] = None,
    workspace: Annotated[
        str | None, typer.Option(help="A name for the workspace in reports.")
    ] = None,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed", help="Fan out over `undertone worker` processes (PostgreSQL)."
        ),
    ] = False,
    accounts: Annotated[
        Path | None,
        typer.Option(help="Load customer accounts from this CSV first (see `accounts import`)."),
    ] = None,
) -> int:
    """Classify a Slack export offline and print the culture report for its latest month.

    Exit code 0: everything read; 1: partial, some files or messages could not be read
    (each is named).
    """
    rt = runtime(ctx)
    settings = rt.settings
    if settings.uses_dev_pepper:
        stderr.print(
            "[yellow]note:[/] author keys use the development pepper; set UNDERTONE_PEPPER to the "
            "live app's secret so a later live run continues the same series"
        )
    rt.database.check()
    teams = Path(settings.teams_file) if settings.teams_file else None
    result = analyse(
        settings=settings,
        database=rt.database,
        export_path=export,
        channels=[c.strip() for c in channels.split(",") if c.strip()] if channels else None,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        workspace_name=workspace,
        teams_file=teams,
        distributed=distributed,
        accounts_file=accounts,
    )
    show_results(result, settings, rt.database)
    if result.partial:
        stderr.print(
            f"[yellow]finished with {len(result.problems)} problem(s) in the export, listed "
            "above: the analysis is partial[/]"
        )
        return 1
    return 0


@app.command()
def demo(ctx: typer.Context) -> None:
    """Analyse the bundled sample export into a fresh local database and write its report."""
    from bot.reports.chart import trend_png
    from bot.reports.render import to_html

    rt = runtime(ctx)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    database = Database.from_url(f"sqlite:///{DEMO_DATABASE}")
    settings = rt.settings.model_copy(
        update={"database_url": f"sqlite:///{DEMO_DATABASE}", "timezone": "Europe/Oslo"}
    )
    console.print(
        "[bold]Undertone demo[/]: six months of Slack at Quillon, a fictional 25-person software "
        "company, analysed on this machine. Nothing leaves it, and no message text is stored."
    )
    result = analyse(
        settings=settings,
        database=database,
        export_path=SAMPLE / "quillon-export.zip",
        workspace_name="Quillon",
        teams_file=SAMPLE / "teams.yml",
        accounts_file=SAMPLE / "accounts.csv",
    )
    report = show_results(result, settings, database)
    DEMO_REPORT.write_text(to_html(report, trend_png(report)), encoding="utf-8")
    database.dispose()
    console.print(f"[bold]The HTML report is at[/] {DEMO_REPORT.resolve()}")
    console.print(
        f"The demo database is {DEMO_DATABASE.resolve()} (try `DATABASE_URL=sqlite:///"
        f"{DEMO_DATABASE} undertone report --format markdown`)."
    )
