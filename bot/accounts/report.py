"""Account-level figures for the monthly report: who draws the contempt, and who soon will.

One customer can sour a whole company. These rows say which accounts the messages about
customers are about, with the same minimum group as everything else (distinct authors
writing about that account). Account rows overlap (a message can name two accounts, most
name none), so none is a part of a shown total and subtraction gives nothing away.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from bot.accounts.models import Account, ObservationAccount, mention_of_observation
from bot.observations.models import Observation
from bot.reports.aggregates import Cell, _with_team, team_key
from bot.reports.month import Month
from bot.reports.report import POOL_KEY, POOL_NAME, Row
from bot.reports.stats import wilson_interval
from bot.reports.suppression import apply_minimum
from bot.teams.models import Team, TeamChannel
from classifiers.labels import CONTEMPT, FRUSTRATION, NOT_CUSTOMER

TREND_MONTHS = 6
# Shown as "drawing contempt" from this rate and this many messages about the account, and
# only when even the low end of its 95% interval is clearly above zero (small accounts
# swing from month to month; a leader should not chase noise).
NOTABLE_RATE = 0.10
NOTABLE_MESSAGES = 20
NOTABLE_LOWER_BOUND = 0.05
# Early warning: last month's frustration share at least this, and contempt up this much.
FRUSTRATED_SHARE = 0.25
RISE_POINTS = 0.05


@dataclass
class AccountRow(Row):
    """One account's month: the figures, their trend and what to do about it."""

    account_id: int = 0
    owner_team: str | None = None
    trend: list[tuple[Month, float | None]] = field(default_factory=list)
    # (contempt, messages about the account) behind each shown point of the trend.
    trend_counts: list[tuple[int, int] | None] = field(default_factory=list)
    teams_talking: list[str] = field(default_factory=list)
    action: str = ""

    @property
    def frustration_share(self) -> float | None:
        """Return frustration / messages about the account, None when withheld."""
        about = self.cell.about_customers
        if self.suppressed or not about:
            return None
        return self.cell.label_counts[FRUSTRATION] / about

    @property
    def previous_frustration_share(self) -> float | None:
        """Return last month's frustration share, None when withheld or absent."""
        if self.previous_suppressed or self.previous is None:
            return None
        about = self.previous.about_customers
        return self.previous.label_counts[FRUSTRATION] / about if about else None

    def trend_text(self) -> str:
        """Return the last months' contempt rates, oldest first ("–" where withheld)."""
        shown = [
            f"{month.first_day():%b} {'–' if rate is None else f'{rate * 100:.0f}%'}"
            for month, rate in self.trend
        ]
        return "trend " + " → ".join(shown)

    def as_json(self) -> dict[str, Any]:
        """Return the row as a channel row plus the account's own fields."""
        data = super().as_json()
        shown = not self.suppressed
        data.update(
            {
                "account": self.name,
                "owner_team": self.owner_team,
                "frustration_share": _round(self.frustration_share),
                "teams": self.teams_talking if shown else None,
                "trend": [
                    {"month": str(month), "contempt_rate": _round(rate)}
                    for month, rate in self.trend
                ],
                "suggested_action": self.action if shown else None,
            }
        )
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def account_cells(
    session: Session,
    *,
    workspace_id: str,
    start: datetime,
    end: datetime,
    pool_channels_without_team: bool = False,
) -> tuple[dict[int, Cell], dict[int, dict[str, int]]]:
    """Return each account's cell, and distinct authors per team writing about it (with
    `pool_channels_without_team`, channels in no team count together as one team)."""
    joined = mention_of_observation()
    window = and_(
        Observation.workspace_id == workspace_id,
        Observation.message_at >= start,
        Observation.message_at < end,
    )
    about = and_(Observation.label != NOT_CUSTOMER, Observation.lang_supported.is_(True))
    cells: dict[int, Cell] = defaultdict(Cell)
    counts = (
        select(
            ObservationAccount.account_id,
            Observation.label,
            Observation.lang_supported,
            func.count(),
        )
        .join(Observation, joined)
        .where(window)
        .group_by(ObservationAccount.account_id, Observation.label, Observation.lang_supported)
    )
    for account_id, label, supported, count in session.execute(counts):
        cell = cells[account_id]
        if supported:
            cell.label_counts[label] = cell.label_counts.get(label, 0) + count
        else:
            cell.unsupported += count
    authors = (
        select(
            ObservationAccount.account_id,
            func.count(func.distinct(case((about, Observation.author_key)))),
        )
        .join(Observation, joined)
        .where(window)
        .group_by(ObservationAccount.account_id)
    )
    for account_id, count in session.execute(authors):
        cells[account_id].authors = int(count)
    team = (
        func.coalesce("team:" + cast(TeamChannel.team_id, String), literal(POOL_KEY))
        if pool_channels_without_team
        else team_key(Observation.channel_id)
    )
    by_team: dict[int, dict[str, int]] = defaultdict(dict)
    per_team = (
        _with_team(
            select(
                ObservationAccount.account_id,
                team.label("team"),
                func.count(func.distinct(Observation.author_key)),
                func.count(func.distinct(Observation.channel_id)),
            ).join(Observation, joined),
            workspace_id,
        )
        .where(window, about)
        .group_by(ObservationAccount.account_id, team)
    )
    for account_id, team_id, count, channels in session.execute(per_team):
        if team_id == POOL_KEY and channels < 2:
            continue  # a pool of one channel would name that channel under another name
        by_team[account_id][team_id] = int(count)
    return dict(cells), dict(by_team)


