"""GDPR through the app: exporting everything held about one customer, erasing it
everywhere it was copied (database, outbox, API answers) with the rollups equal to a
rebuild, the audit record, idempotence, the CLI, and the retention sweep.

Celery runs eagerly: each answer is processed (rollups, comment analysis, alert,
alert email to the outbox) when its request commits.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Integer, MetaData, select
from sqlalchemy.orm import Session

from feedback_service.alerts import raise_alert
from feedback_service.analysis.models import CommentAnalysis, CommentLabel
from feedback_service.customers.models import CustomerErasure
from feedback_service.patterns.models import PatternFinding, PatternRun
from feedback_service.scores import rollups
from feedback_service.surveys.models import Response
from tests.factories import invitation_payload

CUSTOMER = {"id": "CUST-ZQ-9137", "email": "zoltan.quixby@example.org", "name": "Zoltan Quixby"}
# What must be found nowhere after the erasure.
NEEDLES = ("CUST-ZQ-9137", "zoltan.quixby@example.org", "Zoltan", "Quixby", "ZQ-TICKET-")
OTHER = {"id": "CUST-OTHER-1", "email": "other.person@example.net", "name": "Petra Other"}


@dataclass
class World:
    erased_responses: list[int]
    kept_response: int
    invitations: list[int]
    emerging_alert: int


def _invite(client: FlaskClient, auth: Any, customer: dict[str, str], ticket: str) -> Any:
    payload = invitation_payload(
        customer=customer,
        ticket={"id": ticket, "subject": f"Refund for {customer['name']}"},
        agent={"id": "A-gdpr", "name": "Dana Agent", "team": "Escalations"},
    )
    made = client.post("/api/v1/invitations", json=payload, headers=auth("ingest"))
    assert made.status_code == 201, made.json
    return made.json


def _answer(client: FlaskClient, token: str, comment: str, **answers: int) -> int:
    body = {"token": token, "answers": answers, "comment": comment}
    result = client.post("/api/v1/responses", json=body)
    assert result.status_code == 201, result.json
    response_id: int = result.json["id"]
    return response_id


def build_world(client: FlaskClient, auth: Any, db_session: Session) -> World:
    admin = auth("admin")
    assert client.put("/api/v1/alerts/settings", json={"webhook": None}, headers=admin).status_code
    lead = client.put(
        "/api/v1/teams/Escalations", json={"lead_email": "lead@example.com"}, headers=admin
    )
    assert lead.status_code in (200, 201), lead.json
    # The customer is asked about two tickets, so no throttle between surveys.
    survey = client.patch("/api/v1/surveys/post-ticket", json={"throttle_days": 0}, headers=admin)
    assert survey.status_code == 200, survey.json
    first = _invite(client, auth, CUSTOMER, "ZQ-TICKET-1")
    second = _invite(client, auth, CUSTOMER, "ZQ-TICKET-2")
    other = _invite(client, auth, OTHER, "OTHER-TICKET-1")
    bad = _answer(
        client,
        first["token"],
        "Zoltan Quixby here. The agent was rude and hung up on me. "
        "Write to zoltan.quixby@example.org or call +49 171 1234567.",
        csat=1,
    )
    good = _answer(client, second["token"], "Quixby again: great help, thank you!", csat=5)
    kept = _answer(client, other["token"], "The agent was rude to me.", csat=1)
    db_session.expire_all()
    # A manager's correction (training label) of the bad comment, a stored product-gap
    # run and an emerging-gap alert quoting the customer's comment as an example.
    comment = db_session.get_one(Response, bad).comment
    assert comment is not None
    db_session.add(
        CommentLabel(
            source="correction", response_id=bad, text=comment, sentiment="negative", created_by="m"
        )
    )
    examples = [
        {"response_id": bad, "ticket": "ZQ-TICKET-1", "agent": "A-gdpr", "sentence": comment},
        {"response_id": kept, "ticket": "OTHER-TICKET-1", "agent": "A-gdpr", "sentence": "Rude."},
    ]
    today = dt.date.today()
    run = PatternRun(
        kind="product-gaps", status="done", filters={}, data_from=today, data_to=today, summary={}
    )
    run.findings.append(
        PatternFinding(
            section="theme", position=0, theme="rude", data={"name": "rude", "examples": examples}
        )
    )
    db_session.add(run)
    emerging = raise_alert(
        db_session,
        "emerging_product_gap",
        "Emerging agent problem: rude",
        {"theme": "rude", "examples": examples},
        "gap:rude:test",
    )
    assert emerging is not None
    db_session.commit()
    return World([bad, good], kept, [first["id"], second["id"]], emerging.id)


def database_mentions(session: Session, needles: tuple[str, ...]) -> list[str]:
    """Every (table.column) of every table whose value holds one of ``needles``."""
    found = []
    metadata = MetaData()
    metadata.reflect(bind=session.connection())
    for table in metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                text = json.dumps(value, default=str) if not isinstance(value, str) else value
                hit = [n for n in needles if n.lower() in text.lower()]
                if hit:
                    found.append(f"{table.name}.{column}: {hit}")
    return found


def outbox_texts(outbox: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        parts = [str(v) for v in message.values()]
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts.append(str(part.get_content()))  # type: ignore[attr-defined]
        texts[path.name] = "\n".join(parts)
    return texts


def rollup_state(session: Session) -> dict[str, Any]:
    """Every non-zero rollup cell, of every rollup table (score, ticket, invitation)."""
    state: dict[str, Any] = {"score": rollups.histogram_rows(session)}
    state["monthly"] = rollups.monthly_rows(session)
    state.update(rollups.coarser_rows(session))
    metadata = MetaData()
    metadata.reflect(bind=session.connection())
    for table in metadata.sorted_tables:
        if "rollups" not in table.name or table.name.startswith("score_rollups"):
            continue
        counts = [
            c.name
            for c in table.columns
            if isinstance(c.type, Integer) and not c.name.endswith("id") and c.name != "bucket"
        ]
        rows = set()
        for row in session.execute(select(table)).mappings():
            if any(row[c] for c in counts):
                rows.add(tuple(sorted((k, str(v)) for k, v in row.items() if k != "id")))
        state[table.name] = rows
    return state


def test_export_gives_everything_held_about_one_customer(
    client: FlaskClient, auth: Any, db_session: Session, outbox: Path
) -> None:
    world = build_world(client, auth, db_session)
    answer = client.get(f"/api/v1/customers/{CUSTOMER['id']}/export", headers=auth("admin"))
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["customer"]["email"] == CUSTOMER["email"]
    assert body["customer"]["name"] == CUSTOMER["name"]
    assert sorted(t["id"] for t in body["tickets"]) == ["ZQ-TICKET-1", "ZQ-TICKET-2"]
    assert all(t["subject"] == "Refund for Zoltan Quixby" for t in body["tickets"])
    assert sorted(i["id"] for i in body["invitations"]) == sorted(world.invitations)
    assert sorted(a["id"] for a in body["answers"]) == sorted(world.erased_responses)
    assert {a["answers"]["csat"] for a in body["answers"]} == {1, 5}
    comments = {c["response_id"]: c for c in body["comments"]}
    assert set(comments) == set(world.erased_responses)
    # Redacted at intake: the email and phone never reached the database.
    bad = comments[world.erased_responses[0]]
    assert "[email]" in bad["comment"] and "[phone]" in bad["comment"]
    assert "zoltan.quixby@example.org" not in bad["comment"]
    assert bad["analysis"] is not None
    assert "rude" in {f["category"] for f in bad["analysis"]["findings"]}
    kinds = sorted(a["kind"] for a in body["alerts"])
    assert kinds == ["detractor_response", "emerging_product_gap"]
    assert "token" not in json.dumps(body["invitations"])
    # Not another customer's data.
    assert OTHER["email"] not in json.dumps(body)
    # Reports scope is not enough; unknown customer 404 in the service's error shape.
    assert (
        client.get(f"/api/v1/customers/{CUSTOMER['id']}/export", headers=auth("reports"))
    ).status_code == 403
    missing = client.get("/api/v1/customers/NOBODY-1/export", headers=auth("admin"))
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "customer_not_found"


def test_an_erased_customer_is_nowhere_and_the_rollups_equal_a_rebuild(
    client: FlaskClient, auth: Any, db_session: Session, outbox: Path
) -> None:
    world = build_world(client, auth, db_session)
    emails_before = outbox_texts(outbox)
    assert any("Quixby" in t for t in emails_before.values()), "no email about them was sent"
    other_emails = [n for n, t in emails_before.items() if OTHER["email"] in t]
    assert other_emails
    assert database_mentions(db_session, NEEDLES), "the test planted nothing to erase"
    scores_before = {
        k: v for k, v in rollups.histogram_rows(db_session).items() if k[5] != "responses"
    }
    db_session.commit()

    admin = auth("admin")
    erased = client.delete(f"/api/v1/customers/{CUSTOMER['id']}", headers=admin)
    assert erased.status_code == 200, erased.json
    assert erased.json["status"] == "erased"
    assert erased.json["counts"]["comments"] == 2
    assert erased.json["counts"]["answers_kept_anonymised"] == 2
    assert erased.json["counts"]["outbox_files"] >= 3  # two invitations, one alert email

    # Nowhere in the database (every column of every table) ...
    db_session.expire_all()
    assert database_mentions(db_session, NEEDLES) == []
    # ... nor in the outbox, where the other customer's email is still there ...
    after = outbox_texts(outbox)
    assert [n for n, t in after.items() if any(x in t for x in NEEDLES)] == []
    assert set(other_emails) <= set(after)
    # ... nor in any API answer.
    reports = auth("reports")
    for path in (
        "/api/v1/alerts?per_page=500",
        f"/api/v1/alerts/{world.emerging_alert}",
        "/api/v1/comments?per_page=500",
        "/api/v1/comments?per_page=500&format=csv",
        *(f"/api/v1/invitations/{i}" for i in world.invitations),
        *(f"/api/v1/comments/{r}" for r in world.erased_responses),
    ):
        shown = client.get(path, headers=admin if "invitations" in path else reports)
        assert shown.status_code in (200, 404), (path, shown.status_code)
        text = shown.get_data(as_text=True)
        assert not [n for n in NEEDLES if n.lower() in text.lower()], path
    assert (
        client.get(f"/api/v1/customers/{CUSTOMER['id']}/export", headers=admin).status_code == 404
    )

    # The other customer's comment and example stay; the erased example is gone.
    db_session.expire_all()
    kept = db_session.get_one(Response, world.kept_response)
    assert kept.comment == "The agent was rude to me."
    finding = db_session.scalars(select(PatternFinding).where(PatternFinding.theme == "rude")).one()
    assert [e["response_id"] for e in finding.data["examples"]] == [world.kept_response]
    erased_rows = db_session.scalars(
        select(Response).where(Response.id.in_(world.erased_responses))
    ).all()
    assert all(r.comment is None for r in erased_rows)
    assert sorted(r.csat for r in erased_rows) == [1, 5]  # ratings kept, anonymised
    assert not db_session.scalars(
        select(CommentAnalysis).where(CommentAnalysis.response_id.in_(world.erased_responses))
    ).all()

    # Scores unchanged (the ratings stay counted); rollups equal a rebuild.
    scores_after = {
        k: v for k, v in rollups.histogram_rows(db_session).items() if k[5] != "responses"
    }
    assert scores_after == scores_before
    incremental = rollup_state(db_session)
    rollups.rebuild(db_session)
    assert rollup_state(db_session) == incremental
    db_session.commit()

    # The audit record holds no personal data; a second DELETE is fine; unknown 404.
    record = db_session.scalars(select(CustomerErasure)).one()
    assert record.trigger == "api" and record.subject_hash
    db_session.commit()  # the test's session holds no transaction across requests
    again = client.delete(f"/api/v1/customers/{CUSTOMER['id']}", headers=admin)
    assert again.status_code == 200, again.json
    assert again.json["status"] == "already_erased"
    assert again.json["erasure_id"] == erased.json["erasure_id"]
    unknown = client.delete("/api/v1/customers/NOBODY-2", headers=admin)
    assert unknown.status_code == 404
    assert unknown.json["error"]["code"] == "customer_not_found"
    assert client.delete("/api/v1/customers/x", headers=auth("ingest")).status_code == 403


def test_cli_exports_and_erases_like_the_api(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, outbox: Path
) -> None:
    build_world(client, auth, db_session)
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["customers", "export", CUSTOMER["id"]])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["customer"]["email"] == CUSTOMER["email"]

    refused = runner.invoke(args=["customers", "erase", CUSTOMER["id"]], input="n\n")
    assert refused.exit_code != 0
    assert database_mentions(db_session, NEEDLES)

    erased = runner.invoke(args=["customers", "erase", CUSTOMER["id"], "--yes"])
    assert erased.exit_code == 0, erased.output
    assert json.loads(erased.output)["status"] == "erased"
    db_session.expire_all()
    assert database_mentions(db_session, NEEDLES) == []
    again = runner.invoke(args=["customers", "erase", CUSTOMER["id"], "--yes"])
    assert json.loads(again.output)["status"] == "already_erased"
    unknown = runner.invoke(args=["customers", "export", "NOBODY-3"])
    assert unknown.exit_code != 0 and "NOBODY-3" in unknown.output


def test_retention_erases_old_comments_keeps_scores_and_is_off_by_default(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    outbox: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from feedback_service.customers import tasks
    from workers.celery_app import BEAT_SCHEDULE

    assert any(
        e["task"] == "feedback_service.customers.tasks.erase_expired_comments"
        for e in BEAT_SCHEDULE.values()
    )
    world = build_world(client, auth, db_session)
    assert app.config["RETENTION_DAYS"] == 0
    assert tasks.erase_expired_comments() == "off"

    monkeypatch.setitem(app.config, "RETENTION_DAYS", 30)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=20)
    monkeypatch.setattr(tasks, "utcnow", lambda: later)
    assert tasks.erase_expired_comments() == "erased 0 comments"
    db_session.expire_all()
    assert db_session.get_one(Response, world.kept_response).comment is not None
    scores_before = {
        k: v for k, v in rollups.histogram_rows(db_session).items() if k[5] != "responses"
    }
    db_session.commit()

    much_later = dt.datetime.now(dt.UTC) + dt.timedelta(days=40)
    monkeypatch.setattr(tasks, "utcnow", lambda: much_later)
    assert tasks.erase_expired_comments() == "erased 3 comments"
    db_session.expire_all()
    rows = db_session.scalars(select(Response)).all()
    assert rows and all(r.comment is None for r in rows)
    assert not db_session.scalars(select(CommentAnalysis)).all()
    assert list(outbox.glob("*.eml")) == []
    assert {
        k: v for k, v in rollups.histogram_rows(db_session).items() if k[5] != "responses"
    } == scores_before
    incremental = rollup_state(db_session)
    rollups.rebuild(db_session)
    assert rollup_state(db_session) == incremental
    record = db_session.scalars(
        select(CustomerErasure).where(CustomerErasure.trigger == "retention")
    ).one()
    assert record.subject_hash is None and record.counts["comments"] == 3
    db_session.commit()
