"""Alembic migrations for Undertone's database."""
