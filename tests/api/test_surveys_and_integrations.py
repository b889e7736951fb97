"""Survey definitions (admin) and native helpdesk webhooks."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback_service.helpdesk.models import Customer, Ticket
from feedback_service.surveys.models import Invitation


def test_fresh_install_has_post_ticket_and_nps(client: FlaskClient, auth: Any) -> None:
    body = client.get("/api/v1/surveys", headers=auth("admin")).json
    surveys = {s["key"]: s for s in body["items"]}
    assert [q["metric"] for q in surveys["post-ticket"]["questions"]] == ["csat", "ces", "fcr"]
    assert surveys["post-ticket"]["comment_prompt"]["en"]
    assert [q["metric"] for q in surveys["nps"]["questions"]] == ["nps"]
    assert surveys["post-ticket"]["throttle_days"] == 30
    csat = surveys["post-ticket"]["questions"][0]
    assert (csat["low"], csat["high"]) == (1, 5)


def test_create_and_patch_a_survey(client: FlaskClient, auth: Any) -> None:
    admin = auth("admin")
    created = client.post(
        "/api/v1/surveys",
        json={
            "key": "chat-quick",
            "name": "Chat, one question",
            "questions": [{"metric": "ces", "wording": {"en": "Was this easy?", "de": "Einfach?"}}],
            "sampling_rate": 0.5,
            "reminder_after_hours": None,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.json
    assert created.json["reminder_after_hours"] is None
    patched = client.patch(
        "/api/v1/surveys/chat-quick",
        json={"expire_after_days": 3, "comment_prompt": {"en": "Tell us more"}},
        headers=admin,
    )
    assert patched.status_code == 200
    assert patched.json["expire_after_days"] == 3
    assert patched.json["sampling_rate"] == 0.5
    assert client.post(
        "/api/v1/surveys", json=created.json | {"questions": [{"metric": "ces"}]}, headers=admin
    ).status_code in (409, 422)


def test_survey_validation_names_the_field(client: FlaskClient, auth: Any) -> None:
    admin = auth("admin")
    bad = client.post(
        "/api/v1/surveys",
        json={"key": "Bad Key!", "name": "x", "questions": [{"metric": "happiness"}]},
        headers=admin,
    )
    assert bad.status_code == 422
    assert {"key", "questions.0.metric"} <= set(bad.json["error"]["fields"])
    dup = client.patch(
        "/api/v1/surveys/nps",
        json={"questions": [{"metric": "nps"}, {"metric": "nps"}], "sampling_rate": 2},
        headers=admin,
    )
    assert dup.status_code == 422
    assert {"questions.1.metric", "sampling_rate"} <= set(dup.json["error"]["fields"])
    assert client.patch("/api/v1/surveys/nope", json={}, headers=admin).status_code == 404


ZENDESK_TRIGGER_BODY = {
    "ticket": {
        "id": "35436",
        "title": "Refund not received",
        "status": "Solved",
        "via": "Mail",
        "tags": "refund billing",
        "group": "Billing",
        "created_at": "2026-11-19T08:00:00Z",
    },
    "requester": {"id": "9001", "email": "ana@example.com", "name": "Ana", "language": "es"},
    "assignee": {"id": "501", "name": "Lee", "email": "lee@acme.test"},
}


def test_zendesk_trigger_body_posted_as_is(client: FlaskClient, auth: Any, db_session: Any) -> None:
    response = client.post(
        "/api/v1/integrations/zendesk?send_after=0",
        json=ZENDESK_TRIGGER_BODY,
        headers=auth("ingest"),
    )
    assert response.status_code == 201, response.json
    ticket = db_session.scalar(select(Ticket).where(Ticket.external_id == "35436"))
    assert (ticket.source, ticket.channel, ticket.tags) == (
        "zendesk",
        "mail",
        ["refund", "billing"],
    )
    assert ticket.agent.team.name == "Billing"
    customer = db_session.scalar(select(Customer).where(Customer.external_id == "9001"))
    assert (customer.email, customer.locale) == ("ana@example.com", "es")
    again = client.post(
        "/api/v1/integrations/zendesk", json=ZENDESK_TRIGGER_BODY, headers=auth("ingest")
    )
    assert again.status_code == 200 and again.json["id"] == response.json["id"]


def test_zendesk_event_subscription_body(client: FlaskClient, auth: Any, db_session: Any) -> None:
    body = {
        "type": "zen:event-type:ticket.status_changed",
        "detail": {"id": "77", "requester_id": "12", "assignee_id": "5", "via": {"channel": "web"}},
        "event": {"current": "SOLVED", "previous": "OPEN"},
    }
    response = client.post("/api/v1/integrations/zendesk", json=body, headers=auth("ingest"))
    # The event carries no email address: a suppressed invitation, not an error.
    assert response.status_code == 201
    assert (response.json["status"], response.json["reason"]) == ("suppressed", "no_email")


def test_zendesk_reopen_cancels_a_pending_survey(
    client: FlaskClient, auth: Any, db_session: Any
) -> None:
    created = client.post(
        "/api/v1/integrations/zendesk?send_after=3600",
        json=ZENDESK_TRIGGER_BODY,
        headers=auth("ingest"),
    ).json
    reopened = {
        **ZENDESK_TRIGGER_BODY,
        "ticket": {**ZENDESK_TRIGGER_BODY["ticket"], "status": "Open"},
    }
    response = client.post("/api/v1/integrations/zendesk", json=reopened, headers=auth("ingest"))
    assert response.status_code == 200
    invitation = db_session.get(Invitation, created["id"])
    db_session.refresh(invitation)
    assert (invitation.status, invitation.reason) == ("cancelled", "ticket_reopened")


def test_freshdesk_automation_body(client: FlaskClient, auth: Any, db_session: Any) -> None:
    body = {
        "freshdesk_webhook": {
            "ticket_id": 120,
            "ticket_subject": "App crashes on upload",
            "ticket_status": "Resolved",
            "ticket_source": "Portal",
            "ticket_tags": "crash,upload",
            "ticket_agent_name": "Kim",
            "ticket_agent_email": "kim@acme.test",
            "ticket_group_name": "Tier 2",
            "ticket_contact_email": "bo@example.com",
            "ticket_contact_name": "Bo",
        }
    }
    response = client.post(
        "/api/v1/integrations/freshdesk?send_after=0", json=body, headers=auth("ingest")
    )
    assert response.status_code == 201, response.json
    ticket = db_session.scalar(select(Ticket).where(Ticket.external_id == "120"))
    assert ticket.source == "freshdesk" and ticket.tags == ["crash", "upload"]
    assert ticket.agent.external_id == "kim@acme.test"


def test_webhook_without_needed_fields_names_them(client: FlaskClient, auth: Any) -> None:
    response = client.post(
        "/api/v1/integrations/freshdesk",
        json={"freshdesk_webhook": {"ticket_status": "Resolved"}},
        headers=auth("ingest"),
    )
    assert response.status_code == 422
    assert {"ticket.id", "agent.id", "customer.id"} <= set(response.json["error"]["fields"])
    assert (
        client.post("/api/v1/integrations/intercom", json={}, headers=auth("ingest")).status_code
        == 404
    )


def test_webhook_for_a_ticket_not_solved_is_ignored(
    client: FlaskClient, auth: Any, db_session: Any
) -> None:
    body = {**ZENDESK_TRIGGER_BODY, "ticket": {**ZENDESK_TRIGGER_BODY["ticket"], "status": "Hold"}}
    response = client.post("/api/v1/integrations/zendesk", json=body, headers=auth("ingest"))
    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert db_session.scalar(select(Invitation)) is None


LANGUAGES = [
    ("Deutsch", "de"),
    ("German", "de"),
    ("de", "de"),
    ("de-AT", "de"),
    ("German (Austria)", "de"),
    ("Español", "es"),
    ("Spanish", "es"),
    ("es-419", "es"),
    ("English", "en"),
    ("Inglés", "en"),
    ("Klingon", "en"),
]


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_zendesk_requester_language_names_and_codes_map(
    client: FlaskClient, auth: Any, db_session: Any, language: str, locale: str
) -> None:
    body = {
        **ZENDESK_TRIGGER_BODY,
        "ticket": {**ZENDESK_TRIGGER_BODY["ticket"], "id": f"lang-{language}"},
        "requester": {**ZENDESK_TRIGGER_BODY["requester"], "language": language},
    }
    response = client.post("/api/v1/integrations/zendesk", json=body, headers=auth("ingest"))
    assert response.status_code == 201, response.json
    assert db_session.get(Invitation, response.json["id"]).locale == locale


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_freshdesk_contact_language_names_and_codes_map(
    client: FlaskClient, auth: Any, db_session: Any, language: str, locale: str
) -> None:
    body = {
        "freshdesk_webhook": {
            "ticket_id": f"lang-{language}",
            "ticket_status": "Resolved",
            "ticket_agent_email": "kim@acme.test",
            "ticket_contact_email": "bo@example.com",
            "ticket_contact_language": language,
        }
    }
    response = client.post("/api/v1/integrations/freshdesk", json=body, headers=auth("ingest"))
    assert response.status_code == 201, response.json
    assert db_session.get(Invitation, response.json["id"]).locale == locale
