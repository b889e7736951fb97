"""A survey's life after it is defined: its kept versions, archiving, purging.

Functions take a session, flush and never commit; the request commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from feedback_service.db import utcnow
from feedback_service.errors import Conflict, NotFound
from feedback_service.surveys.models import (
    Invitation,
    InvitationEvent,
    Response,
    Survey,
    SurveyDefinition,
)
from feedback_service.surveys.service import cancel_scheduled, forget_rules, get_survey


class SurveyWasSent(Conflict):
    code = "survey_was_sent"


def definition(session: Session, survey: Survey, version: int) -> SurveyDefinition:
    found = session.scalar(
        select(SurveyDefinition).where(
            SurveyDefinition.survey_id == survey.id, SurveyDefinition.version == version
        )
    )
    if found is None:
        raise NotFound(
            f"Survey '{survey.key}' has versions 1 to {survey.version}.",
            fields={"version": [f"No version {version}."]},
        )
    return found


def archive_survey(session: Session, key: str, now: dt.datetime | None = None) -> Survey:
    """No new invitations from now on; invitations not sent yet are cancelled,
    those sent may still be answered, and every answer stays."""
    survey = get_survey(session, key)
    if survey.archived_at is None:
        survey.archived_at = now or utcnow()
        cancel_scheduled(
            session, Invitation.survey_id == survey.id, "survey_archived", "survey archived"
        )
    session.flush()
    forget_rules(session, key)
    return survey


def purge_survey(session: Session, key: str) -> None:
    """Delete a survey that never went out, with its unsent invitations; a survey
    that was sent (or answered) is 409: archive it instead."""
    survey = get_survey(session, key)
    was_sent = or_(Invitation.sent_at.is_not(None), Invitation.status.in_(("sending", "sent")))
    sent = session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.survey_id == survey.id, was_sent)
    )
    answered = session.scalar(
        select(func.count()).select_from(Response).where(Response.survey_id == survey.id)
    )
    if sent or answered:
        raise SurveyWasSent(
            f"Survey '{key}' was sent ({sent} invitation(s) sent, {answered} response(s)); "
            "it can only be archived (DELETE without purge) so its answers stay.",
            fields={"purge": [f"{sent} invitation(s) were sent."]},
        )
    unsent = select(Invitation.id).where(Invitation.survey_id == survey.id)
    session.execute(delete(InvitationEvent).where(InvitationEvent.invitation_id.in_(unsent)))
    session.execute(delete(Invitation).where(Invitation.survey_id == survey.id))
    session.execute(delete(SurveyDefinition).where(SurveyDefinition.survey_id == survey.id))
    session.delete(survey)
    session.flush()
    forget_rules(session, key)
