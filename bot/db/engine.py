"""Engines and sessions for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigurationError, DatabaseError

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def parse_database_url(raw: str) -> URL:
    """Parse DATABASE_URL, choosing the psycopg 3 driver for plain `postgresql://`."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigurationError(
            "DATABASE_URL is not a database URL "
            "(expected sqlite:///file.db or postgresql://user@host/db)"
        ) from None
    if url.drivername in _DRIVERS:
        url = url.set(drivername=_DRIVERS[url.drivername])
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"DATABASE_URL uses {url.get_backend_name()!r}; "
            "Undertone supports sqlite and postgresql"
        )
    return url


def safe_url(url: URL | str) -> str:
    """Render a URL for messages, with any password hidden."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "<unparsable URL>"
    return url.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(raw_url: str, **kwargs: Any) -> Engine:
    """Create an engine for DATABASE_URL with the settings each backend needs."""
    url = parse_database_url(raw_url)
    # A failed statement's parameters would otherwise be quoted in the error, and so in
    # logs: for pending messages they include the message text.
    kwargs.setdefault("hide_parameters", True)
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, **kwargs)
    except NoSuchModuleError:
        raise ConfigurationError(f"DATABASE_URL names an unknown driver: {safe_url(url)}") from None
    return engine


class Database:
    """One engine and its session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, raw_url: str) -> Database:
        """Open the database named by a URL (nothing is connected yet)."""
        return cls(make_engine(raw_url))

    @property
    def url(self) -> str:
        """Return the URL with any password hidden."""
        return safe_url(self.engine.url)

    def check(self) -> None:
        """Connect once, raising a one-line DatabaseError when that fails."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise DatabaseError(describe_operational_error(self.url, exc)) from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on error."""
        with session_scope(self.sessions) as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session; commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_operational_error(url: str, exc: OperationalError) -> str:
    """Turn a driver's connection error into one line that names the database."""
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else "unknown error"
    return f"cannot use the database at {url}: {detail}"
