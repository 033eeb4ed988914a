"""Scheduled jobs: the monthly report on the first working day, and weekly trend alerts.

Each job is safe to run any number of times from any number of processes: a row in the
database is the claim, so a report goes out exactly once even with several replicas,
and late (rather than never) after downtime over the 1st.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.statements import insert_if_absent
from bot.observations.models import Observation
from bot.outbox.service import enqueue, file_payload
from bot.reports.chart import trend_png
from bot.reports.models import ReportDelivery
from bot.reports.month import Month
from bot.reports.render import to_blocks
from bot.reports.report import build_report
from bot.settings import Settings

log = logging.getLogger(__name__)

SEND_AT = time(9, 0)


def first_working_day(month: Month) -> date:
    """Return the first Monday-to-Friday day of a month."""
    day = month.first_day()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def due_months(now: datetime, zone: ZoneInfo) -> list[Month]:
    """Return the months whose report is due by now: the last two complete months, once
    their sending time (first working day of the next month, 09:00) has passed."""
    current = Month.containing(now, zone)
    due = []
    for back in (2, 1):
        month = current.shift(-back)
        send_at = datetime.combine(first_working_day(month.shift(1)), SEND_AT, tzinfo=zone)
        if now >= send_at:
            due.append(month)
    return due


def _claim(session: Session, workspace_id: str, month: Month) -> bool:
    return insert_if_absent(
        session,
        ReportDelivery,
        conflict=["workspace_id", "month"],
        workspace_id=workspace_id,
        month=str(month),
        claimed_at=datetime.now(UTC),
    )


def _has_data(session: Session, workspace_id: str, month: Month, zone: ZoneInfo) -> bool:
    count = session.scalar(
        select(func.count())
        .select_from(Observation)
        .where(
            Observation.workspace_id == workspace_id,
            Observation.message_at >= month.start(zone),
            Observation.message_at < month.end(zone),
        )
    )
    return bool(count)


# (workspace, month) whose waiting report this process has already warned about.
_warned_waiting: set[tuple[str, str]] = set()


def queue_monthly_report(
    session: Session, *, workspace_id: str, settings: Settings, now: datetime
) -> list[Month]:
    """Claim and queue every due, unsent monthly report; return the months queued."""
    zone = settings.zone
    destinations = [
        *settings.leaders,
        *([settings.report_channel] if settings.report_channel else []),
    ]
    queued = []
    for month in due_months(now, zone):
        if not _has_data(session, workspace_id, month, zone):
            continue
        if not destinations:
            # Unclaimed, so it goes out (late) once someone says where to send it. The job
            # runs every few minutes: say so once per month, not every time.
            if (workspace_id, str(month)) not in _warned_waiting:
                _warned_waiting.add((workspace_id, str(month)))
                log.warning(
                    "monthly report for %s is waiting: set UNDERTONE_LEADERS or "
                    "UNDERTONE_REPORT_CHANNEL to send it",
                    month,
                )
            continue
        if not _claim(session, workspace_id, month):
            continue
        report = build_report(
            session,
            workspace_id=workspace_id,
            month=month,
            min_group=settings.min_group,
            zone=zone,
            now=now,
            team_level_only=settings.team_level_only,
        )
        message = to_blocks(report)
        chart = trend_png(report)
        for destination in destinations:
            key = f"report:{workspace_id}:{month}:{destination}"
            enqueue(
                session=session,
                method="chat.postMessage",
                payload={"channel": destination, **message},
                workspace_id=workspace_id,
                dedupe_key=key,
            )
            enqueue(
                session=session,
                method="files_upload_v2",
                payload=file_payload(
                    channel=destination,
                    filename=f"culture-trend-{month}.png",
                    content=chart,
                    title=f"Contempt towards customers, 12 months to {month.label()}",
                ),
                workspace_id=workspace_id,
                dedupe_key=key + ":chart",
            )
        queued.append(month)
        log.info("monthly report for %s queued for %d destination(s)", month, len(destinations))
    return queued


class Scheduler:
    """Run the scheduled jobs every few minutes in a thread."""

    def __init__(
        self, jobs: list[Callable[[datetime], None]], *, every_seconds: float = 300.0
    ) -> None:
        self.jobs = jobs
        self.every_seconds = every_seconds

    def run_once(self, now: datetime | None = None) -> None:
        """Run every job once."""
        moment = now or datetime.now(UTC)
        for job in self.jobs:
            try:
                job(moment)
            except Exception:
                log.exception("scheduled job %s failed", getattr(job, "__name__", job))

    def run(self, stop: threading.Event) -> None:
        """Run the jobs until `stop` is set."""
        while not stop.is_set():
            self.run_once()
            stop.wait(self.every_seconds)
