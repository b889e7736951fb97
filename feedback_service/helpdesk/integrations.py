"""Map a helpdesk's own "ticket solved" webhook body to our invitation payload.

Zendesk: either a trigger's webhook with the JSON body documented in the README
(``{"ticket": {...}, "requester": {...}, "assignee": {...}}``, Zendesk
placeholders), or an event-subscription webhook
(``{"type": "zen:event-type:ticket.status_changed", "detail": {...}}``).
Freshdesk: an automation rule's webhook whose body wraps the ticket's
placeholders in ``{"freshdesk_webhook": {...}}`` (Freshdesk's own convention).

A mapper returns ``(payload, status)`` where status is the ticket's lower-cased
helpdesk status, so the caller can ignore events that are not closures.
"""

from __future__ import annotations

from typing import Any

from feedback_service.errors import ValidationError

SOLVED = {"solved", "closed", "resolved"}
REOPENED = {"open", "reopened", "pending", "new"}


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _tags(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [str(t) for t in value if str(t).strip()]
    # Placeholders render tag lists as "a b c" (Zendesk) or "a,b,c" (Freshdesk).
    return [t for t in str(value).replace(",", " ").split() if t]


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _texts(source: dict[str, Any], **theirs: str) -> dict[str, str | None]:
    """Our field names to the text of the helpdesk's: ``_texts(data, name="agent_name")``."""
    return {ours: _str(source.get(key)) for ours, key in theirs.items()}


def _need(obj: Any, name: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ValidationError(
            f"The webhook body needs a '{name}' object.", fields={name: ["Missing data."]}
        )
    return obj


def map_zendesk(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    if body.get("type", "").startswith("zen:event-type:ticket"):
        detail = _need(body.get("detail"), "detail")
        event = body.get("event") or {}
        status = _str(event.get("current") or detail.get("status"))
        via = detail.get("via") or {}
        ticket = {
            "id": detail.get("id"),
            "subject": _str(detail.get("subject")),
            "channel": _str(via.get("channel") if isinstance(via, dict) else via),
            "tags": _tags(detail.get("tags")),
            "opened_at": _str(detail.get("created_at")),
            "closed_at": _str(detail.get("updated_at")),
        }
        agent = {"id": detail.get("assignee_id"), "team": _str(detail.get("group_id"))}
        customer = {"id": detail.get("requester_id")}
    else:
        ticket_in = _need(body.get("ticket"), "ticket")
        status = _str(ticket_in.get("status"))
        assignee = body.get("assignee") or {}
        requester = _need(body.get("requester"), "requester")
        ticket = {
            "id": ticket_in.get("id"),
            "subject": _str(ticket_in.get("title") or ticket_in.get("subject")),
            "channel": _str(ticket_in.get("via") or ticket_in.get("channel")),
            "product": _str(ticket_in.get("product") or ticket_in.get("brand")),
            "tags": _tags(ticket_in.get("tags")),
            **_texts(
                ticket_in,
                opened_at="created_at",
                first_response_at="first_response_at",
                resolved_at="solved_at",
                closed_at="updated_at",
            ),
        }
        agent = {
            "id": assignee.get("id"),
            **_texts(assignee, name="name", email="email"),
            "team": _str(ticket_in.get("group") or assignee.get("group")),
        }
        customer = {
            "id": requester.get("id"),
            **_texts(requester, email="email", name="name"),
            "locale": _str(requester.get("language") or requester.get("locale")),
        }
    payload = {"ticket": _compact(ticket), "agent": _compact(agent), "customer": _compact(customer)}
    return payload, status.lower() if status else None


def map_freshdesk(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    data = _need(body.get("freshdesk_webhook", body), "freshdesk_webhook")
    status = _str(data.get("ticket_status"))
    ticket = {
        "id": data.get("ticket_id"),
        **_texts(data, subject="ticket_subject", channel="ticket_source", product="ticket_product"),
        "tags": _tags(data.get("ticket_tags")),
        **_texts(
            data,
            opened_at="ticket_created_at",
            resolved_at="ticket_resolved_at",
            closed_at="ticket_closed_at",
        ),
    }
    agent = {
        # Freshdesk's placeholders give no agent id; the agent's email is stable.
        "id": data.get("ticket_agent_id") or _str(data.get("ticket_agent_email")),
        **_texts(
            data, name="ticket_agent_name", email="ticket_agent_email", team="ticket_group_name"
        ),
    }
    customer = {
        "id": data.get("ticket_contact_id") or _str(data.get("ticket_contact_email")),
        **_texts(
            data,
            email="ticket_contact_email",
            name="ticket_contact_name",
            locale="ticket_contact_language",
        ),
    }
    payload = {"ticket": _compact(ticket), "agent": _compact(agent), "customer": _compact(customer)}
    return payload, status.lower() if status else None


MAPPERS = {"zendesk": map_zendesk, "freshdesk": map_freshdesk}
