"""`python -m bot.cli` runs the `undertone` command."""

from bot.cli.main import main

main()
