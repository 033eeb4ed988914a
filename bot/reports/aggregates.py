"""Aggregates over observations, computed by the database.

Every figure is a GROUP BY over one time range: counts per label, distinct authors and
contempt rates per channel, per team and for the whole workspace. Only messages in
languages the model is trusted in count as scored; the rest are counted separately so the
report can say how much it could not read.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.observations.models import Observation
from bot.teams.models import TeamChannel
from classifiers.labels import CONSTRUCTIVE, CONTEMPT, LABELS, NOT_CUSTOMER

CUSTOMER_LABELS = tuple(label for label in LABELS if label != NOT_CUSTOMER)


@dataclass
class Cell:
    """Figures of one group (channel, team or workspace) over one time range."""

    label_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    authors: int = 0  # distinct authors of messages about customers
    unsupported: int = 0  # messages in languages the model is not trusted in

    @property
    def about_customers(self) -> int:
        """Return how many scored messages are about customers."""
        return sum(self.label_counts[label] for label in CUSTOMER_LABELS)

    @property
    def scored(self) -> int:
        """Return how many messages were scored (about customers or not)."""
        return sum(self.label_counts.values())

    @property
    def contempt_rate(self) -> float | None:
        """Return contempt / messages about customers."""
        about = self.about_customers
        return self.label_counts[CONTEMPT] / about if about else None

    @property
    def constructive_share(self) -> float | None:
        """Return constructive / messages about customers."""
        about = self.about_customers
        return self.label_counts[CONSTRUCTIVE] / about if about else None


@dataclass
class RangeFigures:
    """Figures for every channel, team and the workspace over one time range."""

    start: datetime
    end: datetime
    channels: dict[str, Cell] = field(default_factory=dict)
    teams: dict[str, Cell] = field(default_factory=dict)
    overall: Cell = field(default_factory=Cell)


def team_key(column: Any) -> ColumnElement[str]:
    """Return the SQL key of a channel's team: its team id, or the channel as its own team."""
    return func.coalesce("team:" + cast(TeamChannel.team_id, String), literal("channel:") + column)


def _in_range(workspace_id: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        Observation.workspace_id == workspace_id,
        Observation.message_at >= start,
        Observation.message_at < end,
    )


def _with_team(query, workspace_id: str):  # type: ignore[no-untyped-def]
    return query.outerjoin(
        TeamChannel,
        and_(
            TeamChannel.workspace_id == workspace_id,
            TeamChannel.channel_id == Observation.channel_id,
        ),
    )


def range_figures(
    session: Session, *, workspace_id: str, start: datetime, end: datetime, by_channel: bool = True
) -> RangeFigures:
    """Compute label counts and distinct authors per channel, per team and overall."""
    return split_figures(
        session, workspace_id=workspace_id, bounds=[start, end], by_channel=by_channel
    )[0]


def split_figures(
    session: Session, *, workspace_id: str, bounds: Sequence[datetime], by_channel: bool = True
) -> list[RangeFigures]:
    """Compute the figures of each of the back-to-back ranges between `bounds`, in one pass.

    `bounds` are the ranges' edges in order: [a, b, c] gives the figures of [a, b) and
    [b, c). Each query groups by range as well, so many weeks cost one scan, not one each.
    """
    edges = list(bounds)
    if len(edges) < 2 or any(a >= b for a, b in itertools.pairwise(edges)):
        raise ValueError("bounds must be at least two instants in increasing order")
    results = [RangeFigures(a, b) for a, b in itertools.pairwise(edges)]
    window = _in_range(workspace_id, edges[0], edges[-1])
    about = and_(Observation.label != NOT_CUSTOMER, Observation.lang_supported.is_(True))
    author_if_about = case((about, Observation.author_key))
    team = team_key(Observation.channel_id)
    # Which range a row falls in; constants inline, so SELECT and GROUP BY read the same.
    ranges = [_range_index(edges).label("period")] if len(results) > 1 else []

    def split(row: Any) -> tuple[RangeFigures, Any]:
        # The range's index leads every row when there are several ranges.
        if ranges:
            return results[int(row[0])], row[1:]
        return results[0], row

    counts = _with_team(
        select(
            *ranges,
            Observation.channel_id,
            team.label("team"),
            Observation.label,
            Observation.lang_supported,
            func.count(),
        ),
        workspace_id,
    ).where(window)
    counts = counts.group_by(
        *ranges, Observation.channel_id, team, Observation.label, Observation.lang_supported
    )
    for row in session.execute(counts):
        result, (channel_id, team_id, label, supported, count) = split(row)
        for cell in (
            result.channels.setdefault(channel_id, Cell()) if by_channel else None,
            result.teams.setdefault(team_id, Cell()),
            result.overall,
        ):
            if cell is None:
                continue
            if supported:
                cell.label_counts[label] = cell.label_counts.get(label, 0) + count
            else:
                cell.unsupported += count

    if by_channel:
        per_channel = (
            select(*ranges, Observation.channel_id, func.count(func.distinct(author_if_about)))
            .where(window)
            .group_by(*ranges, Observation.channel_id)
        )
        for row in session.execute(per_channel):
            result, (channel_id, authors) = split(row)
            result.channels.setdefault(channel_id, Cell()).authors = int(authors)

    per_team = (
        _with_team(
            select(*ranges, team.label("team"), func.count(func.distinct(author_if_about))),
            workspace_id,
        )
        .where(window)
        .group_by(*ranges, team)
    )
    for row in session.execute(per_team):
        result, (team_id, authors) = split(row)
        result.teams.setdefault(team_id, Cell()).authors = int(authors)

    overall = select(*ranges, func.count(func.distinct(author_if_about))).where(window)
    for row in session.execute(overall.group_by(*ranges) if ranges else overall):
        result, (authors,) = split(row)
        result.overall.authors = int(authors or 0)
    return results


