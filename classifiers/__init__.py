"""Tone classification: text preparation, the model and its training; no Slack, no database."""
