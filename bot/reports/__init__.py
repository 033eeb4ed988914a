"""Aggregates, the monthly culture report and its renderings."""
