"""Imports every feature's models so the metadata is complete (Alembic, tests)."""

from feedback_service.alerts.models import Alert, AlertDelivery, AlertSettings, Digest
from feedback_service.analysis.models import CommentAnalysis
from feedback_service.auth.models import ApiKey
from feedback_service.customers.models import CustomerErasure
from feedback_service.dashboard.models import CommentNote
from feedback_service.db import Base
from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket
from feedback_service.patterns.models import PatternFinding, PatternRun
from feedback_service.scores.models import ScoreRollup
from feedback_service.surveys.models import (
    Invitation,
    InvitationEvent,
    RatingClick,
    Response,
    Survey,
)

__all__ = [
    "Agent",
    "Alert",
    "AlertDelivery",
    "AlertSettings",
    "ApiKey",
    "Base",
    "CommentAnalysis",
    "CommentNote",
    "Customer",
    "CustomerErasure",
    "Digest",
    "Invitation",
    "InvitationEvent",
    "PatternFinding",
    "PatternRun",
    "RatingClick",
    "Response",
    "ScoreRollup",
    "Survey",
    "Team",
    "Ticket",
]
