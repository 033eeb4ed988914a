"""The account list: CSV import, adding from Slack, matching messages, suggestions.

Which accounts a message mentions is decided while its text is still in hand (in the
pipeline, next to the classifier) and stored as account ids on the observation; the text
is never kept. Suggestions are organisation names seen again and again in messages about
customers; they are only ever offered to an admin, never added on their own.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bot.accounts.matcher import AccountMatcher, AccountName
from bot.accounts.models import Account, AccountAlias, AccountCandidate, ObservationAccount
from bot.db.engine import Database
from bot.db.statements import insert_if_absent
from bot.errors import InputError
from bot.observations.service import MessageRef
from bot.teams.models import Team

# How long a process trusts its copy of the account list before looking for changes.
REFRESH_SECONDS = 5.0
# Suggested only once this many messages from this many people mentioned a name.
SUGGEST_MIN_MENTIONS = 5
SUGGEST_MIN_AUTHORS = 3
_KEEP_AUTHORS = 10
_SPACES = re.compile(r"\s+")
CSV_COLUMNS = ("name", "aliases", "owner_team", "crm_id")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL = frozenset({"Cc", "Zl", "Zp"})  # control characters, line and paragraph separators


def name_key(name: str) -> str:
    """Return the key two spellings of one name share: casefolded, spaces squeezed."""
    return _SPACES.sub(" ", name).strip().casefold()


def _split_aliases(raw: str) -> list[str]:
    return [a.strip() for a in re.split(r"[;|]", raw) if a.strip()]


@dataclass
class ImportResult:
    """What an import did; errors name the line."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def upsert_account(
    session: Session,
    *,
    workspace_id: str,
    name: str,
    aliases: Iterable[str] = (),
    owner_team_id: int | None = None,
    crm_id: str | None = None,
) -> tuple[Account, str]:
    """Create or update an account (matched by CRM id, else by name); say which happened.

    Raises InputError for a name or alias holding a line break or control character.
    """
    for given in (name, *aliases):
        if any(unicodedata.category(char) in _CONTROL for char in given):
            raise InputError(f"{given!r} holds a line break or control character")
    key = name_key(name)
    account = None
    if crm_id:
        account = session.scalar(
            select(Account).where(Account.workspace_id == workspace_id, Account.crm_id == crm_id)
        )
    if account is None:
        account = session.scalar(
            select(Account).where(Account.workspace_id == workspace_id, Account.name_key == key)
        )
    wanted = {name_key(a): a.strip() for a in aliases if name_key(a) and name_key(a) != key}
    if account is None:
        account = Account(
            workspace_id=workspace_id,
            name=name.strip(),
            name_key=key,
            crm_id=crm_id or None,
            owner_team_id=owner_team_id,
            aliases=[AccountAlias(alias=a, alias_key=k) for k, a in sorted(wanted.items())],
        )
        session.add(account)
        session.flush()
        return account, "created"
    before = (
        account.name,
        account.crm_id,
        account.owner_team_id,
        sorted(a.alias_key for a in account.aliases),
    )
    account.name, account.name_key = name.strip(), key
    account.crm_id = crm_id or account.crm_id
    account.owner_team_id = owner_team_id if owner_team_id is not None else account.owner_team_id
    current = {a.alias_key: a for a in account.aliases}
    for alias_key, alias in list(current.items()):
        if alias_key not in wanted:
            account.aliases.remove(alias)
    for alias_key, alias_text in wanted.items():
        if alias_key not in current:
            account.aliases.append(AccountAlias(alias=alias_text, alias_key=alias_key))
    after = (
        account.name,
        account.crm_id,
        account.owner_team_id,
        sorted(a.alias_key for a in account.aliases),
    )
    if after == before:
        return account, "unchanged"
    account.updated_at = datetime.now(UTC)
    session.flush()
    return account, "updated"


