"""Transaction-scoped advisory locks: one writer at a time per message or per author.

PostgreSQL holds such a lock until the transaction ends, so a crashed process can never
leave one behind. SQLite allows a single writer anyway, so there they are no-ops.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_key(*parts: str) -> int:
    """Return the signed 64-bit advisory-lock key of some names."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_all(session: Session, keys: list[tuple[str, ...]]) -> None:
    """Take the advisory locks of several names, always in the same order (no deadlocks)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({lock_key(*parts) for parts in keys}):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
