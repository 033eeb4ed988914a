"""The report's month week by week, withheld by the same rules as the month.

Each week's rows are made like the month's: fewer than the minimum group of people is
withheld, and so is whatever would let a withheld team be worked out from the
organisation's total (or a withheld channel from its team's). A month is exactly the sum
of its weeks (see `week.py`), so one rule more applies across time: for every group (the
organisation, a team, a channel) whose month is shown, its withheld weeks are protected
from subtraction out of the month the same way; a group whose month is withheld has every
week withheld. Withholding a week to protect another can expose a sibling inside that
week, so the rules run again until nothing more is withheld.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.reports.aggregates import people_by_memberships, people_by_ranges
from bot.reports.month import Month
from bot.reports.report import (
    POOL_KEY,
    PeriodRows,
    Row,
    TeamDirectory,
    _attach_previous,
    _attach_previous_many,
    period_rows,
)
from bot.reports.snapshots import Fingerprint, week_figures
from bot.reports.suppression import (
    NOT_ENOUGH_PEOPLE,
    AuthorsOf,
    Suppressible,
    apply_minimum,
    protect_by_subtraction,
)
from bot.reports.week import Week

# A row's place in the report, the same in the month and in each week.
Group = tuple[str, str]
SUBTRACTED = NOT_ENOUGH_PEOPLE + " (withheld so a smaller group cannot be worked out)"


@dataclass
class WeekRows:
    """One week of the month: the organisation's row, the teams' and the channels'."""

    week: Week
    overall: Row
    teams: list[Row]
    channels: list[Row]

    def rows(self) -> list[Row]:
        """Return every row of the week."""
        return [self.overall, *self.teams, *self.channels]

    def team(self, key: str) -> Row | None:
        """Return a team's row this week, None when the team wrote nothing."""
        return next((t for t in self.teams if t.key == key), None)

    def only(self, team_key: str, channel_keys: set[str]) -> WeekRows:
        """Return the week narrowed to one team and these of its channels."""
        return WeekRows(
            self.week,
            self.overall,
            [t for t in self.teams if t.key == team_key],
            [c for c in self.channels if c.key in channel_keys],
        )

    def as_json(self, *, channels: bool = True) -> dict[str, Any]:
        """Return the week in the shape of the report's `weeks` list."""
        data: dict[str, Any] = {
            "week": self.week.label,
            "start": self.week.first.isoformat(),
            "end": self.week.last.isoformat(),
            "days": self.week.days,
            "overall": self.overall.as_json(),
            "teams": [t.as_json() for t in self.teams],
        }
        if channels:
            data["channels"] = [c.as_json() for c in self.channels]
        return data


def _group(row: Row) -> Group:
    return row.kind, row.key


def weekly_rows(
    session: Session,
    *,
    workspace_id: str,
    months: dict[Month, PeriodRows],
    fingerprints: dict[Month, Fingerprint],
    zone: ZoneInfo,
    now: datetime,
    names: TeamDirectory,
    min_group: int,
    team_level_only: bool,
) -> list[WeekRows]:
    """Return the weeks of the later of two consecutive months, each compared with the
    week before it (the earlier month's last week for the first)."""
    earlier, month = sorted(months)
    weeks: dict[Month, list[WeekRows]] = {}
    for m in (earlier, month):
        weeks[m] = []
        for week, figures in week_figures(
            session,
            workspace_id=workspace_id,
            month=m,
            zone=zone,
            now=now,
            fingerprint=fingerprints[m],
            team_names=names.teams,
        ):
            rows = period_rows(
                session,
                workspace_id=workspace_id,
                figures=figures,
                names=names,
                min_group=min_group,
                team_level_only=team_level_only,
                withhold=False,
            )
            weeks[m].append(WeekRows(week, *rows))
        # The earlier month's last week is withheld exactly as that month's report
        # withholds it, so comparing with it shows nothing that report hid.
        withhold_weeks(
            session,
            workspace_id=workspace_id,
            month=months[m],
            weeks=weeks[m],
            names=names,
            zone=zone,
            k=min_group,
        )
    chain = [*weeks[earlier][-1:], *weeks[month]]
    for before, after in itertools.pairwise(chain):
        _attach_previous(after.overall, [before.overall])
        _attach_previous_many(after.teams, before.teams)
        _attach_previous_many(after.channels, before.channels)
    return weeks[month]


