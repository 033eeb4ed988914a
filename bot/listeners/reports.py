"""`/culture-report [YYYY-MM] [#channel|team]`: the report, privately, to those who may see it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot import blocks
from bot.errors import InputError
from bot.governance.service import audit
from bot.reports.month import Month
from bot.reports.render import to_blocks
from bot.reports.report import ReportScope, build_report, only_team, resolve_scope, team_directory
from bot.teams.service import teams_managed_by

if TYPE_CHECKING:
    from bot.app import Services

_MONTH = re.compile(r"^\d{4}-\d{1,2}$")


@dataclass(frozen=True)
class ReportRequest:
    """What someone asked for."""

    month: str | None
    scope: str | None  # a team name, or a channel as <#C…|name>, #name or a bare name


def parse_request(text: str) -> ReportRequest:
    """Split `/culture-report` arguments into a month and a scope, in either order."""
    month, scope_words = None, []
    for word in text.split():
        if _MONTH.match(word) and month is None:
            month = word
        else:
            scope_words.append(word)
    return ReportRequest(month, " ".join(scope_words) or None)


def allowed_scope(
    services: Services, *, user_id: str, workspace_id: str, scope: str | None
) -> tuple[bool, ReportScope | None]:
    """Decide whether someone may see a report; managers see only their own teams.

    A channel stands for its team, so a manager may ask for any of their team's channels.
    Raises InputError when the scope names no team or channel.
    """
    privileged = services.is_leader(user_id) or services.is_admin(user_id)
    with services.database.session() as session:
        managed = (
            []
            if privileged
            else [
                t.name
                for t in teams_managed_by(session, workspace_id=workspace_id, user_id=user_id)
            ]
        )
        if not privileged and not managed:
            return False, None
        wanted = resolve_scope(team_directory(session, workspace_id), scope) if scope else None
    if privileged:
        return True, wanted
    if wanted is None:
        return True, ReportScope(managed[0])
    return wanted.team.lower() in {m.lower() for m in managed}, wanted


def register(app: App, services: Services) -> None:
    """Register `/culture-report`."""

    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        request = parse_request(str(command.get("text") or ""))
        try:
            allowed, _ = allowed_scope(
                services,
                user_id=str(command.get("user_id")),
                workspace_id=str(command.get("team_id")),
                scope=request.scope,
            )
        except InputError as exc:
            ack(**blocks.simple(str(exc)))
            return
        if not allowed:
            ack(**blocks.report_refusal(leaders=services.settings.leaders))
            return
        ack(text="Preparing the culture report…")

    def send(command: dict[str, Any], respond: Respond) -> None:
        request = parse_request(str(command.get("text") or ""))
        user_id, workspace_id = str(command.get("user_id")), str(command.get("team_id"))
        try:
            allowed, scope = allowed_scope(
                services, user_id=user_id, workspace_id=workspace_id, scope=request.scope
            )
        except InputError:
            return  # the acknowledgement has said what was wrong
        if not allowed:
            return
        settings = services.settings
        try:
            month = (
                Month.parse(request.month)
                if request.month
                else Month.containing(datetime.now(UTC), settings.zone).shift(-1)
            )
            with services.database.session() as session:
                report = build_report(
                    session,
                    workspace_id=workspace_id,
                    month=month,
                    min_group=settings.min_group,
                    zone=settings.zone,
                    team_level_only=settings.team_level_only,
                )
                audit(
                    session,
                    workspace_id=workspace_id,
                    actor=user_id,
                    action="report.view",
                    target=f"{month}" + (f" {scope.team}" if scope else ""),
                    details={"via": "/culture-report"},
                )
            if scope:
                report = only_team(report, scope)
        except InputError as exc:
            respond(**blocks.simple(str(exc)), response_type="ephemeral", replace_original=True)
            return
        respond(**to_blocks(report), response_type="ephemeral", replace_original=True)

    app.command("/culture-report")(ack=acknowledge, lazy=[send])
