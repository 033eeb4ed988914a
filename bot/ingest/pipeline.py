"""The one path every message takes: skip what must be skipped, classify, store, act.

Live events, history backfill and export analysis differ only in where messages come
from; all of them end here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.service import (
    AccountDirectory,
    candidate_names,
    link_accounts,
    note_candidates,
)
from bot.db.engine import Database
from bot.ingest.normalize import SlackMessage
from bot.observations.service import MessageRef, NewObservation, record
from bot.preferences.models import UserPreference
from bot.privacy import author_key
from bot.settings import Settings
from bot.workspaces.models import Channel
from classifiers.model import Prediction
from classifiers.text import prepare_text

log = logging.getLogger(__name__)

# Characters of a message the model reads; Slack's own limit is 40,000.
MAX_MESSAGE_CHARS = 200_000


class Classifier(Protocol):
    """What the pipeline needs of the tone classifier."""

    version: str

    def predict_prepared(self, texts: list[str], *, batch_size: int = 32) -> list[Prediction]:
        """Classify prepared texts."""
        ...


@dataclass(frozen=True)
class Classified:
    """A message that was classified and stored; the text is gone from here on."""

    ref: MessageRef
    user_id: str
    author_key: str
    prediction: Prediction
    account_ids: tuple[int, ...] = ()


class Policy(Protocol):
    """Something that acts on freshly stored observations, in the same transaction."""

    def after_store(
        self, *, session: Session, classified: Sequence[Classified], source: str
    ) -> None:
        """Act on a stored batch."""
        ...


@dataclass
class BatchResult:
    """What happened to one batch."""

    classified: list[Classified]
    skipped: dict[str, int]


class Sink(Protocol):
    """Where batch jobs send messages: the pipeline itself, or the workers' queue."""

    def process(
        self,
        messages: Sequence[SlackMessage],
        *,
        workspace_id: str,
        source: str = "live",
        done: Callable[[Session], None] | None = None,
        session: Session | None = None,
    ) -> BatchResult:
        """Classify and store a batch (or queue it to be)."""
        ...


class Pipeline:
    """Classify batches of messages and store their observations (never their text)."""

    def __init__(
        self,
        *,
        database: Database,
        classifier: Classifier,
        settings: Settings,
        policies: Sequence[Policy] = (),
    ) -> None:
        self.database = database
        self.classifier = classifier
        self.settings = settings
        self.policies = list(policies)
        self.accounts = AccountDirectory(database)

    def author_key(self, user_id: str) -> str:
        """Return the pseudonymous key of a Slack user."""
        return author_key(user_id, pepper=self.settings.pepper)

    def process(
        self,
        messages: Sequence[SlackMessage],
        *,
        workspace_id: str,
        source: str = "live",
        done: Callable[[Session], None] | None = None,
        session: Session | None = None,
    ) -> BatchResult:
        """Classify and store a batch; messages already stored are updated, not duplicated.

        `done` runs inside the transaction that stores the observations (the worker deletes
        the pending rows there), so a message is never both stored and still pending.
        With `session`, everything happens in the caller's transaction (the distributed
        worker holds its locks there) and the caller commits. A message that comes twice
        (posted, then edited, before the batch ran) is classified once, as its later text.
        """
        messages = list({(m.channel_id, m.ts): m for m in messages}.values())
        skipped: dict[str, int] = {}

        def skip(reason: str) -> None:
            skipped[reason] = skipped.get(reason, 0) + 1

        keys = {m.user_id: self.author_key(m.user_id) for m in messages}
        with self._session(session) as reading:
            opted_out = _opted_out(reading, workspace_id, set(keys.values()))
            excluded = _excluded_channels(reading, workspace_id, {m.channel_id for m in messages})
            matcher = self.accounts.matcher(reading, workspace_id)
            # A channel named after an account (#halvorsen-rollout) is about that account.
            channel_accounts = (
                _channel_accounts(
                    reading, workspace_id, {m.channel_id for m in messages}, matcher.match
                )
                if len(matcher)
                else {}
            )
        todo: list[tuple[SlackMessage, str]] = []
        for message in messages:
            if message.channel_id in excluded:
                skip("excluded channel")
            elif keys[message.user_id] in opted_out:
                skip("opted out")
            else:
                text = prepare_text(message.text[:MAX_MESSAGE_CHARS])
                if text:
                    todo.append((message, text))
                else:
                    skip("no text")
        predictions = (
            self.classifier.predict_prepared(
                [text for _, text in todo], batch_size=self.settings.batch_size
            )
            if todo
            else []
        )
        classified = []
        candidates: list[tuple[str, set[str]]] = []
        for (message, text), prediction in zip(todo, predictions, strict=True):
            # Which listed accounts the message names is read now, while the text is here.
            accounts: tuple[int, ...] = ()
            if len(matcher):
                found = set(matcher.match(message.text))
                found.update(channel_accounts.get(message.channel_id, ()))
                accounts = tuple(sorted(found))
            classified.append(
                Classified(
                    ref=MessageRef(workspace_id, message.channel_id, message.ts, message.thread_ts),
                    user_id=message.user_id,
                    author_key=keys[message.user_id],
                    prediction=prediction,
                    account_ids=accounts,
                )
            )
            if prediction.about_customer and prediction.supported and not accounts:
                names = candidate_names(text)
                if names:
                    candidates.append((keys[message.user_id], names))
        with self._session(session) as writing:
            record(
                session=writing,
                observations=[
                    NewObservation(
                        ref=item.ref,
                        author_key=item.author_key,
                        label=item.prediction.label,
                        scores=item.prediction.scores,
                        lang=item.prediction.lang,
                        lang_supported=item.prediction.supported,
                        model_version=item.prediction.model_version,
                        source=source,
                    )
                    for item in classified
                ],
            )
            link_accounts(writing, [(item.ref, item.account_ids) for item in classified])
            if candidates:
                note_candidates(
                    writing,
                    workspace_id=workspace_id,
                    mentions=candidates,
                    known=matcher,
                    pepper=self.settings.pepper.get_secret_value(),
                )
            for policy in self.policies:
                policy.after_store(session=writing, classified=classified, source=source)
            if done is not None:
                done(writing)
        return BatchResult(classified, skipped)

    def _session(self, session: Session | None) -> AbstractContextManager[Session]:
        return nullcontext(session) if session is not None else self.database.session()


def _opted_out(session: Session, workspace_id: str, keys: set[str]) -> set[str]:
    if not keys:
        return set()
    rows = session.scalars(
        select(UserPreference.author_key).where(
            UserPreference.workspace_id == workspace_id,
            UserPreference.author_key.in_(keys),
            UserPreference.opted_out.is_(True),
        )
    )
    return set(rows)


def _excluded_channels(session: Session, workspace_id: str, channel_ids: set[str]) -> set[str]:
    if not channel_ids:
        return set()
    rows = session.scalars(
        select(Channel.id).where(
            Channel.workspace_id == workspace_id,
            Channel.id.in_(channel_ids),
            Channel.excluded.is_(True),
        )
    )
    return set(rows)


def _channel_accounts(
    session: Session,
    workspace_id: str,
    channel_ids: set[str],
    match: Callable[[str], list[int]],
) -> dict[str, list[int]]:
    names = session.execute(
        select(Channel.id, Channel.name).where(
            Channel.workspace_id == workspace_id, Channel.id.in_(channel_ids)
        )
    )
    return {channel_id: match(name) for channel_id, name in names if name}
