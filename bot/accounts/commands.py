"""`/undertone account …`: admins add and list customer accounts from Slack."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot.accounts.service import accounts_of, upsert_account
from bot.errors import InputError

USAGE = (
    "`/undertone account list` · `/undertone account add NAME` · "
    "`/undertone account add NAME aka ALIAS, ALIAS` (or load a CSV with "
    "`undertone accounts import`)"
)
_AKA = re.compile(r"\s+aka\s+", re.IGNORECASE)


def account_command(session: Session, *, workspace_id: str, text: str) -> str:
    """Run one account command and return the answer to show the admin."""
    verb, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    if verb in ("", "list"):
        accounts = accounts_of(session, workspace_id)
        if not accounts:
            return "No accounts yet. " + USAGE
        lines = []
        for account in accounts:
            aliases = ", ".join(a.alias for a in account.aliases)
            lines.append(f"• *{account.name}*" + (f" (also {aliases})" if aliases else ""))
        return "\n".join(lines)
    if verb == "add" and rest:
        parts = _AKA.split(rest, maxsplit=1)
        name = parts[0].strip().strip("*_")
        aliases = parts[1] if len(parts) > 1 else ""
        if not name or len(name) > 200:
            return "Give the account's name (up to 200 characters). " + USAGE
        try:
            account, outcome = upsert_account(
                session,
                workspace_id=workspace_id,
                name=name,
                aliases=[a.strip() for a in aliases.split(",") if a.strip()],
            )
        except InputError as error:
            return f"That name can't be used: {error}. " + USAGE
        also = ", ".join(a.alias for a in account.aliases)
        what = {"created": "added", "updated": "updated", "unchanged": "already listed"}[outcome]
        return (
            f"*{account.name}* {what}" + (f" (also {also})" if also else "") + ". Messages "
            "naming it count towards it from now on; the monthly report shows it once enough "
            "people talk about it."
        )
    return USAGE
