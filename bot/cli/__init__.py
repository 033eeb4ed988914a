"""The `undertone` command line."""
