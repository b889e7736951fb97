"""Factories for test data: payloads as a helpdesk would send them, and rows."""

from __future__ import annotations

import itertools
from typing import Any

from feedback_service.surveys.models import Invitation, Response

_seq = itertools.count(1)


def invitation_payload(**overrides: Any) -> dict[str, Any]:
    """A complete ``POST /api/v1/invitations`` body; override any part."""
    n = next(_seq)
    payload: dict[str, Any] = {
        "ticket": {
            "id": f"T-{n}",
            "subject": "Cannot log in after password reset",
            "channel": "email",
            "product": "Mobile app",
            "tags": ["login"],
            "opened_at": "2026-11-20T09:00:00Z",
            "first_response_at": "2026-11-20T09:20:00Z",
            "resolved_at": "2026-11-20T11:00:00Z",
            "closed_at": "2026-11-20T11:05:00Z",
            "contacts": 1,
            "escalated": False,
            "reopened": False,
        },
        "agent": {"id": f"A-{n % 7}", "name": "Dana Agent", "team": "Tier 1"},
        "customer": {"id": f"C-{n}", "email": f"customer{n}@example.com", "name": "Sam"},
        "send_after": 0,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(payload.get(key), dict):
            payload[key] = {**payload[key], **value}
        else:
            payload[key] = value
    return payload


def response_to(invitation: Invitation, **values: Any) -> Response:
    """An answer row to ``invitation``, carrying its survey, ticket, customer, agent,
    team and channel as the service stores them; ``values`` gives the rest."""
    return Response(
        invitation_id=invitation.id,
        survey_id=invitation.survey_id,
        ticket_id=invitation.ticket_id,
        customer_id=invitation.customer_id,
        agent_id=invitation.agent_id,
        team_id=invitation.team_id,
        channel=invitation.channel,
        **values,
    )
