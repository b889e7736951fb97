"""The two hot endpoints build their JSON bodies directly (no marshmallow dump on
the way out); these tests hold them to the output schemas the OpenAPI document
publishes, and a first answer to the body its repeat shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.surveys.models import Invitation, Response, Survey
from feedback_service.surveys.schemas import InvitationOut, InvitationStateOut, ResponseOut
from tests.factories import invitation_payload


def _invite(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> Any:
    return client.post("/api/v1/invitations", json=invitation_payload(**overrides), headers=headers)


def invitation_of(session: Session, answer: Any) -> Invitation:
    return session.get_one(Invitation, answer.json["id"])


def test_invitation_bodies_are_what_the_schema_dumps(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session
) -> None:
    headers = auth("ingest")
    created = _invite(client, headers, ticket={"id": "SHAPE-1"}, send_after=3600)
    suppressed = _invite(client, headers, ticket={"id": "SHAPE-2"}, customer={"email": "nope"})
    again = _invite(client, headers, ticket={"id": "SHAPE-1"}, send_after=3600)
    assert (created.status_code, suppressed.status_code, again.status_code) == (201, 201, 200)
    assert suppressed.json["reason"] == "no_email"
    with app.test_request_context():
        for answer in (created, suppressed):
            invitation = db_session.get_one(Invitation, answer.json["id"])
            assert answer.json == InvitationOut().dump(invitation)
        # A repeat shows the state only (the token is shown to the creating call).
        assert again.json == InvitationStateOut().dump(invitation_of(db_session, again))
    db_session.commit()


def test_the_first_answer_and_its_repeat_show_the_same_response(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    invitation = _invite(client, auth("ingest"), delivery="link").json
    body = {
        "token": invitation["token"],
        "answers": {"fcr": False, "csat": 4},
        "comment": "  Fine.  ",
    }
    first = client.post("/api/v1/responses", json=body)
    repeat = client.post("/api/v1/responses", json=body)  # changes nothing: 200
    assert (first.status_code, repeat.status_code) == (201, 200)
    assert first.json == repeat.json
    assert first.json["answers"] == {"csat": 4, "fcr": False}
    assert first.json["comment"] == "Fine."

    response = db_session.scalar(select(Response).where(Response.invitation_id == invitation["id"]))
    assert response is not None
    survey = db_session.get_one(Survey, response.survey_id)
    dumped = ResponseOut().dump(
        {
            "id": response.id,
            "status": response.status,
            "answers": {"csat": response.csat, "fcr": bool(response.fcr)},
            "comment": response.comment,
            "submitted_at": response.submitted_at,
            "updated_at": response.updated_at,
            "amend_until": response.submitted_at + dt.timedelta(hours=survey.amend_window_hours),
        }
    )
    assert first.json == dumped
    db_session.commit()


def test_an_answer_to_a_survey_made_a_moment_ago_is_taken(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    """A survey created after the service has already taken answers takes its own
    at once (no per-process view of the surveys holds it back)."""
    warm = _invite(client, auth("ingest"), delivery="link").json
    assert (
        client.post(
            "/api/v1/responses", json={"token": warm["token"], "answers": {"csat": 3}}
        ).status_code
        == 201
    )
    made = client.post(
        "/api/v1/surveys",
        json={"key": "just-made", "name": "Just made", "questions": [{"metric": "nps"}]},
        headers=auth("admin"),
    )
    assert made.status_code == 201, made.json
    invitation = _invite(client, auth("ingest"), delivery="link", survey="just-made").json
    answer = client.post(
        "/api/v1/responses", json={"token": invitation["token"], "answers": {"nps": 10}}
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["answers"] == {"nps": 10}
    db_session.commit()
