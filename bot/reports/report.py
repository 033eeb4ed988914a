"""The monthly culture report as data: rows per team and channel, trend, and advice.

Renderings (Slack blocks, Markdown, HTML, text, JSON) live in `render.py`; this module
decides every number and which numbers are withheld.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.reports.aggregates import Cell, RangeFigures, distinct_authors
from bot.reports.month import Month
from bot.reports.snapshots import fingerprints, month_figures
from bot.reports.suppression import (
    NOT_ENOUGH_PEOPLE,
    AuthorsOf,
    Suppressible,
    apply_minimum,
    protect_by_subtraction,
)
from bot.teams.models import Team
from bot.workspaces.models import Channel, Workspace
from classifiers.labels import LABELS

if TYPE_CHECKING:
    from bot.accounts.report import AccountRow
    from bot.reports.weekly import WeekRows

TREND_MONTHS = 12
# Where reports cover teams only, channels in no team are reported together, as one row.
POOL_KEY = "without-team"
POOL_NAME = "Channels without a team"
# A team "improved" when its contempt rate fell by at least this much (absolute).
MEANINGFUL_CHANGE = 0.01


@dataclass
class Row(Suppressible):
    """One line of the report: a channel, a team or the whole organisation."""

    kind: str = "team"
    name: str = ""
    team: str | None = None
    cell: Cell = field(default_factory=Cell)
    previous: Cell | None = None
    previous_suppressed: bool = True

    @property
    def contempt_rate(self) -> float | None:
        """Return this month's contempt rate, None when withheld."""
        return None if self.suppressed else self.cell.contempt_rate

    @property
    def previous_contempt_rate(self) -> float | None:
        """Return last month's contempt rate, None when withheld or absent."""
        if self.suppressed or self.previous_suppressed or self.previous is None:
            return None
        return self.previous.contempt_rate

    @property
    def change(self) -> float | None:
        """Return the change in contempt rate since last month (absolute)."""
        now, before = self.contempt_rate, self.previous_contempt_rate
        return None if now is None or before is None else now - before

    def as_json(self) -> dict[str, Any]:
        """Return the row in the shape of `undertone report --format json`."""
        shown = not self.suppressed
        data: dict[str, Any] = {
            "kind": self.kind,
            "id": self.key,
            "name": self.name,
            "messages_about_customers": self.cell.about_customers if shown else None,
            "authors": self.cell.authors if shown else None,
            "label_counts": dict(self.cell.label_counts) if shown else None,
            "contempt_rate": _round(self.contempt_rate),
            "previous_contempt_rate": _round(self.previous_contempt_rate),
            "change": _round(self.change),
            "constructive_share": _round(self.cell.constructive_share) if shown else None,
            "suppressed": self.suppressed,
        }
        if self.suppressed:
            data["note"] = self.reason
        if self.kind == "channel":
            data["channel"] = self.name
            data["team"] = self.team
        elif self.kind == "team":
            data["team"] = self.name
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class TrendPoint:
    """One month of the trend: the organisation's rate and each team's (None if withheld)."""

    month: Month
    overall: float | None
    teams: dict[str, float | None]


