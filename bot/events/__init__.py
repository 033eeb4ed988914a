"""Slack events received, remembered just long enough to drop redeliveries."""