def withhold_weeks(
    session: Session,
    *,
    workspace_id: str,
    month: PeriodRows,
    weeks: list[WeekRows],
    names: TeamDirectory,
    zone: ZoneInfo,
    k: int,
) -> None:
    """Withhold weeks until no withheld figure can be worked out: not from its month, not
    from its week's organisation total, not from its team's week."""
    if not weeks:
        return
    wholes = {_group(row): row for row in [month.overall, *month.teams, *month.channels]}
    parts: dict[Group, list[Row]] = defaultdict(list)
    week_of: dict[int, Week] = {}
    for week in weeks:
        for row in week.rows():
            # A week nobody wrote in hides no one: it is no cell to protect.
            if row.cell.scored + row.cell.unsupported:
                parts[_group(row)].append(row)
                week_of[id(row)] = week.week
    # A group with one week of data whose month is shown: that week's figures are the
    # month's, public already. Withholding them would protect nothing, so they are never
    # withheld nor counted on to hide anyone else.
    public = {
        id(rows[0])
        for group, rows in parts.items()
        if len(rows) == 1 and group in wholes and not wholes[group].suppressed
    }

    bounds = [w.week.start(zone) for w in weeks] + [weeks[-1].week.end(zone)]
    pool_key = POOL_KEY if any(t.key == POOL_KEY for t in month.teams) else None
    # Who wrote in which weeks, per group: asked for once, and only if a rule needs it.
    by_weeks: dict[Group, dict[int, int]] | None = None
    bit = {week.week: 1 << index for index, week in enumerate(weeks)}

    def people_over_weeks(whole: Row) -> AuthorsOf:
        def authors_of(rows: Sequence[Suppressible]) -> int:
            nonlocal by_weeks
            if by_weeks is None:
                by_weeks = people_by_ranges(
                    session,
                    workspace_id=workspace_id,
                    bounds=bounds,
                    by_channel=bool(month.channels),
                    pool_key=pool_key,
                )
            wanted = 0
            for row in rows:
                wanted |= bit[week_of[id(row)]]
            people = by_weeks.get(_group(whole), {})
            return sum(count for ranges, count in people.items() if ranges & wanted)

        return authors_of

    # Who wrote in which teams and channels, per week: asked for once, only if needed.
    by_members: dict[str, list[dict[frozenset[str], int]]] = {}

    def people_in_week(index: int) -> AuthorsOf:
        def authors_of(rows: Sequence[Suppressible]) -> int:
            # Siblings inside a week: all teams, or all channels of one team.
            channels = all(isinstance(r, Row) and r.kind == "channel" for r in rows)
            kind = "channel" if channels else "team"
            if kind not in by_members:
                by_members[kind] = people_by_memberships(
                    session,
                    workspace_id=workspace_id,
                    bounds=bounds,
                    member=kind,
                    pool_key=pool_key,
                )
            wanted = {row.key for row in rows}
            people = by_members[kind][index]
            return sum(count for members, count in people.items() if members & wanted)

        return authors_of

    def hide(rows: Sequence[Row], reason: str) -> None:
        for row in rows:
            if not row.suppressed and id(row) not in public:
                row.withhold(reason)

    def protect(parent: Row, children: Sequence[Row], authors_of: AuthorsOf | None) -> None:
        """Protect withheld children from subtraction out of the parent; when too few
        children can be withheld, withhold the parent, and with it the children."""
        if parent.suppressed:
            hide(children, parent.reason or NOT_ENOUGH_PEOPLE)
            return
        hidable = [c for c in children if id(c) not in public]
        if not protect_by_subtraction(True, hidable, k, authors_of=authors_of):
            hide([parent], SUBTRACTED)
            hide(children, SUBTRACTED)

    counters = {week.week: people_in_week(index) for index, week in enumerate(weeks)}
    for week in weeks:
        apply_minimum(week.rows(), k)

    def withheld() -> int:
        return sum(row.suppressed for week in weeks for row in week.rows())

    before = -1
    while before != withheld():
        before = withheld()
        for group, rows in parts.items():
            whole = wholes.get(group)
            if whole is None:
                hide(rows, NOT_ENOUGH_PEOPLE)
            else:
                protect(whole, rows, people_over_weeks(whole))
        for week in weeks:
            protect(week.overall, week.teams, counters[week.week])
            for team in week.teams:
                members = [
                    c
                    for c in week.channels
                    if names.team_of_channel.get(c.key, f"channel:{c.key}") == team.key
                ]
                protect(team, members, counters[week.week])