@dataclass
class MonthlyReport:
    """Everything a leader sees for one month."""

    workspace_id: str
    workspace_name: str
    month: Month
    min_group: int
    overall: Row
    teams: list[Row]
    channels: list[Row]
    trend: list[TrendPoint]
    unsupported_share: float | None
    generated_at: datetime
    accounts: list[AccountRow] = field(default_factory=list)
    # Which channels make which team, so a channel asked for finds its team.
    directory: TeamDirectory | None = field(default=None, repr=False, compare=False)
    # Set when the report was narrowed to a team for a channel someone asked about.
    scope_note: str | None = None
    # The month week by week (ISO weeks cut at the month's edges).
    weeks: list[WeekRows] = field(default_factory=list)
    # The works-council profile: no figures for single channels, weekly ones included.
    team_level_only: bool = False

    def accounts_drawing_contempt(self) -> list[AccountRow]:
        """Return the accounts drawing the most contempt (only those shown)."""
        from bot.accounts.report import drawing_contempt

        return drawing_contempt(self.accounts)

    def accounts_recovering(self) -> list[AccountRow]:
        """Return accounts whose contempt fell to half its recent peak or less."""
        from bot.accounts.report import recovering

        return recovering(self.accounts)

    def accounts_turning(self) -> list[AccountRow]:
        """Return accounts where frustration is turning into contempt."""
        from bot.accounts.report import turning_to_contempt

        return turning_to_contempt(self.accounts)

    @property
    def has_data(self) -> bool:
        """Tell whether anything was observed this month."""
        return self.overall.cell.scored + self.overall.cell.unsupported > 0

    def improved(self, limit: int = 3) -> list[Row]:
        """Return the teams whose contempt rate fell most since last month."""
        candidates = [
            t for t in self.teams if t.change is not None and t.change <= -MEANINGFUL_CHANGE
        ]
        return sorted(candidates, key=lambda t: t.change or 0.0)[:limit]

    def worsened(self, limit: int = 3) -> list[Row]:
        """Return the teams whose contempt rate rose most since last month."""
        candidates = [
            t for t in self.teams if t.change is not None and t.change >= MEANINGFUL_CHANGE
        ]
        return sorted(candidates, key=lambda t: -(t.change or 0.0))[:limit]

    def advice(self) -> list[str]:
        """Return a few concrete things a leader can do with this report."""
        tips = []
        worse = self.worsened(1)
        if worse:
            tips.append(
                f"Ask the managers of {worse[0].name} what changed this month. A rise in "
                "contempt usually follows one difficult account or deadline: hear the team "
                "out and turn the complaints into a plan for that customer."
            )
        better = self.improved(1)
        if better:
            tips.append(
                f"{better[0].name} improved most. Ask what helped and share it with the "
                "other teams."
            )
        drawing = self.accounts_drawing_contempt()
        if drawing:
            tips.append(drawing[0].action)
        overall = self.overall
        if overall.cell.constructive_share is not None and not overall.suppressed:
            tips.append(
                "Blunt, constructive criticism of customers is healthy: say so in team "
                "meetings, so people do not stop raising problems. It is ridicule that "
                "spreads and leaks out."
            )
        tips.append(
            "Never use these numbers to look for individuals: Undertone cannot tell you "
            "who, and trust is what makes the numbers honest."
        )
        return tips

    def as_json(self) -> dict[str, Any]:
        """Return the report in the stable JSON shape."""
        data = {
            "month": str(self.month),
            "min_group": self.min_group,
            "workspace": {"id": self.workspace_id, "name": self.workspace_name},
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "overall": self.overall.as_json(),
            "teams": [t.as_json() for t in self.teams],
            "channels": [c.as_json() for c in self.channels],
            "unsupported_language_share": _round(self.unsupported_share),
            "trend": [
                {
                    "month": str(p.month),
                    "contempt_rate": _round(p.overall),
                    "teams": {k: _round(v) for k, v in p.teams.items()},
                }
                for p in self.trend
            ],
            "weeks": [w.as_json(channels=not self.team_level_only) for w in self.weeks],
            "accounts": [a.as_json() for a in self.accounts],
            "accounts_drawing_contempt": [a.name for a in self.accounts_drawing_contempt()],
            "accounts_turning_to_contempt": [a.name for a in self.accounts_turning()],
            "accounts_recovering": [a.name for a in self.accounts_recovering()],
            "improved_most": [t.name for t in self.improved()],
            "advice": self.advice(),
        }
        if self.scope_note:
            data["scope_note"] = self.scope_note
        return data


@dataclass
class TeamDirectory:
    """Names of the workspace, its channels and teams, and which team each channel is in."""

    workspace: str
    channels: dict[str, str]
    teams: dict[str, str]
    team_of_channel: dict[str, str]

    def channels_of(self, row: Suppressible) -> list[str]:
        """Return the channel ids a channel or team row covers (none for the pool of
        channels without a team, which is counted by what it is not)."""
        if row.key == POOL_KEY:
            return []
        if row.key.startswith("team:"):
            return [c for c, team in self.team_of_channel.items() if team == row.key]
        return [row.key.removeprefix("channel:")]


