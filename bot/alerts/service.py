"""Trend alerts: tell a team's managers when contempt rises clearly above its own normal.

"Clearly" is a one-sided exact binomial test of the last 7 days against the team's
previous 8 weeks, plus a minimum size of effect and of sample, so a handful of messages
in a quiet week never fires. Both periods compared must cover at least the minimum group
of people, and so must "the rest of the organisation" before its rate is quoted. Alerts
carry numbers and suggestions only: no names, no quotes, no links to messages. At most
one alert per team per week (a database claim), and a follow-up once the rate is back to
normal.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import blocks
from bot.alerts.models import Alert
from bot.db.statements import insert_if_absent
from bot.outbox.service import enqueue
from bot.reports.aggregates import Cell, window_figures
from bot.reports.stats import binomial_upper_tail, smoothed_rate
from bot.teams.models import Team
from bot.teams.service import managers_of
from bot.workspaces.models import Channel
from classifiers.labels import CONTEMPT

log = logging.getLogger(__name__)

RECENT_DAYS = 7
BASELINE_DAYS = 56
MIN_RECENT_MESSAGES = 20
MAX_P_VALUE = 0.01
MIN_RATIO = 1.5
MIN_INCREASE = 0.05
# Back to normal: within this much of the baseline the alert was measured against.
RECOVERY_MARGIN = 0.02


@dataclass
class TrendCheck:
    """The test of one team's last week against its baseline."""

    team_key: str
    team_name: str
    recent_rate: float | None
    baseline_rate: float | None
    recent_messages: int
    recent_authors: int
    baseline_authors: int
    p_value: float
    rest_rate: float | None  # None when too few people elsewhere to quote it
    verdict: str | None  # rise, recovered or None


def week_start(moment: datetime, zone: ZoneInfo) -> date:
    """Return the Monday of the moment's week, in the configured zone."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def _team_names(session: Session, workspace_id: str) -> dict[str, str]:
    names = {
        f"team:{t.id}": t.name
        for t in session.scalars(select(Team).where(Team.workspace_id == workspace_id))
    }
    for channel in session.scalars(select(Channel).where(Channel.workspace_id == workspace_id)):
        names.setdefault(f"channel:{channel.id}", f"#{channel.name or channel.id}")
    return names


def _latest_rise(session: Session, workspace_id: str, team_key: str, since: date) -> Alert | None:
    alerts = session.scalars(
        select(Alert)
        .where(
            Alert.workspace_id == workspace_id,
            Alert.scope_kind == "team",
            Alert.scope_id == team_key,
            Alert.week_start >= since,
        )
        .order_by(Alert.week_start.desc(), Alert.id.desc())
    ).all()
    if not alerts or alerts[0].kind != "rise":
        return None
    return alerts[0]


def check_trends(
    session: Session, *, workspace_id: str, now: datetime, min_group: int, zone: ZoneInfo
) -> list[TrendCheck]:
    """Test every team's last 7 days against its previous 8 weeks."""
    recent_start = now - timedelta(days=RECENT_DAYS)
    figures = window_figures(
        session,
        workspace_id=workspace_id,
        recent_start=recent_start,
        baseline_start=recent_start - timedelta(days=BASELINE_DAYS),
        end=now,
    )
    names = _team_names(session, workspace_id)
    org_recent = Cell()
    for window in figures.values():
        for label, count in window.recent.label_counts.items():
            org_recent.label_counts[label] += count
    checks = []
    for key, window in figures.items():
        recent, baseline = window.recent, window.baseline
        n1, x1 = recent.about_customers, recent.label_counts[CONTEMPT]
        n0, x0 = baseline.about_customers, baseline.label_counts[CONTEMPT]
        p0 = smoothed_rate(x0, n0)
        p_value = binomial_upper_tail(x1, n1, p0) if n1 else 1.0
        rate1 = x1 / n1 if n1 else None
        rest_n = org_recent.about_customers - n1
        rest_rate = (
            (org_recent.label_counts[CONTEMPT] - x1) / rest_n
            if rest_n > 0 and window.rest_authors >= min_group
            else None
        )
        verdict = None
        enough = n1 >= MIN_RECENT_MESSAGES and recent.authors >= min_group
        if (
            enough
            and baseline.authors >= min_group
            and rate1 is not None
            and n0 > 0
            and p_value < MAX_P_VALUE
            and rate1 >= MIN_RATIO * p0
            and rate1 - p0 >= MIN_INCREASE
        ):
            verdict = "rise"
        elif enough and rate1 is not None:
            rise = _latest_rise(
                session, workspace_id, key, week_start(now, zone) - timedelta(weeks=12)
            )
            if rise is not None and rise.week_start < week_start(now, zone):
                before = float(str(rise.figures.get("baseline_rate") or 0.0))
                if rate1 <= before + RECOVERY_MARGIN:
                    verdict = "recovered"
        checks.append(
            TrendCheck(
                team_key=key,
                team_name=names.get(key, key),
                recent_rate=rate1,
                baseline_rate=x0 / n0 if n0 else None,
                recent_messages=n1,
                recent_authors=recent.authors,
                baseline_authors=baseline.authors,
                p_value=p_value,
                rest_rate=rest_rate,
                verdict=verdict,
            )
        )
    return checks


