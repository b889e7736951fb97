"""Processing an answer, then ``answer_processed`` for other features (alerts):
what a subscriber writes commits with the processing, or none of it does."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.alerts.models import Alert
from feedback_service.scores.signals import answer_processed
from feedback_service.scores.tasks import process_response
from tests.api.test_responses import new_invitation, stored


def csat_n(client: FlaskClient, auth: Any) -> int:
    body = client.get("/api/v1/reports/summary", headers=auth("reports")).json
    n: int = body["metrics"]["csat"]["n"]
    return n


def alerts_about(session: Session, response_id: int) -> int:
    count = session.scalar(
        select(func.count()).select_from(Alert).where(Alert.dedupe_key == f"response:{response_id}")
    )
    session.commit()
    return int(count or 0)


def test_a_failing_subscriber_leaves_the_answer_for_the_retry_and_nothing_half_done(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session
) -> None:
    invitation = new_invitation(client, auth)

    def broken(_sender: Any, **_kw: Any) -> None:
        raise RuntimeError("a subscriber failed")

    with answer_processed.connected_to(broken):
        answer = client.post(
            "/api/v1/responses",
            json={
                "token": invitation["token"],
                "answers": {"csat": 1},
                "comment": "Nobody answered my question for a week.",
            },
        )
    # The answer is the customer's as soon as it is committed ...
    assert answer.status_code == 201
    response_id = answer.json["id"]
    # ... but its processing failed as a whole: no counts, no alert, not recorded.
    response = stored(db_session, invitation["id"])
    assert response is not None and response.processed_version == 0
    assert csat_n(client, auth) == 0
    assert alerts_about(db_session, response_id) == 0

    # The sweep's retry, with every subscriber well: counted once, alerted once.
    assert process_response(response_id) == "processed"
    assert process_response(response_id) == "up-to-date"
    assert csat_n(client, auth) == 1
    assert alerts_about(db_session, response_id) == 1
