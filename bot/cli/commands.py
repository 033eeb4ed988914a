"""Import every command module so its commands register on the app."""

from bot.cli import analyze, backfill, db, model, report, run, worker  # noqa: F401
