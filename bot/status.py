"""Operational status for admins, and this month's headline for App Home."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.ingest.service import queue_depth
from bot.observations.models import Observation
from bot.outbox.service import pending_count
from classifiers.labels import CONTEMPT, NOT_CUSTOMER

if TYPE_CHECKING:
    from bot.app import Services


def status_lines(services: Services) -> list[str]:
    """Return what an admin needs to know at a glance."""
    with services.database.session() as session:
        depth, oldest = queue_depth(session)
        outbox = pending_count(session)
    stats = services.worker.stats
    waited = (
        f", oldest waiting {(datetime.now(UTC) - oldest).total_seconds():.0f}s" if oldest else ""
    )
    return [
        "*Undertone status*",
        f"• Classification queue: {depth} message(s){waited}",
        f"• Classified since start: {stats.classified} in {stats.batches} batch(es); "
        f"last lag {stats.last_lag_seconds:.1f}s; set aside after errors: {stats.poisoned}",
        f"• Outbox: {outbox} message(s) waiting to be sent",
        f"• Model: {services.pipeline.classifier.version}",
    ]


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
    with services.database.session() as session:
        depth, oldest = queue_depth(session)
        outbox = pending_count(session)
    waited = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    return {
        "ok": True,
        "queue": depth,
        "oldest_pending_seconds": round(waited, 1),
        "outbox": outbox,
    }


def prometheus_metrics(services: Services) -> str:
    """Return queue, lag and outbox figures in the Prometheus text format."""
    with services.database.session() as session:
        depth, oldest = queue_depth(session)
        outbox = pending_count(session)
    stats = services.worker.stats
    waited = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    lines = [
        ("undertone_queue_depth", "gauge", "Messages waiting for the classifier.", depth),
        ("undertone_queue_oldest_seconds", "gauge", "Age of the oldest waiting message.", waited),
        ("undertone_outbox_pending", "gauge", "Slack messages waiting to be sent.", outbox),
        (
            "undertone_classified_total",
            "counter",
            "Messages classified by this process.",
            stats.classified,
        ),
        (
            "undertone_set_aside_total",
            "counter",
            "Messages set aside after errors.",
            stats.poisoned,
        ),
        (
            "undertone_classification_lag_seconds",
            "gauge",
            "Receipt-to-stored time of the last message.",
            stats.last_lag_seconds,
        ),
    ]
    out = []
    for name, kind, text, value in lines:
        out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {value}"]
    return "\n".join(out) + "\n"
