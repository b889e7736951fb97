"""Migration 0022 (a team's own questions) on a database that already holds an
old-style survey and an answer: both keep working afterwards."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import Flask
from sqlalchemy import MetaData, create_engine, insert, select

from feedback_service.auth.service import create_api_key
from feedback_service.cli import upgrade_database
from feedback_service.db import get_session
from tests.apps import another_app, give_back
from tests.integration.test_migrations import fresh_database  # noqa: F401

BEFORE = "0021_rollups_declared"


def _old_answer(url: str) -> str:
    """At revision 0021: a CSAT answer with a comment to the seeded post-ticket survey,
    inserted as that schema stores it. Returns the invitation's token."""
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    token = secrets.token_urlsafe(24)
    stamps = {"created_at": now, "updated_at": now}
    try:
        with engine.begin() as conn:
            survey_id = conn.scalar(
                select(tables.tables["surveys"].c.id).where(
                    tables.tables["surveys"].c.key == "post-ticket"
                )
            )
            customer_id = conn.scalar(
                insert(tables.tables["customers"])
                .values(external_id="C-old", email="old@example.com", **stamps)
                .returning(tables.tables["customers"].c.id)
            )
            ticket_id = conn.scalar(
                insert(tables.tables["tickets"])
                .values(source="api", external_id="T-old", tags=[], **stamps)
                .returning(tables.tables["tickets"].c.id)
            )
            owner = {"survey_id": survey_id, "ticket_id": ticket_id, "customer_id": customer_id}
            invitation_id = conn.scalar(
                insert(tables.tables["invitations"])
                .values(
                    token=token,
                    locale="en",
                    delivery="link",
                    status="sent",
                    attempts=0,
                    sent_at=now,
                    expires_at=now + dt.timedelta(days=14),
                    answered_at=now,
                    **owner,
                    **stamps,
                )
                .returning(tables.tables["invitations"].c.id)
            )
            conn.execute(
                insert(tables.tables["responses"]).values(
                    invitation_id=invitation_id,
                    locale="en",
                    csat=2,
                    comment="Waited a week for a reply.",
                    status="confirmed",
                    source="api",
                    submitted_at=now,
                    updated_at=now,
                    confirmed_at=now,
                    version=1,
                    processed_version=1,
                    **owner,
                )
            )
    finally:
        engine.dispose()
    return token


def test_an_old_survey_and_its_answer_keep_working_after_the_upgrade(
    app: Flask,
    broker_url: str,
    fresh_database: str,  # noqa: F811
) -> None:
    upgrade_database(fresh_database, BEFORE)
    token = _old_answer(fresh_database)
    upgrade_database(fresh_database)

    migrated = another_app(fresh_database, broker_url)
    try:
        with migrated.app_context():
            session = get_session()
            _key, plain = create_api_key(session, "migration", ["admin", "reports"])
            session.commit()
        headers = {"Authorization": f"Bearer {plain}"}
        client = migrated.test_client()

        survey: dict[str, Any] = client.get("/api/v1/surveys/post-ticket", headers=headers).json
        assert survey["version"] == 1 and survey["archived"] is False
        assert [q["key"] for q in survey["questions"]] == ["csat", "ces", "fcr"]
        first = client.get("/api/v1/surveys/post-ticket/versions/1", headers=headers).json
        assert first["questions"] == survey["questions"]

        listed = client.get("/api/v1/surveys/post-ticket/responses", headers=headers).json
        (old,) = listed["items"]
        assert old["answers"] == {"csat": 2}
        assert old["comment"] == "Waited a week for a reply."

        # The old survey gains a follow-up; the old answer is completed through it.
        reason = {
            "key": "reason",
            "type": "choice",
            "wording": {"en": "Why?"},
            "options": [{"value": "agent"}, {"value": "product"}],
            "show_if": {"question": "csat", "max": 3},
        }
        patched = client.patch(
            "/api/v1/surveys/post-ticket",
            json={"questions": [{"metric": "csat"}, reason]},
            headers=headers,
        )
        assert patched.status_code == 200, patched.json
        assert patched.json["version"] == 2
        amended = client.post(
            "/api/v1/responses", json={"token": token, "answers": {"reason": "agent"}}
        )
        assert amended.status_code == 200, amended.json
        assert amended.json["answers"] == {"csat": 2, "reason": "agent"}
        assert amended.json["comment"] == "Waited a week for a reply."
    finally:
        give_back(app, migrated)
