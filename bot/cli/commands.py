"""Import every command module so its commands register on the app."""

from bot.cli import accounts, analyze, backfill, db, governance, model, report, run, worker  # noqa: F401
