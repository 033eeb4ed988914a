"""Account alerts: the owner team's managers hear when contempt about one account jumps.

The same care as team alerts (`bot.alerts.service`): an exact one-sided binomial test of
the last 7 days against the account's previous 8 weeks across the whole organisation, a
minimum effect and sample, at least the minimum group of people in both the last week and
the baseline it is compared with (the DM quotes both rates), and at most one alert
per account per week, claimed in the database so two schedulers cannot both send it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot import blocks
from bot.accounts.models import Account, ObservationAccount, mention_of_observation
from bot.alerts.models import Alert
from bot.alerts.service import (
    BASELINE_DAYS,
    MAX_P_VALUE,
    MIN_INCREASE,
    MIN_RATIO,
    MIN_RECENT_MESSAGES,
    RECENT_DAYS,
    dm_managers,
    week_start,
)
from bot.db.statements import insert_if_absent
from bot.observations.models import Observation
from bot.reports.aggregates import Cell
from bot.reports.stats import binomial_upper_tail, smoothed_rate
from bot.teams.models import Team
from bot.teams.service import managers_of
from classifiers.labels import CONTEMPT, NOT_CUSTOMER

log = logging.getLogger(__name__)


@dataclass
class AccountCheck:
    """The test of one account's last week against its baseline."""

    account_id: int
    name: str
    recent_rate: float | None
    baseline_rate: float | None
    recent_messages: int
    recent_authors: int
    p_value: float
    rise: bool


def check_accounts(
    session: Session, *, workspace_id: str, now: datetime, min_group: int
) -> list[AccountCheck]:
    """Test every account's last 7 days against its previous 8 weeks."""
    recent_start = now - timedelta(days=RECENT_DAYS)
    baseline_start = recent_start - timedelta(days=BASELINE_DAYS)
    joined = mention_of_observation()
    window = and_(
        Observation.workspace_id == workspace_id,
        Observation.message_at >= baseline_start,
        Observation.message_at < now,
        Observation.lang_supported.is_(True),
    )
    is_recent = Observation.message_at >= recent_start
    recent: dict[int, Cell] = defaultdict(Cell)
    baseline: dict[int, Cell] = defaultdict(Cell)
    query = (
        select(
            ObservationAccount.account_id,
            is_recent.label("recent"),
            Observation.label,
            func.count(),
        )
        .join(Observation, joined)
        .where(window)
        .group_by(ObservationAccount.account_id, is_recent, Observation.label)
    )
    for account_id, in_recent, label, count in session.execute(query):
        cell = recent[account_id] if in_recent else baseline[account_id]
        cell.label_counts[label] = cell.label_counts.get(label, 0) + count
    authors = (
        select(
            ObservationAccount.account_id,
            is_recent.label("recent"),
            func.count(func.distinct(Observation.author_key)),
        )
        .join(Observation, joined)
        .where(window, Observation.label != NOT_CUSTOMER)
        .group_by(ObservationAccount.account_id, is_recent)
    )
    for account_id, in_recent, count in session.execute(authors):
        (recent[account_id] if in_recent else baseline[account_id]).authors = int(count)
    names = {
        a.id: a.name
        for a in session.scalars(select(Account).where(Account.workspace_id == workspace_id))
    }
    checks = []
    for account_id, cell in recent.items():
        before = baseline[account_id]
        n1, x1 = cell.about_customers, cell.label_counts[CONTEMPT]
        n0, x0 = before.about_customers, before.label_counts[CONTEMPT]
        p0 = smoothed_rate(x0, n0)
        p_value = binomial_upper_tail(x1, n1, p0) if n1 else 1.0
        rate1 = x1 / n1 if n1 else None
        rise = (
            n1 >= MIN_RECENT_MESSAGES
            and cell.authors >= min_group
            and before.authors >= min_group
            and rate1 is not None
            and n0 > 0
            and p_value < MAX_P_VALUE
            and rate1 >= MIN_RATIO * p0
            and rate1 - p0 >= MIN_INCREASE
        )
        checks.append(
            AccountCheck(
                account_id=account_id,
                name=names.get(account_id, str(account_id)),
                recent_rate=rate1,
                baseline_rate=x0 / n0 if n0 else None,
                recent_messages=n1,
                recent_authors=cell.authors,
                p_value=p_value,
                rise=rise,
            )
        )
    return checks


def send_account_alerts(
    session: Session, *, workspace_id: str, now: datetime, min_group: int, zone: ZoneInfo
) -> list[AccountCheck]:
    """Queue one DM per owner-team manager for each account whose contempt jumped."""
    week = week_start(now, zone)
    sent = []
    for check in check_accounts(session, workspace_id=workspace_id, now=now, min_group=min_group):
        if not check.rise:
            continue
        account = session.get(Account, check.account_id)
        if account is None or account.owner_team_id is None:
            log.warning("alerts: contempt about %s rose but it has no owner team", check.name)
            continue
        team = session.get(Team, account.owner_team_id)
        managers = managers_of(
            session, workspace_id=workspace_id, team_key=f"team:{account.owner_team_id}"
        )
        if team is None or not managers:
            log.warning("alerts: %s's owner team has no managers configured", check.name)
            continue
        claimed = insert_if_absent(
            session,
            Alert,
            conflict=["workspace_id", "scope_kind", "scope_id", "kind", "week_start"],
            workspace_id=workspace_id,
            scope_kind="account",
            scope_id=str(check.account_id),
            kind="rise",
            week_start=week,
            figures={
                "recent_rate": check.recent_rate,
                "baseline_rate": check.baseline_rate,
                "recent_messages": check.recent_messages,
                "recent_authors": check.recent_authors,
                "p_value": check.p_value,
            },
            created_at=datetime.now(UTC),
        )
        if not claimed:
            continue
        message = blocks.account_alert(
            account=check.name,
            team=team.name,
            recent_rate=check.recent_rate or 0.0,
            baseline_rate=check.baseline_rate or 0.0,
            messages=check.recent_messages,
            people=check.recent_authors,
            min_group=min_group,
        )
        dm_managers(
            session,
            workspace_id=workspace_id,
            managers=managers,
            message=message,
            key=f"alert:{workspace_id}:account:{check.account_id}:{week}",
        )
        sent.append(check)
    return sent
