"""Every table, imported in one place for Alembic and tests."""

from bot.accounts.models import Account, AccountAlias, AccountCandidate, ObservationAccount
from bot.alerts.models import Alert
from bot.db.base import Base
from bot.events.models import ProcessedEvent
from bot.exports.models import ExportFile
from bot.feedback.models import Feedback
from bot.governance.models import AuditEntry, SendCounter, WorkspaceControl
from bot.ingest.models import PendingMessage, SetAsideMessage
from bot.nudges.models import Nudge
from bot.observations.models import Observation
from bot.outbox.models import OutboxMessage
from bot.preferences.models import UserPreference
from bot.reports.models import MonthlyAggregate, ReportDelivery
from bot.teams.models import Team, TeamChannel, TeamManager
from bot.workspaces.models import Channel, Workspace

__all__ = [
    "Account",
    "AccountAlias",
    "AccountCandidate",
    "Alert",
    "AuditEntry",
    "Base",
    "Channel",
    "ExportFile",
    "Feedback",
    "MonthlyAggregate",
    "Nudge",
    "Observation",
    "ObservationAccount",
    "OutboxMessage",
    "PendingMessage",
    "ProcessedEvent",
    "ReportDelivery",
    "SendCounter",
    "SetAsideMessage",
    "Team",
    "TeamChannel",
    "TeamManager",
    "UserPreference",
    "Workspace",
    "WorkspaceControl",
]
