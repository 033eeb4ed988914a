"""Operational status for admins, and this month's headline for App Home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.ingest.models import SetAsideMessage
from bot.ingest.service import queue_depth
from bot.ingest.worker import ClassificationWorker
from bot.observations.models import Observation
from bot.outbox.service import pending_count
from classifiers.labels import CONTEMPT, NOT_CUSTOMER

if TYPE_CHECKING:
    from bot.app import Services


@dataclass(frozen=True)
class QueueFigures:
    """How far classification is behind, as an operator watches it."""

    pending: int
    oldest_seconds: float
    set_aside: int
    broker_depth: int | None  # tasks waiting in the broker (distributed mode only)


def queue_figures(services: Services) -> QueueFigures:
    """Read the queue's depth and lag from the database (and the broker, if any)."""
    with services.database.session() as session:
        depth, oldest = queue_depth(session)
        set_aside = int(session.scalar(select(func.count()).select_from(SetAsideMessage)) or 0)
    waited = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    broker = services.broker.depth() if services.broker is not None else None
    return QueueFigures(depth, max(0.0, waited), set_aside, broker)


def status_lines(services: Services) -> list[str]:
    """Return what an admin needs to know at a glance."""
    figures = queue_figures(services)
    with services.database.session() as session:
        outbox = pending_count(session)
    waited = f", oldest waiting {figures.oldest_seconds:.0f}s" if figures.pending else ""
    lines = ["*Undertone status*"]
    if services.workspace_id:
        from bot.governance.service import controls

        with services.database.session() as session:
            state = controls(session, services.workspace_id, services.settings)
        mode = (
            "dry run (nothing is sent; `/undertone admin live` ends it)"
            if state.dry_run
            else "live"
        )
        if state.paused:
            mode += ", paused" + (" (not reading messages)" if state.classification_paused else "")
        lines.append(f"• Mode: {mode}")
    lines.append(f"• Classification queue: {figures.pending} message(s){waited}")
    if services.pipeline is None:
        broker = (
            f"{figures.broker_depth} task(s) waiting"
            if figures.broker_depth is not None
            else "unreachable (messages wait safely in the database)"
        )
        lines.append(f"• Distributed mode: `undertone worker` processes classify; broker {broker}")
    else:
        assert isinstance(services.worker, ClassificationWorker)
        stats = services.worker.stats
        lines.append(
            f"• Classified since start: {stats.classified} in {stats.batches} batch(es); "
            f"last lag {stats.last_lag_seconds:.1f}s"
        )
        lines.append(f"• Model: {services.pipeline.classifier.version}")
    lines += [
        f"• Set aside after repeated errors: {figures.set_aside}",
        f"• Outbox: {outbox} message(s) waiting to be sent",
    ]
    return lines


def headline_figures(services: Services, *, session: Session, workspace_id: str) -> list[str]:
    """Return this month's organisation-wide figures, or why they are withheld."""
    now = datetime.now(services.settings.zone)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    about = Observation.label != NOT_CUSTOMER
    row = session.execute(
        select(
            func.count().filter(about),
            func.count(func.distinct(case((about, Observation.author_key)))),
            func.count().filter(Observation.label == CONTEMPT),
        ).where(
            Observation.workspace_id == workspace_id,
            Observation.message_at >= start,
            Observation.lang_supported.is_(True),
        )
    ).one()
    messages, authors, contempt = int(row[0]), int(row[1]), int(row[2])
    if authors < services.settings.min_group:
        return [f"Not enough people to report yet (fewer than {services.settings.min_group})."]
    return [
        f"• {messages} messages about customers from {authors} people",
        f"• Contempt rate: {contempt / messages:.1%}" if messages else "• Contempt rate: n/a",
    ]


def health(services: Services) -> dict[str, object]:
    """Return the health check: the database answers and the worker is keeping up."""
    figures = queue_figures(services)
    with services.database.session() as session:
        outbox = pending_count(session)
    return {
        "ok": True,
        "queue": figures.pending,
        "oldest_pending_seconds": round(figures.oldest_seconds, 1),
        "outbox": outbox,
    }


def prometheus_metrics(services: Services) -> str:
    """Return queue, lag and outbox figures in the Prometheus text format."""
    figures = queue_figures(services)
    with services.database.session() as session:
        outbox = pending_count(session)
    # Only the single-process app classifies; a distributed app's relay counts nothing here.
    worker = services.worker
    classified = worker.stats.classified if isinstance(worker, ClassificationWorker) else 0
    lines: list[tuple[str, str, str, float | None]] = [
        ("undertone_queue_depth", "gauge", "Messages waiting for the classifier.", figures.pending),
        (
            "undertone_classification_lag_seconds",
            "gauge",
            "How long the oldest waiting message has waited (0 when none waits).",
            figures.oldest_seconds,
        ),
        (
            "undertone_broker_queue_depth",
            "gauge",
            "Tasks waiting in the Celery broker (distributed mode).",
            figures.broker_depth,
        ),
        (
            "undertone_set_aside_total",
            "counter",
            "Messages set aside after repeated classification errors.",
            figures.set_aside,
        ),
        ("undertone_outbox_pending", "gauge", "Slack messages waiting to be sent.", outbox),
        (
            "undertone_classified_total",
            "counter",
            "Messages classified by this process (0 in distributed mode).",
            classified,
        ),
    ]
    out = []
    for name, kind, text, value in lines:
        if value is None:
            continue
        out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {float(value):g}"]
    return "\n".join(out) + "\n"
