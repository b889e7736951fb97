"""Comment analysis through the API: the worker's analysis of each comment, managers'
corrections, label import, the taxonomy, filters, pagination and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from feedback_service.analysis.models import CommentAnalysis, CommentFinding, CommentLabel
from feedback_service.surveys.models import Response
from tests.factories import invitation_payload

MIXED = "The agent hung up on me twice. The app still crashes every time I open it."


def submit(
    client: FlaskClient,
    auth: Any,
    comment: str,
    answers: dict[str, Any] | None = None,
    **invitation: Any,
) -> int:
    """A comment as a customer leaves it: invitation through the dispatch API, answer
    through the widget endpoint (the eager worker processes it on commit)."""
    payload = invitation_payload(delivery="link", **invitation)
    made = client.post("/api/v1/invitations", json=payload, headers=auth("ingest"))
    assert made.status_code == 201, made.json
    answer = client.post(
        "/api/v1/responses",
        json={"token": made.json["token"], "answers": answers or {"csat": 3}, "comment": comment},
    )
    assert answer.status_code == 201, answer.json
    response_id: int = answer.json["id"]
    return response_id


def amend(client: FlaskClient, session: Session, response_id: int, comment: str, csat: int) -> None:
    token = session.scalar(select(Response).where(Response.id == response_id)).invitation.token  # type: ignore[union-attr]
    session.commit()
    answer = client.post(
        "/api/v1/responses", json={"token": token, "answers": {"csat": csat}, "comment": comment}
    )
    assert answer.status_code in (200, 201), answer.json


def finding_rows(session: Session, response_id: int) -> list[tuple[str, str | None, str]]:
    rows = [
        (r.target, r.category, r.sentence)
        for r in session.scalars(
            select(CommentFinding)
            .where(CommentFinding.response_id == response_id)
            .order_by(CommentFinding.position)
        )
    ]
    session.commit()
    return rows


def label_count(session: Session) -> int:
    n = int(session.scalar(select(func.count()).select_from(CommentLabel)) or 0)
    session.commit()
    return n


def test_a_comment_is_analysed_with_its_sentences_rating_and_model_version(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    rid = submit(client, auth, MIXED, {"csat": 1})
    reports = auth("reports")
    body = client.get(f"/api/v1/comments/{rid}", headers=reports).json
    analysis = body["analysis"]
    assert analysis is not None, "the worker stored no analysis"
    assert analysis["supported"] is True and analysis["language"] == "en"
    assert analysis["sentiment"] == "negative" and analysis["sentiment_score"] < -0.2
    by_target = {f["target"]: f for f in analysis["findings"]}
    assert by_target["agent"]["sentence"] == "The agent hung up on me twice."
    assert by_target["product"]["category"] == "bug"
    assert analysis["key_phrases"]
    models = client.get("/api/v1/analysis/models", headers=reports).json
    assert analysis["model_version"] == models["active_version"]
    assert [m["version"] for m in models["items"] if m["active"]] == [models["active_version"]]
    # The same findings as rows, for filtering and for the patterns.
    assert finding_rows(db_session, rid) == [
        (f["target"], f["category"], f["sentence"]) for f in analysis["findings"]
    ]
    assert body["answers"]["csat"] == 1 and body["comment"] == MIXED


def test_an_amended_comment_is_analysed_again_and_a_redelivery_changes_nothing(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session
) -> None:
    from feedback_service.analysis.tasks import process_response

    rid = submit(client, auth, MIXED, {"csat": 1})
    amend(client, db_session, rid, "Thank you, Dana was wonderful and fixed it fast.", 5)
    analysis = client.get(f"/api/v1/comments/{rid}", headers=auth("reports")).json["analysis"]
    assert analysis["response_version"] == 2
    assert analysis["sentiment"] == "positive"
    assert "product" not in {f["target"] for f in analysis["findings"]}
    assert ("product", "bug") not in {(t, c) for t, c, _ in finding_rows(db_session, rid)}

    db_session.execute(
        update(Response)
        .where(Response.id == rid)
        .values(processed_version=0, updated_at=Response.updated_at)
    )
    db_session.commit()
    stamp = db_session.scalar(
        select(CommentAnalysis.updated_at).where(CommentAnalysis.response_id == rid)
    )
    db_session.commit()
    assert process_response(rid) == "processed"
    again = db_session.scalar(
        select(CommentAnalysis.updated_at).where(CommentAnalysis.response_id == rid)
    )
    db_session.commit()
    assert again == stamp, "the same version with the same model was analysed twice"


def test_the_rating_of_the_answer_moves_the_sentiment(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    text = "It was fine I guess, the call took a while."
    low = submit(client, auth, text, {"csat": 1})
    high = submit(client, auth, text, {"csat": 5})
    reports = auth("reports")
    low_a = client.get(f"/api/v1/comments/{low}", headers=reports).json["analysis"]
    high_a = client.get(f"/api/v1/comments/{high}", headers=reports).json["analysis"]
    assert low_a["sentiment_score"] < high_a["sentiment_score"] - 0.3


def test_a_comment_in_an_unsupported_language_is_never_neutral(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    rid = submit(
        client,
        auth,
        "Der Mitarbeiter war sehr unfreundlich und hat mein Problem nicht gelöst.",
        {"csat": 1},
    )
    reports = auth("reports")
    analysis = client.get(f"/api/v1/comments/{rid}", headers=reports).json["analysis"]
    assert analysis["supported"] is False and analysis["language"] == "de"
    assert analysis["sentiment"] is None and analysis["sentiment_score"] is None
    assert analysis["findings"] == []
    stored = db_session.scalar(select(CommentAnalysis).where(CommentAnalysis.response_id == rid))
    assert stored is not None and stored.sentiment is None and stored.supported is False
    db_session.commit()
    unsupported = client.get("/api/v1/comments?sentiment=unsupported", headers=reports).json
    neutral = client.get("/api/v1/comments?sentiment=neutral", headers=reports).json
    assert rid in [i["id"] for i in unsupported["items"]]
    assert rid not in [i["id"] for i in neutral["items"]]
