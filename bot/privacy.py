"""Pseudonymous author keys."""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr


def author_key(user_id: str, *, pepper: SecretStr) -> str:
    """Return the pseudonymous key of a Slack user: HMAC-SHA256 of the id, keyed by the pepper."""
    digest = hmac.new(
        pepper.get_secret_value().encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256
    )
    return digest.hexdigest()
