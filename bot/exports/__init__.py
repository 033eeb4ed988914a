"""Slack export archives: reading them offline."""