def _claim(session: Session, workspace_id: str, check: TrendCheck, week: date) -> bool:
    figures = {
        k: v for k, v in asdict(check).items() if k not in ("team_key", "team_name", "verdict")
    }
    return insert_if_absent(
        session,
        Alert,
        conflict=["workspace_id", "scope_kind", "scope_id", "kind", "week_start"],
        workspace_id=workspace_id,
        scope_kind="team",
        scope_id=check.team_key,
        kind=check.verdict,
        week_start=week,
        figures=figures,
        created_at=datetime.now(UTC),
    )


def _already_alerted_this_week(
    session: Session, workspace_id: str, team_key: str, week: date
) -> bool:
    return (
        session.scalar(
            select(Alert.id).where(
                Alert.workspace_id == workspace_id,
                Alert.scope_kind == "team",
                Alert.scope_id == team_key,
                Alert.week_start == week,
            )
        )
        is not None
    )


def send_trend_alerts(
    session: Session, *, workspace_id: str, now: datetime, min_group: int, zone: ZoneInfo
) -> list[TrendCheck]:
    """Run the checks and queue one DM per manager for each alert due; return those sent."""
    week = week_start(now, zone)
    sent = []
    for check in check_trends(
        session, workspace_id=workspace_id, now=now, min_group=min_group, zone=zone
    ):
        if check.verdict is None or _already_alerted_this_week(
            session, workspace_id, check.team_key, week
        ):
            continue
        managers = managers_of(session, workspace_id=workspace_id, team_key=check.team_key)
        if not managers:
            log.warning("alerts: %s needs an alert but has no managers configured", check.team_name)
            continue
        if not _claim(session, workspace_id, check, week):
            continue
        message = (
            blocks.trend_alert(
                team=check.team_name,
                recent_rate=check.recent_rate or 0.0,
                baseline_rate=check.baseline_rate or 0.0,
                messages=check.recent_messages,
                rest_rate=check.rest_rate,
                min_group=min_group,
            )
            if check.verdict == "rise"
            else blocks.trend_recovered(team=check.team_name, recent_rate=check.recent_rate or 0.0)
        )
        dm_managers(
            session,
            workspace_id=workspace_id,
            managers=managers,
            message=message,
            key=f"alert:{workspace_id}:{check.team_key}:{check.verdict}:{week}",
        )
        sent.append(check)
    return sent


def dm_managers(
    session: Session,
    *,
    workspace_id: str,
    managers: list[str],
    message: dict[str, Any],
    key: str,
) -> None:
    """Queue one alert DM per manager, each under its own dedupe key (`key:manager`)."""
    for manager in managers:
        enqueue(
            session=session,
            method="chat.postMessage",
            payload={"channel": manager, **message},
            workspace_id=workspace_id,
            dedupe_key=f"{key}:{manager}",
        )
