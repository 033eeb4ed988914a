"""The `undertone` command: entry point and shared options."""

from __future__ import annotations

import sys
from functools import cached_property

import click
import typer
from pydantic import ValidationError
from rich.console import Console

from bot.cli.errors import describe_settings_error
from bot.db.engine import Database
from bot.errors import UndertoneError
from bot.logs import configure_logging, scrub
from bot.settings import Settings
from classifiers.errors import ModelError

app = typer.Typer(
    name="undertone",
    help="Undertone: hear how your teams talk about customers, kindly and privately.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Manage the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
console = Console(highlight=False)


class Runtime:
    """What a command needs, created on first use so `--help` stays instant."""

    @cached_property
    def settings(self) -> Settings:
        return Settings()

    @cached_property
    def database(self) -> Database:
        return Database.from_url(self.settings.database_url)


def runtime(ctx: typer.Context) -> Runtime:
    """Return the command's runtime."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Runtime)
    return obj


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = Runtime()


def fail(message: str, code: int = 1) -> None:
    """Print one line on stderr and exit."""
    stderr.print(f"[bold red]error:[/] {scrub(message)}", soft_wrap=True, markup=True)
    raise SystemExit(code)


def main() -> None:
    """Run the CLI; every expected failure is one line on stderr, never a traceback."""
    _register_commands()
    try:
        result = app(standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        stderr.print("aborted")
        raise SystemExit(130) from None
    except KeyboardInterrupt:
        stderr.print("interrupted")
        raise SystemExit(130) from None
    except UndertoneError as exc:
        fail(str(exc), exc.exit_code)
    except ModelError as exc:
        fail(str(exc), 2)
    except ValidationError as exc:
        fail(describe_settings_error(exc), 2)
    raise SystemExit(result if isinstance(result, int) else 0)


def _register_commands() -> None:
    # Imported here so each command module can import `app` from this one.
    from bot.cli import commands  # noqa: F401


def setup_logging(rt: Runtime) -> None:
    """Configure logging from the settings."""
    configure_logging(rt.settings.log_level)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())  # type: ignore[func-returns-value]
