"""Errors that reach the user as one clear line."""

from __future__ import annotations


class UndertoneError(Exception):
    """A problem the user can fix; its message is shown as one line, without a traceback."""

    exit_code = 1


class ConfigurationError(UndertoneError):
    """A setting is missing or wrong."""

    exit_code = 2


class DatabaseError(UndertoneError):
    """The database cannot be reached or used."""

    exit_code = 3


class InputError(UndertoneError):
    """An input file or argument cannot be read."""

    exit_code = 2
