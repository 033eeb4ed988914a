"""Monthly figures kept once a month is over.

A finished month's aggregates are stored the first time a report needs them, with a
fingerprint of what the month held (how many observations, the newest id). Later reports
reuse them while the fingerprint matches, so a 12-month trend costs one small query per
report instead of twelve scans; and when retention purges a month's observations
altogether, its aggregates stay, as the privacy rules allow.

A month's weeks are kept the same way, beside the month (scope kinds `week:overall`,
`week:team`, `week:channel`, scope ids prefixed with the week), under the same
fingerprint: whatever makes the month stale makes its weeks stale too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, literal, select
from sqlalchemy.orm import Session

from bot.db.statements import dialect_insert
from bot.observations.models import Observation
from bot.reports.aggregates import Cell, RangeFigures, range_figures, split_figures
from bot.reports.models import MonthlyAggregate
from bot.reports.month import Month
from bot.reports.week import Week, weeks_of

Fingerprint = tuple[int, int]
MONTH_KINDS = ("overall", "team", "channel")
WEEK_KINDS = tuple(f"week:{kind}" for kind in MONTH_KINDS)
# A stored figure: scope kind, scope id, team name (teams only) and the cell.
Scoped = tuple[str, str, str, Cell]


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


def _load(
    session: Session, workspace_id: str, month: Month, kinds: Sequence[str]
) -> list[MonthlyAggregate]:
    return list(
        session.scalars(
            select(MonthlyAggregate).where(
                MonthlyAggregate.workspace_id == workspace_id,
                MonthlyAggregate.month == str(month),
                MonthlyAggregate.scope_kind.in_(kinds),
            )
        )
    )


def _current(stored: list[MonthlyAggregate], fingerprint: Fingerprint) -> bool:
    if not stored:
        return False
    kept = (stored[0].observations, stored[0].last_observation_id)
    # A month emptied by retention keeps its figures; any other change is recomputed.
    return kept == fingerprint or fingerprint[0] == 0


def _scoped(figures: RangeFigures, team_names: dict[str, str], prefix: str = "") -> list[Scoped]:
    kind = "week:" if prefix else ""
    rows = [(kind + "overall", prefix + "overall", "", figures.overall)]
    rows += [
        (kind + "team", prefix + key, team_names.get(key, ""), cell)
        for key, cell in figures.teams.items()
    ]
    rows += [(kind + "channel", prefix + key, "", cell) for key, cell in figures.channels.items()]
    return rows


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
    rows: Iterable[Scoped],
    fingerprint: Fingerprint,
    replacing: Sequence[str],
) -> None:
    session.execute(
        delete(MonthlyAggregate).where(
            MonthlyAggregate.workspace_id == workspace_id,
            MonthlyAggregate.month == str(month),
            MonthlyAggregate.scope_kind.in_(replacing),
        )
    )
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
    stored = _load(session, workspace_id, month, MONTH_KINDS) if end <= now else []
    if _current(stored, fingerprint):
        return _rebuild(((r.scope_kind, r.scope_id, r) for r in stored), start, end, team_names)
    figures = range_figures(session, workspace_id=workspace_id, start=start, end=end)
    if end <= now and fingerprint[0] > 0:
        # Replaces the month's weeks as well: they are as stale as the month was.
        _store(
            session,
            workspace_id=workspace_id,
            month=month,
            rows=_scoped(figures, team_names),
            fingerprint=fingerprint,
            replacing=MONTH_KINDS + WEEK_KINDS,
        )
    return figures


def week_figures(
    session: Session,
    *,
    workspace_id: str,
    month: Month,
    zone: ZoneInfo,
    now: datetime,
    fingerprint: Fingerprint,
    team_names: dict[str, str],
) -> list[tuple[Week, RangeFigures]]:
    """Return the figures of each week of a month that has begun: stored ones while
    still current, else computed in one pass (and stored, once the month is over)."""
    weeks = [w for w in weeks_of(month) if w.start(zone) <= now]
    if not weeks:
        return []
    end = month.end(zone)
    stored = _load(session, workspace_id, month, WEEK_KINDS) if end <= now else []
    if _current(stored, fingerprint):
        return _rebuild_weeks(stored, weeks, zone, team_names)
    bounds = [w.start(zone) for w in weeks] + [weeks[-1].end(zone)]
    figures = split_figures(session, workspace_id=workspace_id, bounds=bounds)
    if end <= now and fingerprint[0] > 0:
        _store(
            session,
            workspace_id=workspace_id,
            month=month,
            rows=[
                row
                for week, week_figures in zip(weeks, figures, strict=True)
                for row in _scoped(week_figures, team_names, prefix=f"{week.label}/")
            ],
            fingerprint=fingerprint,
            replacing=WEEK_KINDS,
        )
    return list(zip(weeks, figures, strict=True))


def _rebuild(
    stored: Iterable[tuple[str, str, MonthlyAggregate]],
    start: datetime,
    end: datetime,
    team_names: dict[str, str],
) -> RangeFigures:
    """Rebuild figures from stored rows, given as (scope kind, scope id, row)."""
    figures = RangeFigures(start, end)
    key_of_name = {name: key for key, name in team_names.items()}
    for kind, scope_id, row in stored:
        if kind == "overall":
            figures.overall = _cell(row)
        elif kind == "team":
            # Teams are matched by name, so a team redefined since keeps its history.
            key = key_of_name.get(row.scope_name, scope_id) if row.scope_name else scope_id
            figures.teams[key] = _cell(row)
        else:
            figures.channels[scope_id] = _cell(row)
    return figures


def _rebuild_weeks(
    stored: list[MonthlyAggregate], weeks: list[Week], zone: ZoneInfo, team_names: dict[str, str]
) -> list[tuple[Week, RangeFigures]]:
    by_week: dict[str, list[tuple[str, str, MonthlyAggregate]]] = {}
    for row in stored:
        label, _, scope_id = row.scope_id.partition("/")
        by_week.setdefault(label, []).append((row.scope_kind.removeprefix("week:"), scope_id, row))
    return [
        (week, _rebuild(by_week.get(week.label, []), week.start(zone), week.end(zone), team_names))
        for week in weeks
    ]