def account_rows(
    session: Session,
    *,
    workspace_id: str,
    month: Month,
    zone: ZoneInfo,
    min_group: int,
    team_names: dict[str, str],
    team_level_only: bool = False,
    channel_names: dict[str, str] | None = None,
) -> list[AccountRow]:
    """Return every account with messages this month, withheld below the minimum group.

    `team_level_only` (the works-council profile) names teams only where an account is
    talked about: channels in no team count together, as the report's pooled row does.
    """
    accounts = {
        a.id: a
        for a in session.scalars(select(Account).where(Account.workspace_id == workspace_id))
    }
    if not accounts:
        return []
    owners = {
        t.id: t.name for t in session.scalars(select(Team).where(Team.workspace_id == workspace_id))
    }
    months = [month.shift(-offset) for offset in range(TREND_MONTHS - 1, -1, -1)]
    per_month: dict[Month, dict[int, Cell]] = {}
    teams_now: dict[int, dict[str, int]] = {}
    for m in months:
        cells, by_team = account_cells(
            session,
            workspace_id=workspace_id,
            start=m.start(zone),
            end=m.end(zone),
            pool_channels_without_team=team_level_only,
        )
        per_month[m] = cells
        if m == month:
            teams_now = by_team

    def shown_rate(m: Month, account_id: int) -> float | None:
        cell = per_month[m].get(account_id)
        if cell is None or cell.authors < min_group:
            return None
        return cell.contempt_rate

    def shown_counts(m: Month, account_id: int) -> tuple[int, int] | None:
        cell = per_month[m].get(account_id)
        if cell is None or cell.authors < min_group:
            return None
        return cell.label_counts[CONTEMPT], cell.about_customers

    rows = []
    for account_id, cell in per_month[month].items():
        account = accounts.get(account_id)
        if account is None:
            continue
        previous = per_month[month.shift(-1)].get(account_id)
        row = AccountRow(
            key=f"account:{account_id}",
            authors=cell.authors,
            messages=cell.about_customers,
            kind="account",
            name=account.name,
            cell=cell,
            previous=previous,
            previous_suppressed=previous is None or previous.authors < min_group,
            account_id=account_id,
            owner_team=owners.get(account.owner_team_id) if account.owner_team_id else None,
            trend=[(m, shown_rate(m, account_id)) for m in months],
            trend_counts=[shown_counts(m, account_id) for m in months],
            teams_talking=[
                _team_name(key, team_names, channel_names or {})
                for key, people in sorted(
                    teams_now.get(account_id, {}).items(), key=lambda kv: -kv[1]
                )
                if people >= min_group
            ],
        )
        rows.append(row)
    apply_minimum(rows, min_group)
    for row in rows:
        row.action = suggested_action(row)
    return sorted(rows, key=lambda r: r.name.casefold())


