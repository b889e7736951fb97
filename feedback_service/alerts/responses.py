"""The response trigger: a detractor or very dissatisfied answer with a comment.

Called by answer processing for every batch of response versions it processes,
in the same transaction. The alert's dedupe key is the response id, so a
response alerts once in its life: re-processing never alerts again, and an
amended response that turns bad alerts then, once. Only a fresh answer alerts
(``rules.is_fresh``): its age runs from its latest version (``updated_at``: the
first submission, or the amendment or confirmation that made it what it is now),
so a months-old answer processed late stays quiet and an old answer amended to
bad today alerts.

A batch costs a few statements, not a few per answer: the settings are read
once, the batch's dedupe keys checked with one ``IN``, and each new alert is
written by ``raise_alert`` (the alert, its deliveries) with those settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service import words
from feedback_service.alerts import rules
from feedback_service.alerts.models import Alert
from feedback_service.alerts.service import get_settings, raise_alert
from feedback_service.db import utcnow
from feedback_service.surveys.models import Response

KIND = "detractor_response"


def dedupe_key(response_id: int) -> str:
    return f"response:{response_id}"


def alert_on_response(session: Session, response: Response) -> Alert | None:
    """Raise the response's alert if it is confirmed and bad enough; else None."""
    raised = alert_on_responses(session, [response])
    return raised[0] if raised else None


def alert_on_responses(session: Session, responses: Sequence[Response]) -> list[Alert]:
    """Raise the alert of each response that is confirmed (a provisional one-click
    rating may be a mail scanner's), fresh, bad enough and not alerted before, in
    the order given; returns the alerts raised."""
    now, max_age = utcnow(), current_app.config["ALERT_MAX_AGE_HOURS"]
    confirmed = [
        r
        for r in responses
        if r.status == "confirmed" and rules.is_fresh(r.updated_at, now, max_age)
    ]
    if not confirmed:
        return []
    settings = get_settings(session)
    alarming = {
        r.id: reasons
        for r in confirmed
        if (
            reasons := rules.alarming(
                r.answers(), r.comment, settings.triggers, settings.require_comment
            )
        )
    }
    if not alarming:
        return []
    keys = [dedupe_key(response_id) for response_id in alarming]
    taken = set(session.scalars(select(Alert.dedupe_key).where(Alert.dedupe_key.in_(keys))))
    raised = []
    for response in confirmed:
        key = dedupe_key(response.id)
        if response.id not in alarming or key in taken:
            continue
        reasons = alarming[response.id]
        alert = raise_alert(
            session,
            KIND,
            _title(response, reasons),
            _payload(response, reasons),
            key,
            team_id=response.team_id,
            settings=settings,
        )
        if alert is not None:
            raised.append(alert)
    return raised


def alert_on_recent(session: Session, chunk: int = 500) -> list[Alert]:
    """Raise the alerts every answer still fresh would have raised had it come in
    on its own (a demo seed, a bulk import): the same rule, so processing these
    answers later, or the older ones, raises no more."""
    query = select(Response.id).order_by(Response.id)
    since = rules.fresh_since(utcnow(), current_app.config["ALERT_MAX_AGE_HOURS"])
    if since is not None:
        query = query.where(Response.updated_at >= since)
    ids = list(session.scalars(query))
    raised: list[Alert] = []
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        rows = session.scalars(select(Response).where(Response.id.in_(part)).order_by(Response.id))
        raised += alert_on_responses(session, list(rows))
    return raised


def _title(response: Response, reasons: list[rules.Reason]) -> str:
    agent = response.agent
    who = (agent.name or agent.external_id) if agent else "no agent"
    return (
        f"{', '.join(r.label for r in reasons)} {words.PHRASES['en']['with_comment']} on ticket "
        f"{response.ticket.external_id}, {who}"
    )


def _payload(response: Response, reasons: list[rules.Reason]) -> dict[str, Any]:
    ticket, agent, team = response.ticket, response.agent, response.team
    return {
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
