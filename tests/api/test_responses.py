"""Collect: POST /api/v1/responses and the survey a widget renders, through the app."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from feedback_service.surveys.models import Invitation, Response
from tests.factories import invitation_payload
from tests.helpers import row_count


def new_invitation(client: FlaskClient, auth: Any, **overrides: Any) -> dict[str, Any]:
    """An invitation made through the dispatch API, handed out as a link."""
    payload = invitation_payload(delivery="link", **overrides)
    answer = client.post("/api/v1/invitations", json=payload, headers=auth("ingest"))
    assert answer.status_code == 201, answer.json
    body: dict[str, Any] = answer.json
    return body


# The helpers end db_session's read with a commit: a savepoint left open on the
# shared test connection would interleave with the ones the app's requests take.


def response_count(session: Session) -> int:
    return row_count(session, Response)


def stored(session: Session, invitation_id: int) -> Response | None:
    session.expire_all()
    response = session.scalar(select(Response).where(Response.invitation_id == invitation_id))
    session.commit()
    return response


@pytest.fixture
def invitation(client: FlaskClient, auth: Any, db_session: Session) -> dict[str, Any]:
    return new_invitation(
        client, auth, agent={"id": "A-resp", "team": "Billing"}, ticket={"channel": "chat"}
    )


def post(client: FlaskClient, **body: Any) -> Any:
    return client.post("/api/v1/responses", json=body)


def test_a_widget_answer_is_stored_with_what_it_belongs_to(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    answer = post(
        client,
        token=invitation["token"],
        answers={"csat": 5, "ces": 6, "fcr": True},
        comment="  Quick and kind.  ",
    )
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body["status"] == "confirmed"
    assert body["answers"] == {"csat": 5, "ces": 6, "fcr": True}
    assert body["comment"] == "Quick and kind."
    assert body["amend_until"]

    response = stored(db_session, invitation["id"])
    assert response is not None
    inv = db_session.get_one(Invitation, invitation["id"])
    assert (response.csat, response.ces, response.fcr) == (5, 6, 1)
    assert response.ticket_id == inv.ticket_id
    assert response.agent_id == inv.agent_id and response.agent is not None
    assert response.agent.external_id == "A-resp"
    assert response.team is not None and response.team.name == "Billing"
    assert response.channel == "chat"
    assert response.locale == "en"
    assert response.source == "api"
    assert inv.answered_at is not None


def test_partial_answers_are_kept_and_completed_later(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    first = post(client, token=invitation["token"], answers={"csat": 2})
    assert first.status_code == 201
    second = post(client, token=invitation["token"], answers={"fcr": False}, comment="Slow.")
    assert second.status_code == 200
    assert second.json["id"] == first.json["id"]
    assert second.json["answers"] == {"csat": 2, "fcr": False}

    response = stored(db_session, invitation["id"])
    assert response is not None
    assert (response.csat, response.ces, response.fcr, response.comment) == (2, None, 0, "Slow.")
    assert response.version == 2
    assert response_count(db_session) == 1


def test_the_same_answer_twice_is_one_response_and_one_version(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    body = {"token": invitation["token"], "answers": {"csat": 4}}
    assert post(client, **body).status_code == 201
    again = post(client, **body)
    assert again.status_code == 200
    response = stored(db_session, invitation["id"])
    assert response is not None and response.version == 1
    assert response_count(db_session) == 1


def test_changing_a_rating_amends_the_response(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    post(client, token=invitation["token"], answers={"csat": 1})
    changed = post(client, token=invitation["token"], answers={"csat": 5})
    assert changed.status_code == 200 and changed.json["answers"]["csat"] == 5
    assert response_count(db_session) == 1


def refusal(answer: TestResponse, field: str) -> str:
    """``answer`` is a 422 in the service's error shape naming ``field``: its message."""
    assert answer.status_code == 422, answer.json
    error = answer.json["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    message: str = error["fields"][field][0]
    return message


def _no_write(session: Session, invitation_id: int) -> None:
    assert response_count(session) == 0
    session.expire_all()
    assert session.get_one(Invitation, invitation_id).answered_at is None
    session.commit()


@pytest.mark.parametrize(
    ("answers", "field", "words"),
    [
        ({"csat": 6}, "answers.csat", "an integer from 1 to 5"),
        ({"csat": 0}, "answers.csat", "an integer from 1 to 5"),
        ({"ces": 8}, "answers.ces", "an integer from 1 to 7"),
        ({"ces": "5"}, "answers.ces", "an integer from 1 to 7"),
        ({"csat": 4.5}, "answers.csat", "an integer from 1 to 5"),
        ({"csat": True}, "answers.csat", "an integer from 1 to 5"),
        ({"fcr": 1}, "answers.fcr", "true or false"),
        ({"fcr": "yes"}, "answers.fcr", "true or false"),
        ({"csat": None}, "answers.csat", "an integer from 1 to 5"),
        # post-ticket asks CSAT, CES and FCR: an NPS answer is refused, not dropped.
        ({"nps": 9}, "answers.nps", "does not ask 'nps'"),
        ({"wow": 1}, "answers.wow", "does not ask 'wow'"),
        # A good answer next to a bad one is not half-saved.
        ({"csat": 5, "ces": 99}, "answers.ces", "an integer from 1 to 7"),
    ],
)
def test_an_answer_off_its_scale_is_422_naming_metric_and_scale(
    client: FlaskClient,
    invitation: dict[str, Any],
    db_session: Session,
    answers: dict[str, Any],
    field: str,
    words: str,
) -> None:
    answer = post(client, token=invitation["token"], answers=answers)
    assert words in refusal(answer, field)
    _no_write(db_session, invitation["id"])


def test_nps_survey_takes_nps_on_its_0_to_10_scale(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    invitation = new_invitation(client, auth, survey="nps")
    bad = post(client, token=invitation["token"], answers={"nps": 11})
    assert "nps must be an integer from 0 to 10" in refusal(bad, "answers.nps")
    assert post(client, token=invitation["token"], answers={"nps": 0}).status_code == 201
    response = stored(db_session, invitation["id"])
    assert response is not None and response.nps == 0


def test_a_comment_over_5000_characters_is_422(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    answer = post(client, token=invitation["token"], answers={"csat": 3}, comment="x" * 5001)
    refusal(answer, "comment")
    _no_write(db_session, invitation["id"])
    exactly = post(client, token=invitation["token"], answers={"csat": 3}, comment="x" * 5000)
    assert exactly.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": {"csat": 3}}, "token"),
        ({"token": "TOKEN", "answers": {"csat": 3}, "extra": 1}, "extra"),
        ({"token": "TOKEN", "answers": [3]}, "answers"),
        ({"token": "TOKEN"}, "answers"),
        ({"token": "TOKEN", "answers": {}, "comment": "   "}, "answers"),
        ({"token": "TOKEN", "answers": {"csat": 3}, "comment": 7}, "comment"),
    ],
)
def test_malformed_bodies_are_422_naming_the_field(
    client: FlaskClient,
    invitation: dict[str, Any],
    db_session: Session,
    body: dict[str, Any],
    field: str,
) -> None:
    if body.get("token") == "TOKEN":
        body["token"] = invitation["token"]
    refusal(client.post("/api/v1/responses", json=body), field)
    _no_write(db_session, invitation["id"])


def test_not_json_is_a_clear_error(client: FlaskClient, db_session: Session) -> None:
    answer = client.post("/api/v1/responses", data="token=x", content_type="text/plain")
    assert answer.status_code in (415, 422)
    assert answer.json["error"]["status"] == answer.status_code


def test_unknown_token_is_404(client: FlaskClient, db_session: Session) -> None:
    for token in ("A" * 32, "not a token!", "x"):
        answer = post(client, token=token, answers={"csat": 3})
        assert answer.status_code == 404
        assert answer.json["error"]["code"] == "invitation_not_found"
    assert response_count(db_session) == 0


def test_expired_invitation_is_410(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    inv = db_session.get_one(Invitation, invitation["id"])
    inv.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db_session.commit()
    answer = post(client, token=invitation["token"], answers={"csat": 3})
    assert answer.status_code == 410
    assert answer.json["error"]["code"] == "survey_closed"
    _no_write(db_session, invitation["id"])

    inv.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    inv.status = "expired"
    db_session.commit()
    assert post(client, token=invitation["token"], answers={"csat": 3}).status_code == 410
    _no_write(db_session, invitation["id"])


@pytest.mark.parametrize("status", ["suppressed", "cancelled"])
def test_an_invitation_that_was_never_sent_takes_no_answer(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session, status: str
) -> None:
    db_session.get_one(Invitation, invitation["id"]).status = status
    db_session.commit()
    assert post(client, token=invitation["token"], answers={"csat": 3}).status_code == 410
    _no_write(db_session, invitation["id"])


def test_amending_after_the_window_is_409(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    assert post(client, token=invitation["token"], answers={"csat": 2}).status_code == 201
    response = stored(db_session, invitation["id"])
    assert response is not None
    response.submitted_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24, minutes=1)
    db_session.commit()
    late = post(client, token=invitation["token"], answers={"csat": 5}, comment="Changed my mind")
    assert late.status_code == 409
    assert late.json["error"]["code"] == "amend_window_closed"
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert (response.csat, response.comment, response.version) == (2, None, 1)


def test_an_answered_invitation_past_its_expiry_can_still_be_amended_in_the_window(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    assert post(client, token=invitation["token"], answers={"csat": 2}).status_code == 201
    inv = db_session.get_one(Invitation, invitation["id"])
    inv.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db_session.commit()
    assert post(client, token=invitation["token"], answers={"csat": 3}).status_code == 200


def test_saving_notifies_analysis_after_commit_and_the_task_records_the_version(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    from feedback_service.surveys.signals import response_saved

    seen: list[int] = []

    def record(_sender: Any, response_id: int, **_kw: Any) -> None:
        seen.append(response_id)

    with response_saved.connected_to(record):
        first = post(client, token=invitation["token"], answers={"csat": 4})
        post(client, token=invitation["token"], answers={"csat": 4})  # no change: no signal
        post(client, token=invitation["token"], answers={"ces": 7})
        bad = post(client, token=invitation["token"], answers={"ces": 70})
    assert bad.status_code == 422
    assert seen == [first.json["id"], first.json["id"]]
    # The eager worker ran process_response for each: the latest version is processed.
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert response.version == 2 and response.processed_version == 2


def test_process_response_is_idempotent(
    app: Flask, client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    from feedback_service.scores.tasks import process_response

    answer = post(client, token=invitation["token"], answers={"csat": 4})
    response = stored(db_session, invitation["id"])
    assert response is not None
    before = response.updated_at
    assert process_response(answer.json["id"]) == "up-to-date"
    # As if the worker had died before recording it.
    db_session.execute(
        update(Response)
        .where(Response.id == response.id)
        .values(processed_version=0, updated_at=Response.updated_at)
    )
    db_session.commit()
    assert process_response(answer.json["id"]) == "processed"
    assert process_response(answer.json["id"]) == "up-to-date"
    assert process_response(10**9) == "missing"
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert response.processed_version == 1 and response.updated_at == before


def test_the_widget_gets_the_survey_in_the_invitations_locale(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    invitation = new_invitation(client, auth, customer={"locale": "de-AT"})
    answer = client.get(f"/api/v1/surveys/by-token/{invitation['token']}")
    assert answer.status_code == 200
    body = answer.json
    assert body["locale"] == "de"
    assert [q["metric"] for q in body["questions"]] == ["csat", "ces", "fcr"]
    csat = body["questions"][0]
    assert csat["wording"].startswith("Wie zufrieden")
    assert (csat["low"], csat["high"]) == (1, 5)
    assert [o["value"] for o in csat["options"]] == [1, 2, 3, 4, 5]
    assert body["questions"][2]["options"] == [
        {"value": True, "label": "Ja"},
        {"value": False, "label": "Nein"},
    ]
    assert body["submit_label"] == "Feedback senden"
    assert body["comment_max_length"] == 5000
    assert body["answers"] == {}
    assert client.get("/api/v1/surveys/by-token/" + "B" * 32).status_code == 404


def test_public_endpoints_need_no_key_and_answer_cors(
    app: Flask, client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    origin = {"Origin": "https://desk.example.com"}
    preflight = client.options(
        "/api/v1/responses",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    answer = client.post(
        "/api/v1/responses",
        json={"token": invitation["token"], "answers": {"csat": 5}},
        headers=origin,
    )
    assert answer.status_code == 201
    assert answer.headers["Access-Control-Allow-Origin"] == "*"

    allowed = app.config["CORS_ORIGINS"]
    app.config["CORS_ORIGINS"] = ["https://desk.example.com"]
    try:
        mine = client.get(f"/api/v1/surveys/by-token/{invitation['token']}", headers=origin)
        assert mine.headers["Access-Control-Allow-Origin"] == "https://desk.example.com"
        other = client.get(
            f"/api/v1/surveys/by-token/{invitation['token']}",
            headers={"Origin": "https://evil.example"},
        )
        assert "Access-Control-Allow-Origin" not in other.headers
    finally:
        app.config["CORS_ORIGINS"] = allowed
    # The key-protected API does not open itself to browsers.
    assert (
        "Access-Control-Allow-Origin" not in client.get("/api/v1/surveys", headers=origin).headers
    )