def distinct_authors(
    session: Session,
    *,
    workspace_id: str,
    start: datetime,
    end: datetime,
    channel_ids: list[str] | None,
    without_team: bool = False,
    also: Sequence[tuple[datetime, datetime]] = (),
) -> int:
    """Return how many distinct people wrote about customers in any of these channels
    (every channel for None; with `without_team`, also any channel that is in no team),
    between `start` and `end` and in any of the ranges in `also`."""
    about = and_(Observation.label != NOT_CUSTOMER, Observation.lang_supported.is_(True))
    query = select(func.count(func.distinct(Observation.author_key)))
    where: list[ColumnElement[bool]] = [about]
    if channel_ids is not None:
        in_channels: ColumnElement[bool] = Observation.channel_id.in_(channel_ids)
        if without_team:
            query = _with_team(query, workspace_id)
            in_channels = or_(in_channels, TeamChannel.id.is_(None))
        where.append(in_channels)
    ranges = [(start, end), *also]
    where.append(or_(*(_in_range(workspace_id, a, b) for a, b in ranges)))
    return int(session.scalar(query.where(*where)) or 0)


def people_by_ranges(
    session: Session,
    *,
    workspace_id: str,
    bounds: Sequence[datetime],
    by_channel: bool = True,
    pool_key: str | None = None,
) -> dict[tuple[str, str], dict[int, int]]:
    """Count people by the set of back-to-back ranges (between `bounds`) they wrote about
    customers in, per channel, per team and overall.

    Keys are ("overall", "overall"), ("team", team key) and ("channel", channel id); each
    maps a bitmask of ranges (bit i for the i-th range) to how many people wrote in
    exactly those ranges. How many people wrote in any of some ranges is then a sum, with
    no query per set. With `pool_key`, channels in no team count as one team of that key.
    """
    edges = list(bounds)
    window = _in_range(workspace_id, edges[0], edges[-1])
    about = and_(Observation.label != NOT_CUSTOMER, Observation.lang_supported.is_(True))
    bit = case(
        *[
            (Observation.message_at < edge, literal_column(str(1 << index)))
            for index, edge in enumerate(edges[1:-1])
        ],
        else_=literal_column(str(1 << (len(edges) - 2))),
    )
    team = (
        func.coalesce("team:" + cast(TeamChannel.team_id, String), literal(pool_key))
        if pool_key
        else team_key(Observation.channel_id)
    )
    groups: list[tuple[str, Any]] = [("overall", None), ("team", team)]
    if by_channel:
        groups.append(("channel", Observation.channel_id))
    out: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for kind, group in groups:
        keys = [] if group is None else [group.label("scope")]
        person = select(*keys, func.sum(func.distinct(bit)).label("ranges"))
        if kind == "team":
            person = _with_team(person, workspace_id)
        person_q = (
            person.where(window, about)
            .group_by(*([] if group is None else [group]), Observation.author_key)
            .subquery()
        )
        scope = person_q.c.scope if group is not None else literal_column("'overall'")
        query = select(scope, person_q.c.ranges, func.count()).group_by(
            *([person_q.c.scope] if group is not None else []), person_q.c.ranges
        )
        for scope_id, ranges, people in session.execute(query):
            out[kind, str(scope_id)][int(ranges)] = int(people)
    return dict(out)