@dataclass(frozen=True)
class _BadLine:
    """Why one line of a CSV file could not be read."""

    reason: str


def _csv_fields(line: str) -> list[str] | _BadLine:
    """Return the fields of one CSV line, parsed strictly, or what is wrong with it."""
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error as exc:
        if line.count('"') % 2:
            return _BadLine(
                'a quote (") is opened and not closed on this line; a value cannot span lines'
            )
        return _BadLine(f"not valid CSV ({exc})")


def import_csv(session: Session, *, workspace_id: str, path: Path) -> ImportResult:
    """Load accounts from a CSV with columns name, aliases, owner_team, crm_id.

    Each account is one line (a quoted value cannot span lines). Good lines are imported
    even when others are bad; every bad line is reported by number.
    Re-importing the same file changes nothing; an edited file updates, never duplicates.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; save the CSV as UTF-8") from None
    # One record per line, parsed strictly: no account field may span lines, so an unclosed
    # quote is that line's error instead of swallowing the lines after it into one name.
    lines = _LINE_BREAK.split(text)
    first = _csv_fields(lines[0])
    if isinstance(first, _BadLine):
        raise InputError(f"{path}: line 1: {first.reason}")
    header = [h.strip().lower() for h in first]
    if "name" not in header:
        raise InputError(
            f"{path}: the first line must name the columns, at least `name` "
            f"(known: {', '.join(CSV_COLUMNS)})"
        )
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    if unknown:
        raise InputError(
            f"{path}: unknown column(s) {', '.join(unknown)} (known: {', '.join(CSV_COLUMNS)})"
        )
    teams = {
        name_key(t.name): t.id
        for t in session.scalars(select(Team).where(Team.workspace_id == workspace_id))
    }
    result = ImportResult()
    seen: dict[str, int] = {}
    for line, content in enumerate(lines[1:], start=2):
        if not content:
            continue
        fields = _csv_fields(content)
        if isinstance(fields, _BadLine):
            result.errors.append(f"line {line}: {fields.reason}")
            continue
        if len(fields) > len(header):
            result.errors.append(f"line {line}: more fields than the header has columns")
            continue
        row = dict(zip(header, fields, strict=False))
        name = (row.get("name") or "").strip()
        if not name:
            result.errors.append(f"line {line}: the name is empty")
            continue
        if any(unicodedata.category(char) in _CONTROL for char in name):
            result.errors.append(f"line {line}: the name holds a line break or control character")
            continue
        if len(name) > 200:
            result.errors.append(f"line {line}: the name is longer than 200 characters")
            continue
        if name_key(name) in seen:
            result.errors.append(f"line {line}: {name!r} is already on line {seen[name_key(name)]}")
            continue
        team_name = (row.get("owner_team") or "").strip()
        team_id = teams.get(name_key(team_name)) if team_name else None
        if team_name and team_id is None:
            known = ", ".join(sorted(t for t in teams)) or "none yet"
            result.errors.append(f"line {line}: no team called {team_name!r} (teams: {known})")
            continue
        crm_id = (row.get("crm_id") or "").strip() or None
        if crm_id and len(crm_id) > 64:
            result.errors.append(f"line {line}: the CRM id is longer than 64 characters")
            continue
        seen[name_key(name)] = line
        with session.begin_nested():
            _, outcome = upsert_account(
                session,
                workspace_id=workspace_id,
                name=name,
                aliases=_split_aliases(row.get("aliases") or ""),
                owner_team_id=team_id,
                crm_id=crm_id,
            )
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def accounts_of(session: Session, workspace_id: str) -> list[Account]:
    """Return a workspace's accounts by name."""
    return list(
        session.scalars(
            select(Account).where(Account.workspace_id == workspace_id).order_by(Account.name_key)
        )
    )


def build_matcher(session: Session, workspace_id: str) -> AccountMatcher:
    """Return a matcher for a workspace's account list."""
    return AccountMatcher(
        AccountName(a.id, a.name, tuple(alias.alias for alias in a.aliases))
        for a in accounts_of(session, workspace_id)
    )


