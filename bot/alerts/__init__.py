"""Trend alerts to managers."""
