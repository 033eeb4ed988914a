"""Storage: engine, sessions, the declarative base and migrations."""

from bot.db.base import Base, UTCDateTime, utcnow
from bot.db.engine import Database, session_scope

__all__ = ["Base", "Database", "UTCDateTime", "session_scope", "utcnow"]
