"""The response trigger: a detractor or very dissatisfied answer with a comment.

Called by the analysis worker for every version of a response it processes, in
the same transaction. The alert's dedupe key is the response id, so a response
alerts once in its life: re-processing never alerts again, and an amended
response that turns bad alerts then, once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service import words
from feedback_service.alerts import rules
from feedback_service.alerts.models import Alert
from feedback_service.alerts.service import get_settings, raise_alert
from feedback_service.surveys.models import Response

KIND = "detractor_response"


def dedupe_key(response_id: int) -> str:
    return f"response:{response_id}"


def alert_on_response(session: Session, response: Response) -> Alert | None:
    """Raise the response's alert if it is confirmed and bad enough; else None."""
    if response.status != "confirmed":
        return None  # a provisional one-click rating may be a mail scanner's
    settings = get_settings(session)
    reasons = rules.alarming(
        response.answers(), response.comment, settings.triggers, settings.require_comment
    )
    if not reasons:
        return None
    key = dedupe_key(response.id)
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == key)) is not None:
        return None
    ticket, agent, team = response.ticket, response.agent, response.team
    who = (agent.name or agent.external_id) if agent else "no agent"
    title = (
        f"{', '.join(r.label for r in reasons)} {words.PHRASES['en']['with_comment']} on ticket "
        f"{ticket.external_id}, {who}"
    )
    payload: dict[str, Any] = {
        "response_id": response.id,
        "reasons": [
            {"metric": r.metric, "value": r.value, "threshold": r.threshold, "label": r.label}
            for r in reasons
        ],
        "answers": response.answers(),
        "comment": response.comment,
        "ticket": {
            "id": ticket.external_id,
            "source": ticket.source,
            "subject": ticket.subject,
            "product": ticket.product,
        },
        "agent": None
        if agent is None
        else {"id": agent.external_id, "name": agent.name, "email": agent.email},
        "team": None if team is None else {"id": team.external_id, "name": team.name},
        "survey": response.survey.key,
        "channel": response.channel,
        "submitted_at": response.submitted_at.isoformat(),
    }
    return raise_alert(session, KIND, title, payload, key, team_id=response.team_id)
