"""Shared fixtures: databases on SQLite and the real PostgreSQL, and settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.db.engine import Database, parse_database_url
from bot.db.migrate import upgrade
from bot.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def _real_world() -> Path:
    """Find the third-party Slack samples (exports, events, API answers) tests run against."""
    configured = os.environ.get("UNDERTONE_REAL_WORLD")
    candidates = [Path(configured)] if configured else []
    candidates += [ROOT.parent / "shared" / "real-world", Path("/work/shared/real-world")]
    for candidate in candidates:
        if (candidate / "INDEX.md").exists():
            return candidate
    raise RuntimeError(
        "the real-world Slack samples are missing; set UNDERTONE_REAL_WORLD to the "
        "shared/real-world folder"
    )


REAL_WORLD = _real_world()
DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    """Return the PostgreSQL URL the suite may use."""
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


def _postgres_available(url: str) -> str | None:
    try:
        engine = create_engine(parse_database_url(url))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except OperationalError as exc:
        return str(exc.orig).splitlines()[0] if exc.orig else str(exc)
    return None


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """Yield a URL to a fresh schema in the test PostgreSQL, dropped afterwards."""
    url = postgres_url()
    problem = _postgres_available(url)
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {url} is required in CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL at {url} unreachable: {problem}")
    schema = f"undertone_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(parse_database_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield an empty database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'undertone.db'}"
        return
    base = request.getfixturevalue("postgres_schema_url")
    # A schema per test keeps tests independent without dropping the whole database.
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(parse_database_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield base.rsplit("options=", 1)[0] + f"options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """Yield a migrated database on each backend."""
    db = Database.from_url(database_url)
    upgrade(db, database_url)
    yield db
    db.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Return settings for tests: test pepper, no .env file, the test database."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        pepper="test-pepper",
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="test-signing-secret",
        # A live install: tests of the dry run start from the default themselves.
        dry_run=False,
        # Fixtures date from 2025; tests of retention set their own period.
        retention_days=3650,
    )


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep a developer's own Slack and Undertone settings out of every test."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "UNDERTONE_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    # Settings also read .env from the working directory.
    monkeypatch.chdir(tmp_path)