def people_by_memberships(
    session: Session,
    *,
    workspace_id: str,
    bounds: Sequence[datetime],
    member: str,
    pool_key: str | None = None,
) -> list[dict[frozenset[str], int]]:
    """For each back-to-back range between `bounds`, count people by the set of teams
    (`member="team"`) or channels (`member="channel"`) they wrote about customers in.

    How many people wrote in any of some teams that range is then a sum, with no query
    per set. With `pool_key`, channels in no team count as one team of that key.
    """
    edges = list(bounds)
    ranges = [dict[frozenset[str], int]() for _ in edges[1:]]
    period = _range_index(edges)
    if member == "team":
        what: Any = (
            func.coalesce("team:" + cast(TeamChannel.team_id, String), literal(pool_key))
            if pool_key
            else team_key(Observation.channel_id)
        )
    else:
        what = Observation.channel_id
    about = and_(Observation.label != NOT_CUSTOMER, Observation.lang_supported.is_(True))
    where = (_in_range(workspace_id, edges[0], edges[-1]), about)
    memberships = select(period.label("period"), Observation.author_key.label("who"),
                         what.label("member"))  # fmt: skip
    if member == "team":
        memberships = _with_team(memberships, workspace_id)
    each = memberships.where(*where).group_by(period, Observation.author_key, what).subquery()
    person = (
        select(each.c.period, func.aggregate_strings(each.c.member, ",").label("members"))
        .group_by(each.c.period, each.c.who)
        .subquery()
    )
    query = select(person.c.period, person.c.members, func.count()).group_by(
        person.c.period, person.c.members
    )
    for index, members, people in session.execute(query):
        # The order inside each list is the database's: the same set may come twice.
        key = frozenset(members.split(","))
        ranges[int(index)][key] = ranges[int(index)].get(key, 0) + int(people)
    return ranges


def _range_index(edges: Sequence[datetime]) -> ColumnElement[Any]:
    """Return which of the ranges between `edges` a row falls in, as 0, 1, 2…"""
    return case(
        *[
            (Observation.message_at < edge, literal_column(str(index)))
            for index, edge in enumerate(edges[1:-1])
        ],
        else_=literal_column(str(len(edges) - 2)),
    )


@dataclass
class WindowFigures:
    """Contempt counts for one team in a recent window and in its baseline."""

    recent: Cell
    baseline: Cell
    # Distinct authors who wrote about customers outside this team in the recent window:
    # the people behind "the rest of the organisation".
    rest_authors: int = 0


def window_figures(
    session: Session,
    *,
    workspace_id: str,
    recent_start: datetime,
    baseline_start: datetime,
    end: datetime,
) -> dict[str, WindowFigures]:
    """Compute recent-versus-baseline figures for every team in one query."""
    is_recent = Observation.message_at >= recent_start
    team = team_key(Observation.channel_id)
    scored = Observation.lang_supported.is_(True)
    query = (
        _with_team(
            select(team.label("team"), is_recent.label("recent"), Observation.label, func.count()),
            workspace_id,
        )
        .where(_in_range(workspace_id, baseline_start, end), scored)
        .group_by(team, is_recent, Observation.label)
    )
    out: dict[str, WindowFigures] = defaultdict(lambda: WindowFigures(Cell(), Cell()))
    for team_id, recent, label, count in session.execute(query):
        cell = out[team_id].recent if recent else out[team_id].baseline
        cell.label_counts[label] = cell.label_counts.get(label, 0) + count
    about = and_(Observation.label != NOT_CUSTOMER, scored)
    authors = (
        _with_team(
            select(
                team.label("team"),
                is_recent.label("recent"),
                func.count(func.distinct(Observation.author_key)),
            ),
            workspace_id,
        )
        .where(_in_range(workspace_id, baseline_start, end), about)
        .group_by(team, is_recent)
    )
    for team_id, recent, count in session.execute(authors):
        cell = out[team_id].recent if recent else out[team_id].baseline
        cell.authors = int(count)
    recent_window = and_(_in_range(workspace_id, recent_start, end), about)
    everyone = int(
        session.scalar(
            select(func.count(func.distinct(Observation.author_key))).where(recent_window)
        )
        or 0
    )
    # "Elsewhere" is everyone minus the authors who wrote in this team and nowhere else.
    only_here = (
        _with_team(select(Observation.author_key, func.min(team).label("team")), workspace_id)
        .where(recent_window)
        .group_by(Observation.author_key)
        .having(func.count(func.distinct(team)) == 1)
        .subquery()
    )
    only_in: dict[str, int] = {
        team_id: int(count)
        for team_id, count in session.execute(
            select(only_here.c.team, func.count()).group_by(only_here.c.team)
        )
    }
    for team_id, window in out.items():
        window.rest_authors = everyone - only_in.get(team_id, 0)
    return dict(out)
