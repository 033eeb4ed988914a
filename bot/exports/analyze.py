"""Analyse a Slack export through the same pipeline as live messages.

Messages stream from the archive into batches, through normalisation, the classifier and
the observation store; no text and no names or emails are kept. Each finished day file is
recorded, so a re-run adds nothing twice and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.db.engine import Database
from bot.db.statements import insert_if_absent
from bot.exports.models import ExportFile
from bot.exports.reader import ExportChannel, SlackExport
from bot.ingest.normalize import Skipped, SlackMessage, normalize
from bot.ingest.pipeline import Sink
from bot.workspaces.service import ensure_channel, ensure_workspace

log = logging.getLogger(__name__)

_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})\.json$")
# normalize()'s reason for a message whose `ts` is missing or not a Slack timestamp: in an
# export that is damage to the file, so the file is named, not just the message counted.
_NO_TS = "no ts"


@dataclass
class ChannelTally:
    """What happened in one channel."""

    name: str
    read: int = 0
    classified: int = 0
    about_customers: int = 0
    contempt: int = 0


@dataclass
class AnalyzeResult:
    """What an analysis run did."""

    workspace_id: str
    channels: dict[str, ChannelTally] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    files_done: int = 0
    files_already_done: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    latest_message: datetime | None = None

    @property
    def read(self) -> int:
        """Return how many messages were read."""
        return sum(c.read for c in self.channels.values())

    @property
    def classified(self) -> int:
        """Return how many messages were classified and stored."""
        return sum(c.classified for c in self.channels.values())

    @property
    def partial(self) -> bool:
        """Tell whether some files could not be read."""
        return bool(self.problems)


Progress = Callable[[int, int], None]  # messages done, bytes done


def _day(name: str) -> date | None:
    match = _DAY.search(name)
    return date.fromisoformat(match.group(1)) if match else None


def workspace_for(export: SlackExport, name: str | None) -> str:
    """Return the workspace id of an export: Slack's team id, or one made from its name."""
    found = export.workspace_id()
    if found:
        return found
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name or export.path.stem).strip("-").lower()[:24]
    return f"export-{slug or 'workspace'}"


class ExportAnalysis:
    """One run of `undertone analyze`."""

    def __init__(
        self,
        *,
        export: SlackExport,
        pipeline: Sink,
        database: Database,
        workspace_id: str,
        workspace_name: str = "",
        batch_size: int = 64,
    ) -> None:
        self.export = export
        self.pipeline = pipeline
        self.database = database
        self.workspace_id = workspace_id
        self.workspace_name = workspace_name
        self.batch_size = batch_size

    def plan(
        self,
        *,
        channels: list[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[tuple[ExportChannel, list[str]]]:
        """Return the channels and day files to read, after the filters."""
        wanted = {c.lstrip("#").lower() for c in channels} if channels else None
        plan = []
        for channel in self.export.channels():
            if not channel.monitored:
                continue
            if (
                wanted is not None
                and channel.name.lower() not in wanted
                and channel.id.lower() not in wanted
            ):
                continue
            files = []
            for name in self.export.day_files(channel):
                day = _day(name)
                if day is None or (since and day < since) or (until and day > until):
                    continue
                files.append(name)
            plan.append((channel, files))
        return plan

    def total_bytes(self, plan: list[tuple[ExportChannel, list[str]]]) -> int:
        """Return the size of everything to read, for the progress bar's ETA."""
        return sum(self.export.size(name) for _, files in plan for name in files)

    def run(
        self, plan: list[tuple[ExportChannel, list[str]]], progress: Progress = lambda m, b: None
    ) -> AnalyzeResult:
        """Read, classify and store; resume past files finished by an earlier run."""
        result = AnalyzeResult(self.workspace_id)
        with self.database.session() as session:
            ensure_workspace(
                session=session, workspace_id=self.workspace_id, name=self.workspace_name
            )
            for channel, _ in plan:
                ensure_channel(
                    session=session,
                    workspace_id=self.workspace_id,
                    channel_id=channel.id,
                    name=channel.name,
                    is_private=channel.kind == "private",
                )
            done = {
                (row.file, row.fingerprint)
                for row in session.scalars(
                    select(ExportFile).where(ExportFile.workspace_id == self.workspace_id)
                )
            }
        batch: list[SlackMessage] = []
        finished_files: list[tuple[str, str]] = []
        messages_done = bytes_done = 0

        def flush() -> None:
            if batch:
                outcome = self.pipeline.process(
                    batch, workspace_id=self.workspace_id, source="export"
                )
                for item in outcome.classified:
                    tally = result.channels[item.ref.channel_id]
                    tally.classified += 1
                    tally.about_customers += (
                        item.prediction.about_customer and item.prediction.supported
                    )
                    tally.contempt += (
                        item.prediction.label == "contempt" and item.prediction.supported
                    )
                for reason, count in outcome.skipped.items():
                    result.skipped[reason] = result.skipped.get(reason, 0) + count
                batch.clear()
            if finished_files:
                with self.database.session() as session:
                    for name, fingerprint in finished_files:
                        insert_if_absent(
                            session, ExportFile, conflict=["workspace_id", "file", "fingerprint"],
                            workspace_id=self.workspace_id, file=name, fingerprint=fingerprint,
                            done_at=datetime.now(UTC),
                        )  # fmt: skip
                result.files_done += len(finished_files)
                finished_files.clear()

        for channel, files in plan:
            tally = result.channels.setdefault(channel.id, ChannelTally(channel.name))
            for name in files:
                fingerprint = self.export.fingerprint(name)
                size = self.export.size(name)
                if (name, fingerprint) in done:
                    result.files_already_done += 1
                    bytes_done += size
                    progress(messages_done, bytes_done)
                    continue
                without_ts = 0
                for raw in self.export.messages(name):
                    tally.read += 1
                    messages_done += 1
                    message = normalize(raw, channel_id=channel.id)
                    if isinstance(message, Skipped):
                        result.skipped[message.reason] = result.skipped.get(message.reason, 0) + 1
                        without_ts += message.reason == _NO_TS
                        continue
                    moment = datetime.fromtimestamp(float(message.ts), tz=UTC)
                    if result.latest_message is None or moment > result.latest_message:
                        result.latest_message = moment
                    batch.append(message)
                    if len(batch) >= self.batch_size:
                        flush()
                        progress(messages_done, bytes_done)
                if without_ts:
                    self.export.problems.add(
                        name, f"{without_ts} message(s) without a valid ts were skipped"
                    )
                if not any(problem[0] == name for problem in self.export.problems.items):
                    finished_files.append((name, fingerprint))
                bytes_done += size
                progress(messages_done, bytes_done)
        flush()
        progress(messages_done, bytes_done)
        result.problems = list(self.export.problems.items)
        return result
