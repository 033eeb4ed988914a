"""Errors from the classifier that a user can act on."""

from __future__ import annotations


class ModelError(Exception):
    """The encoder or head cannot be loaded; the message says what to do."""


class MissingHeadError(ModelError):
    """The configured encoder has no trained head yet."""
