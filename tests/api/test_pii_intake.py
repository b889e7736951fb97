"""PII redaction at every intake path (JSON API and widget, first answer and
amendment, the survey page form, label imports), what downstream sees (the API
answer, the stored row, the alert payload), the switch, and that the analysis reads
a redacted comment as it reads the comment without the PII."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.alerts.models import Alert
from feedback_service.analysis.models import CommentLabel
from feedback_service.surveys.models import Response
from tests.factories import invitation_payload

PII = "Mail me at jane.roe@example.com or call +49 171 1234567, card 4111 1111 1111 1111."
REDACTED = "Mail me at [email] or call [phone], card [card]."


def invite(client: FlaskClient, auth: Any) -> dict[str, Any]:
    made = client.post(
        "/api/v1/invitations", json=invitation_payload(delivery="link"), headers=auth("ingest")
    )
    assert made.status_code == 201, made.json
    body: dict[str, Any] = made.json
    return body


def stored_comment(session: Session, response_id: int) -> str | None:
    session.expire_all()
    comment = session.get_one(Response, response_id).comment
    session.commit()
    return comment


def test_the_json_api_stores_and_answers_the_redacted_comment(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    token = invite(client, auth)["token"]
    first = client.post(
        "/api/v1/responses", json={"token": token, "answers": {"csat": 1}, "comment": PII}
    )
    assert first.status_code == 201, first.json
    assert first.json["comment"] == REDACTED
    assert stored_comment(db_session, first.json["id"]) == REDACTED
    # The alert (CSAT 1 with a comment) carries the redacted text to webhooks and email.
    alert = db_session.scalars(
        select(Alert).where(Alert.dedupe_key == f"response:{first.json['id']}")
    ).one()
    assert alert.payload["comment"] == REDACTED
    db_session.commit()
    shown = client.get(f"/api/v1/comments/{first.json['id']}", headers=auth("reports"))
    assert "jane.roe" not in shown.get_data(as_text=True)

    amended = client.post(
        "/api/v1/responses",
        json={
            "token": token,
            "answers": {"csat": 2},
            "comment": "IBAN DE89 3704 0044 0532 0130 00",
        },
    )
    assert amended.status_code == 200, amended.json
    assert amended.json["comment"] == "IBAN [iban]"
    assert stored_comment(db_session, first.json["id"]) == "IBAN [iban]"


def test_the_survey_page_form_stores_the_redacted_comment(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    made = invite(client, auth)
    page = client.get(f"/s/{made['token']}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf
    sent = client.post(
        f"/s/{made['token']}",
        data={"csrf_token": csrf.group(1), "csat": "4", "comment": "Llámenme al 612 345 678"},
    )
    assert sent.status_code == 303
    db_session.expire_all()
    row = db_session.scalars(select(Response).where(Response.invitation_id == made["id"])).one()
    assert row.comment == "Llámenme al [phone]"
    db_session.commit()


def test_imported_labels_are_redacted(client: FlaskClient, auth: Any, db_session: Session) -> None:
    body = "text,sentiment\nThe agent gave me his number 0171 1234567 and never called,negative\n"
    imported = client.post(
        "/api/v1/labels/import", data=body, content_type="text/csv", headers=auth("reports")
    )
    assert imported.status_code == 201, imported.json
    texts = set(db_session.scalars(select(CommentLabel.text)))
    db_session.commit()
    assert "The agent gave me his number [phone] and never called" in texts


def test_redaction_can_be_switched_off(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDACT_PII", False)
    token = invite(client, auth)["token"]
    answer = client.post(
        "/api/v1/responses", json={"token": token, "answers": {"csat": 5}, "comment": PII}
    )
    assert answer.status_code == 201, answer.json
    assert stored_comment(db_session, answer.json["id"]) == PII


@pytest.mark.parametrize(
    ("before", "pii", "after", "ratings"),
    [
        (
            "The agent was rude and hung up on me. Call me back on ",
            "+49 171 1234567",
            ".",
            {"csat": 1},
        ),
        (
            "Great support, thank you! Send the invoice to ",
            "jane.roe@example.com",
            " please.",
            {"csat": 5},
        ),
        (
            "They charged my card ",
            "4111 1111 1111 1111",
            " twice and nobody refunded it.",
            {"csat": 2},
        ),
        (
            "Der Mitarbeiter war sehr unfreundlich. Rufen Sie mich an: ",
            "0171 1234567",
            "",
            {"csat": 1},
        ),
        ("La app se cierra sola cada vez. Mi móvil es el ", "612 345 678", ".", {"csat": 2}),
        (
            "The refund to ",
            "DE89 3704 0044 0532 0130 00",
            " took three weeks, terrible process.",
            {"csat": 1},
        ),
    ],
)
def test_the_analysis_reads_a_redacted_comment_like_the_comment_without_the_pii(
    app: Flask,
    trained_seed_models: Path,
    before: str,
    pii: str,
    after: str,
    ratings: dict[str, int],
) -> None:
    from feedback_service.analysis.comments.analyzer import nltk_cache_dir
    from feedback_service.analysis.text import CommentAnalyzer
    from feedback_service.privacy.redact import redact

    analyzer = CommentAnalyzer.load(trained_seed_models, nltk_cache_dir())
    redacted = redact(before + pii + after)
    assert pii not in redacted and "[" in redacted
    a = analyzer.analyze(redacted, ratings)
    b = analyzer.analyze(before + after, ratings)
    assert (a.language, a.sentiment) == (b.language, b.sentiment)
    assert [(f.target, f.category) for f in a.findings] == [
        (f.target, f.category) for f in b.findings
    ]
    assert a.key_phrases == b.key_phrases
