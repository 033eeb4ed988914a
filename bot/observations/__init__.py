"""Observations: one classified message, never its text."""