def team_directory(session: Session, workspace_id: str) -> TeamDirectory:
    """Return the names of a workspace's channels and teams, and each channel's team."""
    workspace = session.get(Workspace, workspace_id)
    channels = {
        c.id: c.name or c.id
        for c in session.scalars(select(Channel).where(Channel.workspace_id == workspace_id))
    }
    teams: dict[str, str] = {}
    team_of_channel: dict[str, str] = {}
    for team in session.scalars(select(Team).where(Team.workspace_id == workspace_id)):
        key = f"team:{team.id}"
        teams[key] = team.name
        for member in team.channels:
            team_of_channel[member.channel_id] = key
    return TeamDirectory(
        workspace.name if workspace and workspace.name else workspace_id,
        channels,
        teams,
        team_of_channel,
    )


def _rows(
    figures_teams: dict[str, Cell], figures_channels: dict[str, Cell], names: TeamDirectory
) -> tuple[list[Row], list[Row]]:
    team_rows = []
    for key, cell in figures_teams.items():
        name = (
            names.teams.get(key)
            or f"#{names.channels.get(key.removeprefix('channel:'), key.removeprefix('channel:'))}"
        )
        team_rows.append(
            Row(
                key=key,
                authors=cell.authors,
                messages=cell.about_customers,
                kind="team",
                name=name,
                cell=cell,
            )
        )
    channel_rows = []
    for channel_id, cell in figures_channels.items():
        team = names.team_of_channel.get(channel_id, f"channel:{channel_id}")
        team_name = names.teams.get(team) or f"#{names.channels.get(channel_id, channel_id)}"
        channel_rows.append(
            Row(
                key=channel_id,
                authors=cell.authors,
                messages=cell.about_customers,
                kind="channel",
                name=f"#{names.channels.get(channel_id, channel_id)}",
                team=team_name,
                cell=cell,
            )
        )
    return sorted(team_rows, key=lambda r: r.name.lower()), sorted(
        channel_rows, key=lambda r: r.name.lower()
    )


class PeriodRows(NamedTuple):
    """The rows of one period (a month or a week): the organisation, teams and channels."""

    overall: Row
    teams: list[Row]
    channels: list[Row]


def withhold_small_groups(
    rows: PeriodRows, names: TeamDirectory, k: int, authors_of: AuthorsOf | None = None
) -> None:
    """Withhold the period's rows below `k` people, and those that would give them away."""
    overall, teams, channels = rows
    apply_minimum([overall, *teams, *channels], k)
    protect_by_subtraction(not overall.suppressed, teams, k, authors_of=authors_of)
    for team in teams:
        members = [
            c for c in channels if names.team_of_channel.get(c.key, f"channel:{c.key}") == team.key
        ]
        if team.suppressed:
            for member in members:
                if not member.suppressed:
                    member.withhold(team.reason or "")
        protect_by_subtraction(not team.suppressed, members, k, authors_of=authors_of)


