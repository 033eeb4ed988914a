"""Import every command module so its commands register on the app."""

from bot.cli import backfill, db, demo, model, report, run  # noqa: F401
