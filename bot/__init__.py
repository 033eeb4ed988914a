"""Undertone: the Slack app and everything around it."""

__version__ = "0.1.0"