def _team_name(key: str, team_names: dict[str, str], channel_names: dict[str, str]) -> str:
    if key == POOL_KEY:
        return POOL_NAME
    if key in team_names:
        return team_names[key]
    channel = key.removeprefix("channel:")  # a channel in no team is its own team
    return "#" + channel_names.get(channel, channel)


def _lower_bound(counts: tuple[int, int] | None) -> float:
    if counts is None or counts[1] < NOTABLE_MESSAGES:
        return 0.0
    return wilson_interval(*counts)[0]


def _notable(row: AccountRow) -> bool:
    now = row.trend_counts[-1] if row.trend_counts else None
    return (
        not row.suppressed
        and (row.contempt_rate or 0.0) >= NOTABLE_RATE
        and _lower_bound(now) >= NOTABLE_LOWER_BOUND
    )


def drawing_contempt(rows: list[AccountRow], limit: int = 5) -> list[AccountRow]:
    """Return the accounts clearly drawing contempt, surest first."""
    notable = [r for r in rows if _notable(r)]
    return sorted(notable, key=lambda r: -_lower_bound(r.trend_counts[-1]))[:limit]


def turning_to_contempt(rows: list[AccountRow], limit: int = 5) -> list[AccountRow]:
    """Return accounts where last month's frustration is becoming this month's contempt."""
    warnings = []
    for row in rows:
        before = row.previous_frustration_share
        if row.suppressed or before is None or row.change is None:
            continue
        if before >= FRUSTRATED_SHARE and row.change >= RISE_POINTS:
            warnings.append(row)
    return sorted(warnings, key=lambda r: -(r.change or 0.0))[:limit]


def recovering(rows: list[AccountRow], limit: int = 5) -> list[AccountRow]:
    """Return accounts whose contempt was clearly high in recent months and is not now."""
    out = []
    for row in rows:
        rate = row.contempt_rate
        if rate is None or rate >= NOTABLE_RATE or _notable(row):
            continue
        peak = max((_lower_bound(c) for c in row.trend_counts[:-1]), default=0.0)
        if peak >= NOTABLE_RATE and rate <= max_rate(row) / 2:
            out.append(row)
    return sorted(out, key=lambda r: (r.contempt_rate or 0.0) - max_rate(r))[:limit]


def max_rate(row: AccountRow) -> float:
    """Return the highest contempt rate shown in the row's trend."""
    return max((r for _, r in row.trend if r is not None), default=0.0)


def possessive(name: str) -> str:
    """Return "Acme's", or "Kinsale Networks'" for a name ending in s."""
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def suggested_action(row: AccountRow) -> str:
    """Return one short, concrete thing leaders can do about this account."""
    owner = f"{row.owner_team}, who own the account," if row.owner_team else "the account owner"
    rate = row.contempt_rate or 0.0
    frustration = row.frustration_share or 0.0
    if row in recovering([row]):
        return (
            f"Contempt about {row.name} has fallen a long way from its peak: ask {owner} what "
            "changed (a plan with the customer, training, new terms) and use it elsewhere."
        )
    rising = [r for _, r in row.trend[-3:] if r is not None]
    sustained = len(rising) == 3 and min(rising) >= NOTABLE_RATE * 1.5
    if sustained:
        return (
            f"Contempt for {row.name} has stayed high for three months: with {owner}, revisit "
            "the contract (scope, support terms, or whether to part ways) rather than asking "
            "the team to put up with it."
        )
    if row.change is not None and row.change >= RISE_POINTS:
        return (
            f"Agree a plan for {row.name} with {owner} now, while it is still frustration: "
            "list the recurring problems, decide what the customer must change and what we "
            "will, and tell the team."
        )
    if frustration >= FRUSTRATED_SHARE or rate >= NOTABLE_RATE:
        return (
            f"Offer {possessive(row.name)} team training on what keeps going wrong, and hear "
            "out the people who work with them before the mood spreads to other customers."
        )
    return f"Nothing to act on for {row.name}; keep an eye on the trend."


__all__ = [
    "AccountRow",
    "account_rows",
    "drawing_contempt",
    "recovering",
    "suggested_action",
    "turning_to_contempt",
]