def build_report(
    session: Session,
    *,
    workspace_id: str,
    month: Month,
    min_group: int,
    zone: ZoneInfo,
    now: datetime | None = None,
    team_level_only: bool = False,
) -> MonthlyReport:
    """Compute the report for one month, with every withheld number withheld.

    `team_level_only` (the works-council profile) leaves single channels out entirely:
    channels in no team are reported together as one row, never one by one.
    """
    now = now or datetime.now(UTC)
    if month.start(zone) > now:
        raise InputError(f"{month} has not started yet")
    names = team_directory(session, workspace_id)

    months = [month.shift(-offset) for offset in range(TREND_MONTHS - 1, -1, -1)]
    prints = fingerprints(session, workspace_id=workspace_id, months=months, zone=zone)

    def month_rows(m: Month) -> PeriodRows:
        figures = month_figures(
            session,
            workspace_id=workspace_id,
            month=m,
            zone=zone,
            now=now,
            fingerprint=prints[m],
            team_names=names.teams,
        )
        return period_rows(
            session,
            workspace_id=workspace_id,
            figures=figures,
            names=names,
            min_group=min_group,
            team_level_only=team_level_only,
        )

    this_month, last_month = month_rows(month), month_rows(month.shift(-1))
    overall, teams, channels = this_month
    prev_overall, prev_teams, prev_channels = last_month
    _attach_previous(overall, [prev_overall])
    _attach_previous_many(teams, prev_teams)
    _attach_previous_many(channels, prev_channels)

    trend = []
    for m in months:
        if m == month:
            point_overall, point_teams = overall, teams
        elif m == month.shift(-1):
            point_overall, point_teams = prev_overall, prev_teams
        else:
            point_overall, point_teams, _ = month_rows(m)
        trend.append(
            TrendPoint(
                m, point_overall.contempt_rate, {t.name: t.contempt_rate for t in point_teams}
            )
        )

    from bot.reports.weekly import weekly_rows

    weeks = weekly_rows(
        session,
        workspace_id=workspace_id,
        months={month: this_month, month.shift(-1): last_month},
        fingerprints=prints,
        zone=zone,
        now=now,
        names=names,
        min_group=min_group,
        team_level_only=team_level_only,
    )

    from bot.accounts.report import account_rows

    accounts = account_rows(
        session,
        workspace_id=workspace_id,
        month=month,
        zone=zone,
        min_group=min_group,
        team_names=names.teams,
        team_level_only=team_level_only,
        channel_names=names.channels,
    )
    cell = overall.cell
    total = cell.scored + cell.unsupported
    return MonthlyReport(
        workspace_id=workspace_id,
        workspace_name=names.workspace,
        month=month,
        min_group=min_group,
        overall=overall,
        teams=teams,
        channels=channels,
        trend=trend,
        unsupported_share=(cell.unsupported / total) if total and not overall.suppressed else None,
        generated_at=now,
        accounts=accounts,
        directory=names,
        weeks=weeks,
        team_level_only=team_level_only,
    )


def period_rows(
    session: Session,
    *,
    workspace_id: str,
    figures: RangeFigures,
    names: TeamDirectory,
    min_group: int,
    team_level_only: bool,
    withhold: bool = True,
) -> PeriodRows:
    """Turn one period's figures into rows, withholding what the minimum group requires
    (unless `withhold` is False: a week's rows are withheld along with the other weeks')."""
    overall = Row(
        key="overall",
        authors=figures.overall.authors,
        messages=figures.overall.about_customers,
        kind="overall",
        name=names.workspace,
        cell=figures.overall,
    )
    teams, channels = _rows(figures.teams, figures.channels, names)
    authors_of = people_counter(
        session, workspace_id=workspace_id, start=figures.start, end=figures.end, names=names
    )
    if team_level_only:
        teams, channels = _pool_channels_without_team(teams, authors_of), []
    if withhold:
        withhold_small_groups(PeriodRows(overall, teams, channels), names, min_group, authors_of)
    return PeriodRows(overall, teams, channels)


def people_counter(
    session: Session, *, workspace_id: str, start: datetime, end: datetime, names: TeamDirectory
) -> AuthorsOf:
    """Return a function counting the distinct people behind some rows of one period."""

    def authors_of(rows: Sequence[Suppressible]) -> int:
        # A period emptied by retention counts 0 here; the caller then falls back to
        # the largest row, which never overstates.
        return distinct_authors(
            session,
            workspace_id=workspace_id,
            start=start,
            end=end,
            channel_ids=sorted({c for row in rows for c in names.channels_of(row)}),
            without_team=any(row.key == POOL_KEY for row in rows),
        )

    return authors_of


def _pool_channels_without_team(teams: list[Row], authors_of: AuthorsOf) -> list[Row]:
    """Replace the rows of channels in no team with one row covering all of them."""
    lone = [t for t in teams if t.key.startswith("channel:")]
    if not lone:
        return teams
    cell = Cell()
    for row in lone:
        for label, count in row.cell.label_counts.items():
            cell.label_counts[label] = cell.label_counts.get(label, 0) + count
        cell.unsupported += row.cell.unsupported
    pool = Row(
        key=POOL_KEY,
        authors=0,
        messages=cell.about_customers,
        kind="team",
        name=POOL_NAME,
        cell=cell,
    )
    pool.authors = cell.authors = max(authors_of([pool]), *(r.authors for r in lone))
    if sum(1 for r in lone if r.cell.about_customers) < 2:
        # A pool of one channel would be that channel's figures under another name.
        pool.withhold(NOT_ENOUGH_PEOPLE + " (a single channel; reports here cover teams only)")
    kept = [t for t in teams if not t.key.startswith("channel:")]
    return sorted([*kept, pool], key=lambda r: r.name.lower())