class AccountDirectory:
    """Each process's copy of the account lists, refreshed when an admin changes them."""

    def __init__(self, database: Database, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.database = database
        self.refresh_seconds = refresh_seconds
        self._cache: dict[str, tuple[float, tuple[int, object], AccountMatcher]] = {}
        self._lock = threading.Lock()

    def matcher(self, session: Session, workspace_id: str) -> AccountMatcher:
        """Return the workspace's matcher, rebuilt if the list changed since last look."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(workspace_id)
        if cached is not None and now - cached[0] < self.refresh_seconds:
            return cached[2]
        count, changed = session.execute(
            select(func.count(Account.id), func.max(Account.updated_at)).where(
                Account.workspace_id == workspace_id
            )
        ).one()
        stamp: tuple[int, object] = (int(count), changed)
        if cached is not None and cached[1] == stamp:
            matcher = cached[2]
        else:
            matcher = build_matcher(session, workspace_id)
        with self._lock:
            self._cache[workspace_id] = (now, stamp, matcher)
        return matcher


def link_accounts(session: Session, links: Sequence[tuple[MessageRef, Iterable[int]]]) -> None:
    """Record which accounts each message mentions (replacing what an earlier version said)."""
    by_channel: dict[tuple[str, str], set[str]] = {}
    for ref, _ in links:
        by_channel.setdefault((ref.workspace_id, ref.channel_id), set()).add(ref.ts)
    for (workspace_id, channel_id), stamps in by_channel.items():
        session.execute(
            delete(ObservationAccount).where(
                ObservationAccount.workspace_id == workspace_id,
                ObservationAccount.channel_id == channel_id,
                ObservationAccount.message_ts.in_(stamps),
            )
        )
    rows = [
        {
            "workspace_id": ref.workspace_id,
            "channel_id": ref.channel_id,
            "message_ts": ref.ts,
            "account_id": account_id,
        }
        for ref, ids in links
        for account_id in sorted(set(ids))
    ]
    if rows:
        session.execute(insert(ObservationAccount), rows)


def forget_links(session: Session, ref: MessageRef) -> None:
    """Remove a message's account mentions (edit or deletion)."""
    session.execute(
        delete(ObservationAccount).where(
            ObservationAccount.workspace_id == ref.workspace_id,
            ObservationAccount.channel_id == ref.channel_id,
            ObservationAccount.message_ts == ref.ts,
        )
    )


# --- suggestions -------------------------------------------------------------------

# "the halvorsen people", "Initech's admins", "ticket from Globex": a name next to a word
# that says a customer organisation is meant.
_ORG_NOUNS = (
    "people|folks|admins?|users|ops|account|contract|renewal|rollout|onboarding|"
    "instance|tickets?|escalations?|integration|migration"
)
_BEFORE_NOUN = re.compile(
    rf"\b([A-Za-z][\w&.-]{{2,}}(?:\s+[A-Za-z][\w&.-]+)?)(?:['’]s)?\s+(?:{_ORG_NOUNS})\b"
)
# After a preposition only multi-word capitalised names ("from Dunmore Freight"): a single
# capitalised word there is as often a colleague's first name.
_AFTER_PREPOSITION = re.compile(
    r"\b(?:from|at|with|for|to|by)\s+([A-Z][\w&.-]{2,}(?:\s+[A-Z][\w&.-]+){1,2})"
)
_NOT_NAMES = frozenset(
    """
    the our their your his her its this that these those every each some any all other
    another same new old whole entire customer customers client clients support sales eng
    engineering product platform internal external prod staging dev qa api data account
    user users admin admins team people folks today tomorrow yesterday monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july
    august september october november december slack jira github google zoom our ops
    """.split()
)


def candidate_names(text: str) -> set[str]:
    """Return organisation-like names in a message, for suggestions."""
    found = set()
    for pattern in (_BEFORE_NOUN, _AFTER_PREPOSITION):
        for match in pattern.finditer(text):
            words = match.group(1).strip(" .-&").split()
            while words and words[0].casefold() in _NOT_NAMES:
                words.pop(0)  # "the dunmore" is "dunmore"
            name = " ".join(words)
            if not words or any(w.casefold() in _NOT_NAMES for w in words):
                continue
            if any(ch.isdigit() for ch in name) or len(name) < 3:
                continue
            found.add(name)
    return found


def candidate_key(name: str, pepper: str) -> str:
    """Return the keyed hash a candidate name is stored under until it is common."""
    return hmac.new(pepper.encode(), name_key(name).encode(), hashlib.sha256).hexdigest()


def note_candidates(
    session: Session,
    *,
    workspace_id: str,
    mentions: Iterable[tuple[str, Iterable[str]]],
    known: AccountMatcher,
    pepper: str,
) -> None:
    """Count names from a batch's messages about customers that match no listed account.

    `mentions` holds (author key, names) per message. The name itself is written only
    once at least SUGGEST_MIN_MENTIONS messages from SUGGEST_MIN_AUTHORS people used it;
    before that, only its keyed hash and the counts. Rows are taken in key order, so
    workers storing batches at the same time lock them in the same order and cannot
    deadlock.
    """
    by_key: dict[str, list[tuple[str, str]]] = {}
    for author_key, names in mentions:
        for name in names:
            if not known.match(name):
                by_key.setdefault(candidate_key(name, pepper), []).append((name, author_key))
    now = datetime.now(UTC)
    for key in sorted(by_key):
        insert_if_absent(
            session,
            AccountCandidate,
            conflict=["workspace_id", "name_key"],
            workspace_id=workspace_id,
            name=None,
            name_key=key,
            mentions=0,
            author_keys=[],
            last_seen=now,
        )
        candidate = session.scalar(
            select(AccountCandidate)
            .where(AccountCandidate.workspace_id == workspace_id, AccountCandidate.name_key == key)
            .with_for_update()
        )
        if candidate is None:
            continue
        for name, author_key in by_key[key]:
            _count_mention(candidate, name, author_key, now)


def _count_mention(candidate: AccountCandidate, name: str, author_key: str, now: datetime) -> None:
    candidate.mentions += 1
    candidate.last_seen = now
    if author_key not in candidate.author_keys and len(candidate.author_keys) < _KEEP_AUTHORS:
        candidate.author_keys = [*candidate.author_keys, author_key]
    common = (
        candidate.mentions >= SUGGEST_MIN_MENTIONS
        and len(candidate.author_keys) >= SUGGEST_MIN_AUTHORS
    )
    if common and (
        candidate.name is None or (name[:1].isupper() and not candidate.name[:1].isupper())
    ):
        candidate.name = name  # prefer a capitalised spelling for display


@dataclass(frozen=True)
class Suggestion:
    """A name worth adding to the account list."""

    name: str
    mentions: int
    people: int


def suggestions(
    session: Session,
    *,
    workspace_id: str,
    min_mentions: int = SUGGEST_MIN_MENTIONS,
    min_authors: int = SUGGEST_MIN_AUTHORS,
) -> list[Suggestion]:
    """Return names seen often, from enough people, that are not accounts yet."""
    known = build_matcher(session, workspace_id)
    out = []
    for candidate in session.scalars(
        select(AccountCandidate)
        .where(
            AccountCandidate.workspace_id == workspace_id,
            AccountCandidate.mentions >= min_mentions,
        )
        .order_by(AccountCandidate.mentions.desc(), AccountCandidate.name_key)
    ):
        people = len(candidate.author_keys)
        if candidate.name and people >= min_authors and not known.match(candidate.name):
            out.append(Suggestion(candidate.name, candidate.mentions, people))
    return out
