"""Dispatch: POST /api/v1/invitations and the rules that decide whether we ask."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket
from feedback_service.surveys.models import Invitation
from tests.factories import invitation_payload


@pytest.fixture
def ingest(auth: Any) -> dict[str, str]:
    return auth("ingest")


def post(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> Any:
    return client.post("/api/v1/invitations", json=invitation_payload(**overrides), headers=headers)


def test_a_closed_ticket_gets_an_invitation_and_an_email(
    client: FlaskClient, ingest: dict[str, str], db_session: Any, outbox: Path
) -> None:
    response = post(client, ingest, customer={"locale": "es-MX"})
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "scheduled"
    assert body["survey_url"] == f"http://feedback.test/s/{body['token']}"
    assert len(body["token"]) >= 32

    # The eager worker sent it right after commit.
    invitation = db_session.get(Invitation, body["id"])
    db_session.refresh(invitation)
    assert invitation.status == "sent"
    assert invitation.locale == "es"
    mails = list(outbox.glob("*.eml"))
    assert len(mails) == 1
    mail = message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    assert mail["Subject"].startswith("¿Cómo lo hicimos?")
    assert mail["List-Unsubscribe"] == f"<http://feedback.test/u/{body['token']}>"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    for value in range(1, 6):
        link = f"http://feedback.test/s/{body['token']}?csat={value}"
        assert f'href="{link}"' in html
        assert link in text
    assert "<script" not in html and "<svg" not in html


def test_upserts_agent_team_customer_and_ticket_with_its_kpi_fields(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    post(client, ingest, ticket={"id": "Z-9", "escalated": True}, agent={"id": "A-77"})
    ticket = db_session.scalar(select(Ticket).where(Ticket.external_id == "Z-9"))
    assert ticket.escalated is True
    assert ticket.contacts == 1
    assert ticket.closed_at == dt.datetime(2026, 11, 20, 11, 5, tzinfo=dt.UTC)
    assert ticket.first_response_at == dt.datetime(2026, 11, 20, 9, 20, tzinfo=dt.UTC)
    agent = db_session.scalar(select(Agent).where(Agent.external_id == "A-77"))
    assert agent.team.name == "Tier 1"
    assert ticket.agent_id == agent.id and ticket.team_id == agent.team_id
    # A later call with a changed name updates it, and keeps what it did not send.
    post(client, ingest, ticket={"id": "Z-10"}, agent={"id": "A-77", "name": "Dana R."})
    db_session.expire_all()
    agent = db_session.scalar(select(Agent).where(Agent.external_id == "A-77"))
    assert agent.name == "Dana R." and agent.team.name == "Tier 1"
    assert db_session.scalar(select(func.count()).select_from(Team).where(Team.name == "Tier 1"))


def test_same_ticket_twice_gives_the_same_invitation(
    client: FlaskClient, ingest: dict[str, str], db_session: Any, outbox: Path
) -> None:
    body = invitation_payload()
    first = client.post("/api/v1/invitations", json=body, headers=ingest)
    again = client.post("/api/v1/invitations", json=body, headers=ingest)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]
    # The token is the customer's: only the call that created the invitation sees it.
    assert first.json["token"] and first.json["token"] in first.json["survey_url"]
    assert again.json == {"id": first.json["id"], "status": "sent", "reason": None}
    assert first.json["token"] not in again.get_data(as_text=True)
    assert len(list(outbox.glob("*.eml"))) == 1


def test_idempotency_key_is_honoured(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    headers = {**ingest, "Idempotency-Key": "req-123"}
    body = invitation_payload()
    first = client.post("/api/v1/invitations", json=body, headers=headers)
    # A retry of the same body, keys in another order, gets the first answer.
    reordered = {k: body[k] for k in reversed(list(body))}
    again = client.post("/api/v1/invitations", json=reordered, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    # A retry of the call that created it gets that call's answer, token included;
    # the same ticket posted under another key does not.
    shown = {"id", "status", "reason", "token", "survey_url", "embed"}
    assert set(again.json) == shown
    assert {k: again.json[k] for k in shown - {"status"}} == {
        k: first.json[k] for k in shown - {"status"}
    }
    ticket = db_session.get_one(Invitation, first.json["id"]).ticket
    customer = db_session.get_one(Invitation, first.json["id"]).customer
    other = post(
        client,
        {**ingest, "Idempotency-Key": "req-456"},
        ticket={"id": ticket.external_id},
        customer={"id": customer.external_id},
    )
    assert other.status_code == 200 and other.json["id"] == first.json["id"]
    assert "token" not in other.json and first.json["token"] not in other.get_data(as_text=True)


def test_idempotency_key_reused_with_another_body_is_422_naming_the_key(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    headers = {**ingest, "Idempotency-Key": "req-456"}
    first = post(client, headers)
    other = post(client, headers)  # a new ticket id: another request under the same key
    assert first.status_code == 201
    assert other.status_code == 422
    error = other.json["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "req-456" in error["message"]
    assert "Idempotency-Key" in error["fields"]
    assert db_session.scalar(select(func.count(Invitation.id))) == 1


@pytest.mark.parametrize(
    ("times", "source"),
    [
        ({"resolved_at": "2026-11-20T11:00:00Z"}, "resolved_at"),
        ({}, "dispatch"),
        ({"resolved_at": "2026-11-20T11:00:00Z", "closed_at": "2026-11-20T11:05:00Z"}, "closed_at"),
    ],
)
def test_tickets_count_as_closed_by_the_best_time_the_helpdesk_gave(
    client: FlaskClient, ingest: dict[str, str], db_session: Any, times: dict[str, str], source: str
) -> None:
    body = invitation_payload()
    for name in ("resolved_at", "closed_at"):
        body["ticket"].pop(name)
    body["ticket"].update(times)
    before = dt.datetime.now(dt.UTC)
    assert client.post("/api/v1/invitations", json=body, headers=ingest).status_code == 201
    ticket = db_session.scalar(select(Ticket).where(Ticket.external_id == body["ticket"]["id"]))
    assert ticket.closed_at_source == source
    if source == "dispatch":
        assert ticket.closed_at >= before - dt.timedelta(seconds=1)
    else:
        assert ticket.closed_at == dt.datetime.fromisoformat(times[source])
    # The helpdesk sending its close time later replaces a stand-in, never the reverse.
    body["ticket"]["closed_at"] = "2026-11-21T08:00:00Z"
    client.post("/api/v1/invitations", json=body, headers=ingest)
    db_session.expire_all()
    ticket = db_session.get(Ticket, ticket.id)
    assert (ticket.closed_at_source, ticket.closed_at.day) == ("closed_at", 21)


def test_unsubscribed_customer_is_suppressed(
    client: FlaskClient, ingest: dict[str, str], db_session: Any, outbox: Path
) -> None:
    db_session.add(
        Customer(
            external_id="C-unsub", email="u@example.com", unsubscribed_at=dt.datetime.now(dt.UTC)
        )
    )
    db_session.commit()
    response = post(client, ingest, customer={"id": "C-unsub"})
    assert response.status_code == 201
    assert (response.json["status"], response.json["reason"]) == ("suppressed", "unsubscribed")
    assert list(outbox.glob("*.eml")) == []


def test_customer_surveyed_recently_is_suppressed(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    first = post(client, ingest, customer={"id": "C-often"})
    second = post(client, ingest, customer={"id": "C-often"})
    assert first.json["status"] == "scheduled"
    assert (second.json["status"], second.json["reason"]) == ("suppressed", "recently_surveyed")
    # Nothing to show the customer: a helpdesk showing the link would show a closed page.
    assert (second.json["survey_url"], second.json["embed"]) == (None, None)
    assert first.json["survey_url"].endswith(f"/s/{first.json['token']}")
    assert set(first.json["embed"]) == {"iframe", "script"}


def test_throttle_window_comes_from_the_survey(
    client: FlaskClient, ingest: dict[str, str], auth: Any, db_session: Any
) -> None:
    client.patch("/api/v1/surveys/post-ticket", json={"throttle_days": 0}, headers=auth("admin"))
    first = post(client, ingest, customer={"id": "C-often2"})
    second = post(client, ingest, customer={"id": "C-often2"})
    assert (first.json["status"], second.json["status"]) == ("scheduled", "scheduled")


def test_sampling_rate_zero_samples_everyone_out(
    client: FlaskClient, ingest: dict[str, str], auth: Any, db_session: Any
) -> None:
    client.patch("/api/v1/surveys/post-ticket", json={"sampling_rate": 0.0}, headers=auth("admin"))
    response = post(client, ingest)
    assert (response.json["status"], response.json["reason"]) == ("suppressed", "sampled_out")


def test_sampling_is_about_the_stated_rate_and_stable_per_ticket(
    client: FlaskClient, ingest: dict[str, str], auth: Any, db_session: Any
) -> None:
    client.patch(
        "/api/v1/surveys/post-ticket",
        json={"sampling_rate": 0.3, "throttle_days": 0},
        headers=auth("admin"),
    )
    statuses = [post(client, ingest).json["status"] for _ in range(200)]
    share = statuses.count("scheduled") / len(statuses)
    assert 0.18 < share < 0.42


def test_ticket_already_surveyed_by_another_survey(
    client: FlaskClient, ingest: dict[str, str], auth: Any, db_session: Any
) -> None:
    client.patch("/api/v1/surveys/nps", json={"throttle_days": 0}, headers=auth("admin"))
    client.patch("/api/v1/surveys/post-ticket", json={"throttle_days": 0}, headers=auth("admin"))
    post(client, ingest, ticket={"id": "T-both"}, customer={"id": "C-both"})
    nps = post(client, ingest, ticket={"id": "T-both"}, customer={"id": "C-both"}, survey="nps")
    assert (nps.json["status"], nps.json["reason"]) == ("suppressed", "already_surveyed")


@pytest.mark.parametrize("email", [None, "", "not-an-address", "a@b", "two@@example.com"])
def test_unusable_email_is_suppressed_not_an_error(
    client: FlaskClient, ingest: dict[str, str], db_session: Any, email: str | None
) -> None:
    response = post(client, ingest, customer={"email": email})
    assert response.status_code == 201
    assert (response.json["status"], response.json["reason"]) == ("suppressed", "no_email")


@pytest.mark.parametrize("delivery", ["link", "widget"])
def test_link_delivery_sends_nothing_and_hands_back_url_and_embed(
    client: FlaskClient, ingest: dict[str, str], db_session: Any, outbox: Path, delivery: str
) -> None:
    """A link or a widget: handed back now; the delivery is kept for the response rate."""
    response = post(client, ingest, delivery=delivery, customer={"email": None})
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "sent"
    assert db_session.get(Invitation, body["id"]).delivery == delivery
    assert f"/s/{body['token']}?embed=1" in body["embed"]["iframe"]
    assert f'data-feedback-token="{body["token"]}"' in body["embed"]["script"]
    assert "/widget.js" in body["embed"]["script"]
    assert list(outbox.glob("*.eml")) == []


def test_send_after_schedules_for_later(
    client: FlaskClient, ingest: dict[str, str], db_session: Any, outbox: Path
) -> None:
    response = post(client, ingest, send_after=3600)
    invitation = db_session.get(Invitation, response.json["id"])
    assert invitation.status == "scheduled"
    assert invitation.send_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=59)
    assert list(outbox.glob("*.eml")) == []


def test_unknown_survey_is_404(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    response = post(client, ingest, survey="does-not-exist")
    assert response.status_code == 404
    assert response.json["error"]["fields"] == {"survey": ["Unknown survey."]}
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ticket": {"closed_at": "yesterday"}}, "ticket.closed_at"),
        ({"ticket": {"closed_at": "2026-11-20T11:05:00"}}, "ticket.closed_at"),
        ({"ticket": {"escalated": "maybe"}}, "ticket.escalated"),
        ({"ticket": {"id": ""}}, "ticket.id"),
        ({"agent": {"id": None}}, "agent.id"),
        ({"delivery": "pigeon"}, "delivery"),
        ({"send_after": -5}, "send_after"),
        ({"customer": "C-1"}, "customer._schema"),
    ],
)
def test_malformed_fields_are_named_and_nothing_is_written(
    client: FlaskClient, ingest: dict[str, str], db_session: Any, change: dict[str, Any], field: str
) -> None:
    response = post(client, ingest, **change)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert db_session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_missing_objects_are_named(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    response = client.post("/api/v1/invitations", json={}, headers=ingest)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"ticket", "agent", "customer"}


def test_invitation_shows_state_and_history(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    created = post(client, ingest).json
    shown = client.get(f"/api/v1/invitations/{created['id']}", headers=ingest)
    assert shown.status_code == 200
    body = shown.json
    assert body["status"] == "sent"
    assert body["survey"] == "post-ticket"
    assert [event["kind"] for event in body["history"]] == ["created", "scheduled", "sent"]
    assert client.get("/api/v1/invitations/999999", headers=ingest).status_code == 404


def test_no_later_call_shows_the_survey_token(
    client: FlaskClient, ingest: dict[str, str], auth: Any, db_session: Any
) -> None:
    """An ingest key that reads invitations by id cannot take over the answer."""
    created = post(client, ingest, delivery="link").json
    token = created["token"]
    for headers in (ingest, auth("admin")):
        shown = client.get(f"/api/v1/invitations/{created['id']}", headers=headers)
        assert shown.status_code == 200
        assert shown.json["status"] == "sent" and shown.json["history"]
        assert not {"token", "survey_url", "embed"} & set(shown.json)
        assert token not in shown.get_data(as_text=True)
    spec = client.get("/api/openapi.json").json["components"]["schemas"]
    assert "token" not in spec["InvitationDetailOut"]["properties"]
    assert "token" in spec["InvitationOut"]["properties"]


def test_numeric_helpdesk_ids_are_kept_as_strings(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    response = post(client, ingest, ticket={"id": 4711}, customer={"id": 99})
    assert response.status_code == 201
    assert db_session.scalar(select(Ticket).where(Ticket.external_id == "4711")) is not None


def test_a_later_partial_payload_keeps_what_it_did_not_send(
    client: FlaskClient, ingest: dict[str, str], db_session: Any
) -> None:
    post(client, ingest, ticket={"id": "P-1", "tags": ["vip"], "escalated": True})
    sparse = {
        "ticket": {"id": "P-1", "reopened": True},
        "agent": {"id": "A-sparse"},
        "customer": {"id": "C-sparse"},
        "survey": "nps",
    }
    assert client.post("/api/v1/invitations", json=sparse, headers=ingest).status_code == 201
    ticket = db_session.scalar(select(Ticket).where(Ticket.external_id == "P-1"))
    db_session.refresh(ticket)
    assert ticket.tags == ["vip"]
    assert (ticket.escalated, ticket.reopened, ticket.channel) == (True, True, "email")
    assert ticket.agent.external_id == "A-sparse"
