"""Monthly figures kept once a month is over.

A finished month's aggregates are stored the first time a report needs them, with a
fingerprint of what the month held (how many observations, the newest id). Later reports
reuse them while the fingerprint matches, so a 12-month trend costs one small query per
report instead of twelve scans; and when retention purges a month's observations
altogether, its aggregates stay, as the privacy rules allow.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, literal, select
from sqlalchemy.orm import Session

from bot.db.statements import dialect_insert
from bot.observations.models import Observation
from bot.reports.aggregates import Cell, RangeFigures, range_figures
from bot.reports.models import MonthlyAggregate
from bot.reports.month import Month

Fingerprint = tuple[int, int]


def fingerprints(
    session: Session, *, workspace_id: str, months: list[Month], zone: ZoneInfo
) -> dict[Month, Fingerprint]:
    """Return (observations, newest id) per month, from one pass over the index."""
    if not months:
        return {}
    ordered = sorted(months)
    bucket = case(
        *[(Observation.message_at < m.end(zone), literal(str(m))) for m in ordered],
        else_=literal("later"),
    )
    query = (
        select(bucket.label("month"), func.count(), func.max(Observation.id))
        .where(
            Observation.workspace_id == workspace_id,
            Observation.message_at >= ordered[0].start(zone),
            Observation.message_at < ordered[-1].end(zone),
        )
        .group_by(bucket)
    )
    found = {name: (int(count), int(newest or 0)) for name, count, newest in session.execute(query)}
    return {m: found.get(str(m), (0, 0)) for m in ordered}


def _load(session: Session, workspace_id: str, month: Month) -> list[MonthlyAggregate]:
    return list(
        session.scalars(
            select(MonthlyAggregate).where(
                MonthlyAggregate.workspace_id == workspace_id, MonthlyAggregate.month == str(month)
            )
        )
    )


def _cell(row: MonthlyAggregate) -> Cell:
    cell = Cell()
    cell.label_counts.update({k: int(v) for k, v in row.label_counts.items()})
    cell.authors = row.authors
    cell.unsupported = row.unsupported
    return cell


def _store(
    session: Session,
    *,
    workspace_id: str,
    month: Month,
    figures: RangeFigures,
    fingerprint: Fingerprint,
    team_names: dict[str, str],
) -> None:
    session.execute(
        delete(MonthlyAggregate).where(
            MonthlyAggregate.workspace_id == workspace_id,
            MonthlyAggregate.month == str(month),
        )
    )
    rows = [("overall", "overall", "", figures.overall)]
    rows += [("team", key, team_names.get(key, ""), cell) for key, cell in figures.teams.items()]
    rows += [("channel", key, "", cell) for key, cell in figures.channels.items()]
    values = [
        {
            "workspace_id": workspace_id,
            "month": str(month),
            "scope_kind": kind,
            "scope_id": key,
            "scope_name": name,
            "label_counts": dict(cell.label_counts),
            "authors": cell.authors,
            "unsupported": cell.unsupported,
            "observations": fingerprint[0],
            "last_observation_id": fingerprint[1],
            "computed_at": datetime.now(UTC),
        }
        for kind, key, name, cell in rows
    ]
    # Two reports built at once (the scheduler and a /culture-report) compute the same
    # figures; whichever writes last wins, and neither fails.
    statement = dialect_insert(session, MonthlyAggregate).values(values)
    columns = ("scope_name", "label_counts", "authors", "unsupported", "observations",
               "last_observation_id", "computed_at")  # fmt: skip
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "month", "scope_kind", "scope_id"],
            set_={c: statement.excluded[c] for c in columns},
        )
    )


def month_figures(
    session: Session,
    *,
    workspace_id: str,
    month: Month,
    zone: ZoneInfo,
    now: datetime,
    fingerprint: Fingerprint,
    team_names: dict[str, str],
) -> RangeFigures:
    """Return a month's figures: stored ones while still current, else computed (and
    stored, once the month is over)."""
    start, end = month.start(zone), month.end(zone)
    stored = _load(session, workspace_id, month) if end <= now else []
    if stored:
        kept = (stored[0].observations, stored[0].last_observation_id)
        # A month emptied by retention keeps its figures; any other change is recomputed.
        if kept == fingerprint or fingerprint[0] == 0:
            return _rebuild(stored, start, end, team_names)
    figures = range_figures(session, workspace_id=workspace_id, start=start, end=end)
    if end <= now and fingerprint[0] > 0:
        _store(
            session,
            workspace_id=workspace_id,
            month=month,
            figures=figures,
            fingerprint=fingerprint,
            team_names=team_names,
        )
    return figures


def _rebuild(
    stored: list[MonthlyAggregate], start: datetime, end: datetime, team_names: dict[str, str]
) -> RangeFigures:
    figures = RangeFigures(start, end)
    key_of_name = {name: key for key, name in team_names.items()}
    for row in stored:
        if row.scope_kind == "overall":
            figures.overall = _cell(row)
        elif row.scope_kind == "team":
            # Teams are matched by name, so a team redefined since keeps its history.
            key = key_of_name.get(row.scope_name, row.scope_id) if row.scope_name else row.scope_id
            figures.teams[key] = _cell(row)
        else:
            figures.channels[row.scope_id] = _cell(row)
    return figures