def _attach_previous(row: Row, previous: list[Row]) -> None:
    if previous:
        row.previous = previous[0].cell
        row.previous_suppressed = previous[0].suppressed


def _attach_previous_many(rows: list[Row], previous: list[Row]) -> None:
    by_key = {p.key: p for p in previous}
    for row in rows:
        before = by_key.get(row.key)
        if before is not None:
            row.previous = before.cell
            row.previous_suppressed = before.suppressed


def label_counts_total(rows: list[Row]) -> dict[str, int]:
    """Sum label counts over shown rows (for checks)."""
    totals = dict.fromkeys(LABELS, 0)
    for row in rows:
        if not row.suppressed:
            for label, count in row.cell.label_counts.items():
                totals[label] += count
    return totals


_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$")


@dataclass(frozen=True)
class ReportScope:
    """The team a report is narrowed to, and the channel that was asked for, if one was."""

    team: str  # as the report names it: a team's name, or "#name" for a channel of its own
    channel: str | None = None  # "#name" when a channel inside that team was asked for

    @property
    def note(self) -> str | None:
        """Say why a channel's request shows its team's report."""
        if self.channel is None:
            return None
        return f"{self.channel} is part of {self.team}, so this is {self.team}'s report."


def resolve_scope(directory: TeamDirectory, reference: str) -> ReportScope:
    """Find the team a reference means: a team name, or a channel as `<#C…|name>`, `#name`,
    its id or its bare name (a channel in a team stands for that team)."""
    text = reference.strip()
    mention = _MENTION.match(text)
    wanted = (mention.group(2) or "") if mention else text.lstrip("#")
    if mention is None and not text.startswith("#"):
        for name in directory.teams.values():
            if name.lower() == text.lower():
                return ReportScope(name)
    channel_id = mention.group(1) if mention else None
    if channel_id not in directory.channels:
        channel_id = next(
            (
                cid
                for cid, name in directory.channels.items()
                if cid == wanted or (wanted and name.lower() == wanted.lower())
            ),
            None,
        )
    if channel_id is None:
        raise InputError(f"no team or channel called {reference.strip()!r}")
    channel = f"#{directory.channels[channel_id]}"
    team_key = directory.team_of_channel.get(channel_id)
    if team_key is None:
        return ReportScope(channel)  # a channel with no team is its own team
    return ReportScope(directory.teams[team_key], channel)


def only_team(report: MonthlyReport, scope: str | ReportScope) -> MonthlyReport:
    """Narrow a report to one team and its channels; a channel stands for its team."""
    if isinstance(scope, str):
        if report.directory is None:
            raise InputError("this report cannot be narrowed to a team")
        scope = resolve_scope(report.directory, scope)
    matches = [t for t in report.teams if t.name.lower() == scope.team.lower()]
    pooled = any(t.key == POOL_KEY for t in report.teams)
    if not matches and pooled and scope.channel is None and scope.team.startswith("#"):
        raise InputError(
            f"{scope.team} is in no team, and reports here cover teams only: "
            f"see “{POOL_NAME}” in the full report"
        )
    if not matches:
        raise InputError(f"{scope.team} has nothing to report in {report.month.label()}")
    team = matches[0]
    channels = [c for c in report.channels if c.team == team.name]
    trend = [
        TrendPoint(p.month, p.overall, {team.name: p.teams.get(team.name)}) for p in report.trend
    ]
    weeks = [week.only(team.key, {c.key for c in channels}) for week in report.weeks]
    return MonthlyReport(
        workspace_id=report.workspace_id,
        workspace_name=report.workspace_name,
        month=report.month,
        min_group=report.min_group,
        overall=report.overall,
        teams=[team],
        channels=channels,
        trend=trend,
        unsupported_share=report.unsupported_share,
        generated_at=report.generated_at,
        directory=report.directory,
        scope_note=scope.note,
        weeks=weeks,
        team_level_only=report.team_level_only,
    )
