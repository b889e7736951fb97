"""Alerts through the app: settings, the response trigger, the signed webhook with
its retries, the team lead's email, listing and acknowledging.

Celery runs eagerly here (the worker path is in tests/integration/test_alerts_worker.py);
the webhook receiver is a real HTTP server on a local port.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.alerts import raise_alert
from feedback_service.alerts.models import Alert, AlertDelivery
from feedback_service.helpdesk.models import Team
from feedback_service.scores.tasks import process_response
from feedback_service.surveys.models import Response
from tests.factories import invitation_payload

SECRET = "s3cret-for-the-webhook-test"


# --- a real webhook receiver ----------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Answers each POST with the next status of ``statuses`` (the last one repeats)."""

    url: str = ""
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            index = min(len(self.received) - 1, len(self.statuses) - 1)
            return self.statuses[index]


def serve_webhook(receiver: WebhookReceiver) -> Iterator[WebhookReceiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.received.append(Received(dict(self.headers.items()), body))
            status = receiver.next_status()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/feedback"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    yield from serve_webhook(WebhookReceiver())


def verify(received: Received, secret: str = SECRET, max_age: int = 300) -> bool:
    """What a receiver does with the README's instructions."""
    timestamp = received.headers["X-Feedback-Timestamp"]
    given = received.headers["X-Feedback-Signature"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= max_age
    return fresh and hmac.compare_digest(given, f"sha256={expected}")


# --- helpers -------------------------------------------------------------------------


def emails(outbox: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def alert_emails(outbox: Path) -> list[EmailMessage]:
    return [m for m in emails(outbox) if m["X-Feedback-Alert"]]


def body_text(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def put_settings(client: FlaskClient, auth: Any, **body: Any) -> Any:
    return client.put("/api/v1/alerts/settings", json=body, headers=auth("admin"))


def configure(
    client: FlaskClient,
    auth: Any,
    webhook: WebhookReceiver | None = None,
    team: str = "Escalations",
    lead: str | None = "lead@example.com",
    **extra: Any,
) -> None:
    body: dict[str, Any] = {"webhook": None}
    if webhook is not None:
        body["webhook"] = {"url": webhook.url, "secret": SECRET}
    body.update(extra)
    assert put_settings(client, auth, **body).status_code == 200
    if lead is not None:
        answer = client.put(f"/api/v1/teams/{team}", json={"lead_email": lead}, headers=auth())
        assert answer.status_code in (200, 201), answer.json


def invite(client: FlaskClient, auth: Any, team: str = "Escalations", **overrides: Any) -> str:
    payload = invitation_payload(
        delivery="link",
        agent={"id": "A-alerts", "name": "Dana Agent", "team": team},
        **overrides,
    )
    answer = client.post("/api/v1/invitations", json=payload, headers=auth("ingest"))
    assert answer.status_code == 201, answer.json
    token: str = answer.json["token"]
    return token


def answer(client: FlaskClient, token: str, comment: str | None = None, **answers: Any) -> Any:
    body: dict[str, Any] = {"token": token, "answers": answers}
    if comment is not None:
        body["comment"] = comment
    result = client.post("/api/v1/responses", json=body)
    assert result.status_code in (200, 201), result.json
    return result.json


def stored_alerts(session: Session) -> list[Alert]:
    session.expire_all()
    rows = list(session.scalars(select(Alert).order_by(Alert.id)))
    for row in rows:
        _ = row.deliveries
    session.commit()
    return rows


@pytest.fixture
def fast_retries(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # Eager tasks ignore countdowns; a zero base makes each retry due at once.
    monkeypatch.setitem(app.config, "ALERT_RETRY_BASE_SECONDS", 0)


# --- settings --------------------------------------------------------------------------


def test_settings_start_from_documented_defaults_and_never_show_the_secret(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    first = client.get("/api/v1/alerts/settings", headers=auth("admin"))
    assert first.status_code == 200
    assert first.json["triggers"] == {"nps": 6, "csat": 2, "ces": 2, "fcr": None}
    assert first.json["require_comment"] is True
    assert first.json["webhook"] is None
    assert first.json["email"] == {"team_lead": True, "recipients": []}
    assert first.json["digest"]["frequency"] == "off"

    saved = put_settings(
        client,
        auth,
        webhook={"url": "https://hooks.example.com/in?token=abc", "secret": SECRET},
        triggers={"nps": 4, "csat": 1},
    )
    assert saved.status_code == 200
    assert saved.json["webhook"] == {
        "url": "https://hooks.example.com/in?token=abc",
        "secret_set": True,
    }
    assert SECRET not in json.dumps(saved.json)
    # A left-out metric is off; left-out sections keep their value.
    assert saved.json["triggers"] == {"nps": 4, "csat": 1, "ces": None, "fcr": None}
    again = put_settings(client, auth, require_comment=False)
    assert again.json["triggers"]["nps"] == 4 and again.json["webhook"]["secret_set"] is True
    # A new URL without a secret keeps the stored secret; null removes the webhook.
    moved = put_settings(client, auth, webhook={"url": "https://hooks.example.com/v2"})
    assert moved.json["webhook"] == {"url": "https://hooks.example.com/v2", "secret_set": True}
    removed = put_settings(client, auth, webhook=None)
    assert removed.json["webhook"] is None
    shown = client.get("/api/v1/alerts/settings", headers=auth("admin")).json
    assert shown["require_comment"] is False and shown["webhook"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"triggers": {"nps": 10}}, "triggers.nps"),
        ({"triggers": {"nps": -1}}, "triggers.nps"),
        ({"triggers": {"csat": 5}}, "triggers.csat"),
        ({"triggers": {"ces": 0}}, "triggers.ces"),
        ({"triggers": {"fcr": 1}}, "triggers.fcr"),
        ({"triggers": {"csat": "2"}}, "triggers.csat"),
        ({"triggers": {"wow": 2}}, "triggers.wow"),
        ({"webhook": {"url": "ftp://hooks.example.com/x", "secret": SECRET}}, "webhook.url"),
        ({"webhook": {"url": "not a url", "secret": SECRET}}, "webhook.url"),
        ({"webhook": {"url": "https://hooks.example.com/x", "secret": "short"}}, "webhook.secret"),
        ({"webhook": {"url": "https://hooks.example.com/x"}}, "webhook.secret"),
        ({"webhook": {"secret": SECRET}}, "webhook.url"),
        ({"email": {"recipients": ["cx@example.com", "nobody"]}}, "email.recipients.1"),
        ({"email": {"team_lead": "sometimes"}}, "email.team_lead"),
        ({"digest": {"frequency": "hourly", "recipients": ["a@example.com"]}}, "digest.frequency"),
        ({"digest": {"frequency": "daily"}}, "digest.recipients"),
        (
            {"digest": {"frequency": "daily", "recipients": ["a@example.com"], "hour_utc": 24}},
            "digest.hour_utc",
        ),
        ({"require_comment": "maybe"}, "require_comment"),
        ({"tirggers": {"nps": 6}}, "tirggers"),
    ],
)
def test_bad_settings_are_422_naming_the_field_and_change_nothing(
    client: FlaskClient, auth: Any, db_session: Session, body: dict[str, Any], field: str
) -> None:
    before = client.get("/api/v1/alerts/settings", headers=auth("admin")).json
    bad = client.put("/api/v1/alerts/settings", json=body, headers=auth("admin"))
    assert bad.status_code == 422, bad.json
    assert bad.json["error"]["code"] == "validation_error"
    assert field in bad.json["error"]["fields"], bad.json
    assert client.get("/api/v1/alerts/settings", headers=auth("admin")).json == before


def test_settings_need_admin_and_alerts_need_reports(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    reports = auth("reports")
    assert client.get("/api/v1/alerts/settings", headers=reports).status_code == 403
    assert client.put("/api/v1/alerts/settings", json={}, headers=reports).status_code == 403
    assert client.get("/api/v1/alerts", headers=auth("ingest")).status_code == 403
    assert client.get("/api/v1/alerts", headers=reports).status_code == 200
    assert client.get("/api/v1/alerts").status_code == 401


def test_a_team_lead_is_set_through_the_api(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    invite(client, auth, team="Tier 2")
    put = client.put(
        "/api/v1/teams/Tier 2", json={"lead_email": "robin@example.com"}, headers=auth()
    )
    assert put.status_code == 200
    assert put.json == {
        "id": "Tier 2",
        "name": "Tier 2",
        "lead_email": "robin@example.com",
        "agents": 1,
    }
    # A team the helpdesk has not named yet is created, and dispatch then finds it.
    new = client.put(
        "/api/v1/teams/Night shift",
        json={"name": "Night shift (EU)", "lead_email": "noor@example.com"},
        headers=auth(),
    )
    assert new.status_code == 201 and new.json["agents"] == 0
    invite(client, auth, team="Night shift")
    listed = {t["id"]: t for t in client.get("/api/v1/teams", headers=auth()).json["items"]}
    assert listed["Night shift"]["lead_email"] == "noor@example.com"
    assert listed["Night shift"]["agents"] == 1
    bad = client.put("/api/v1/teams/Tier 2", json={"lead_email": "robin"}, headers=auth())
    assert bad.status_code == 422 and "lead_email" in bad.json["error"]["fields"]
    assert (
        client.put("/api/v1/teams/Tier 2", json={"lead_email": None}, headers=auth()).json[
            "lead_email"
        ]
        is None
    )
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Team.id)).where(Team.external_id == "Tier 2")) == 1
    db_session.commit()


# --- the response trigger ---------------------------------------------------------------


def test_a_detractor_with_a_comment_reaches_the_webhook_signed_and_the_lead_by_email(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    outbox: Path,
    webhook: WebhookReceiver,
) -> None:
    configure(client, auth, webhook)
    token = invite(client, auth, ticket={"id": "T-ANGRY-1"})
    comment = "Nobody told me <b>anything</b> for a week."
    saved = answer(client, token, comment=comment, csat=1, ces=5, fcr=False)

    assert len(webhook.received) == 1
    hit = webhook.received[0]
    assert verify(hit)
    assert not verify(hit, secret="another-secret-entirely")
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.headers["X-Feedback-Event"] == "detractor_response"
    event = hit.json()
    assert event["kind"] == "detractor_response"
    assert event["payload"]["response_id"] == saved["id"]
    assert event["payload"]["comment"] == comment
    assert event["payload"]["ticket"]["id"] == "T-ANGRY-1"
    assert event["payload"]["agent"]["id"] == "A-alerts"
    assert event["payload"]["team"]["id"] == "Escalations"
    assert [r["metric"] for r in event["payload"]["reasons"]] == ["csat"]

    [mail] = alert_emails(outbox)
    assert mail["To"] == "lead@example.com"
    assert "T-ANGRY-1" in mail["Subject"]
    assert comment in body_text(mail)
    html = body_text(mail, "html")
    assert "&lt;b&gt;anything&lt;/b&gt;" in html and "<b>anything</b>" not in html

    listed = client.get("/api/v1/alerts?status=open", headers=auth("reports")).json
    assert listed["total"] == 1 and listed["open"] == 1
    item = listed["items"][0]
    assert item["id"] == event["id"] and item["status"] == "open"
    deliveries = {d["channel"]: d for d in item["deliveries"]}
    assert deliveries["webhook"]["status"] == "delivered"
    assert deliveries["webhook"]["attempts"] == 1
    assert deliveries["email"] == {
        "channel": "email",
        "target": "lead@example.com",
        "status": "delivered",
        "attempts": 1,
        "last_error": None,
        "delivered_at": deliveries["email"]["delivered_at"],
    }

    acked = client.post(f"/api/v1/alerts/{item['id']}/acknowledge", headers=auth("reports"))
    assert acked.status_code == 200 and acked.json["status"] == "acknowledged"
    assert acked.json["acknowledged_by"] == "test" and acked.json["acknowledged_at"]
    again = client.post(f"/api/v1/alerts/{item['id']}/acknowledge", headers=auth("reports"))
    assert again.json["acknowledged_at"] == acked.json["acknowledged_at"]
    after = client.get("/api/v1/alerts", headers=auth("reports")).json
    assert after["open"] == 0 and after["items"][0]["status"] == "acknowledged"
    assert client.get("/api/v1/alerts?status=open", headers=auth("reports")).json["total"] == 0
    missing = client.post("/api/v1/alerts/999999/acknowledge", headers=auth("reports"))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "alert_not_found"


def test_an_alert_names_the_value_by_the_scale_words(
    client: FlaskClient, auth: Any, db_session: Session, webhook: WebhookReceiver
) -> None:
    """Issue 19: a CSAT 2 alert read "very dissatisfied (CSAT) (2)"."""
    configure(client, auth, webhook, lead=None)
    token = invite(client, auth, ticket={"id": "T-WORDS-1"})
    answer(client, token, comment="Took three tries.", csat=2, ces=2, fcr=False)
    [hit] = webhook.received
    title = hit.json()["title"]
    assert title.startswith("CSAT 2 (dissatisfied), CES 2 (disagrees it was easy) with a comment")
    assert "very dissatisfied" not in title
    reasons = hit.json()["payload"]["reasons"]
    assert [r["label"] for r in reasons] == [
        "CSAT 2 (dissatisfied)",
        "CES 2 (disagrees it was easy)",
    ]


def test_an_nps_detractor_alerts_and_a_passive_does_not(
    client: FlaskClient, auth: Any, db_session: Session, webhook: WebhookReceiver
) -> None:
    configure(client, auth, webhook, lead=None)
    detractor = invite(client, auth, survey="nps")
    passive = invite(client, auth, survey="nps")
    answer(client, detractor, comment="Meh, too expensive.", nps=6)
    answer(client, passive, comment="It was fine.", nps=7)
    assert [h.json()["payload"]["answers"] for h in webhook.received] == [{"nps": 6}]


@pytest.mark.parametrize(
    ("answers", "comment"),
    [
        ({"csat": 4, "ces": 6, "fcr": True}, "Great, thanks!"),  # good, with a comment
        ({"csat": 3, "ces": 3, "fcr": False}, "Could be better."),  # middling, not bad enough
        ({"csat": 1, "ces": 1, "fcr": False}, None),  # very bad, but nothing written
        ({"csat": 1, "ces": 1, "fcr": False}, "   "),  # only blanks
    ],
)
def test_no_alert_for_a_good_or_middling_answer_or_one_without_a_comment(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    outbox: Path,
    webhook: WebhookReceiver,
    answers: dict[str, Any],
    comment: str | None,
) -> None:
    configure(client, auth, webhook)
    answer(client, invite(client, auth), comment=comment, **answers)
    assert webhook.received == []
    assert alert_emails(outbox) == []
    assert stored_alerts(db_session) == []


def test_a_bad_answer_without_comment_alerts_when_comments_are_not_required(
    client: FlaskClient, auth: Any, db_session: Session, webhook: WebhookReceiver
) -> None:
    configure(client, auth, webhook, lead=None, require_comment=False)
    answer(client, invite(client, auth), csat=2)
    assert len(webhook.received) == 1


def test_reprocessing_and_amending_never_alert_twice(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    outbox: Path,
    webhook: WebhookReceiver,
) -> None:
    configure(client, auth, webhook)
    token = invite(client, auth)
    saved = answer(client, token, comment="Rude and slow.", csat=1)
    assert len(webhook.received) == 1
    # Amended, still bad, with a new comment: processed again, no second alert.
    answer(client, token, comment="Rude, slow, and still broken.", csat=2)
    # A re-delivered task, and one forced to re-process the latest version.
    assert process_response(saved["id"]) == "up-to-date"
    db_session.expire_all()
    response = db_session.get_one(Response, saved["id"])
    response.processed_version = 0
    db_session.commit()
    assert process_response(saved["id"]) == "processed"
    assert len(webhook.received) == 1
    assert len(alert_emails(outbox)) == 1
    assert len(stored_alerts(db_session)) == 1


def test_an_amended_response_that_turns_bad_alerts_once(
    client: FlaskClient, auth: Any, db_session: Session, webhook: WebhookReceiver
) -> None:
    configure(client, auth, webhook, lead=None)
    token = invite(client, auth)
    answer(client, token, comment="All good.", csat=5)
    assert webhook.received == []
    answer(client, token, comment="Actually it broke again an hour later.", csat=1)
    assert len(webhook.received) == 1
    assert webhook.received[0].json()["payload"]["comment"].startswith("Actually")
    answer(client, token, comment="And again.", csat=1, ces=1)
    answer(client, token, comment="Fixed now.", csat=5)
    answer(client, token, comment="Broken once more.", csat=1)
    assert len(webhook.received) == 1
    assert len(stored_alerts(db_session)) == 1


def test_a_provisional_one_click_rating_waits_for_confirmation(
    client: FlaskClient, auth: Any, db_session: Session, webhook: WebhookReceiver
) -> None:
    configure(client, auth, webhook, lead=None, require_comment=False)
    token = invite(client, auth)
    # The email's one-click link: recorded at once but provisional (maybe a scanner).
    clicked = client.get(f"/s/{token}?csat=1")
    assert clicked.status_code in (200, 302, 303)
    db_session.expire_all()
    response = db_session.scalar(select(Response).where(Response.csat == 1))
    db_session.commit()
    assert response is not None and response.status == "provisional"
    assert webhook.received == []
    answer(client, token, comment="Terrible.", csat=1)
    assert len(webhook.received) == 1


# --- delivery: retries and giving up ----------------------------------------------------


def _deliveries(session: Session) -> list[AlertDelivery]:
    session.expire_all()
    rows = list(session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))
    session.commit()
    return rows


def test_a_500_then_success_gives_exactly_one_delivered_alert(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    webhook: WebhookReceiver,
    fast_retries: None,
) -> None:
    webhook.statuses = [500, 200]
    configure(client, auth, webhook, lead=None)
    answer(client, invite(client, auth), comment="Still waiting for a refund.", csat=1)
    assert len(webhook.received) == 2
    first, second = webhook.received
    assert first.body == second.body  # the same event, re-signed
    assert first.headers["X-Feedback-Delivery"] == second.headers["X-Feedback-Delivery"]
    assert verify(second)
    [delivery] = _deliveries(db_session)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert delivery.last_error is None and delivery.delivered_at is not None
    assert len(stored_alerts(db_session)) == 1


@pytest.mark.parametrize(
    ("status", "attempts", "words"),
    [
        # A server error is retried up to ALERT_MAX_ATTEMPTS, then given up.
        (503, 3, ["gave up after 3 attempts", "HTTP 503"]),
        # A receiver refusing the request would refuse it again: not retried.
        (401, 1, ["HTTP 401"]),
    ],
)
def test_a_failing_webhook_is_retried_while_it_may_succeed_then_recorded_as_failed(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    webhook: WebhookReceiver,
    fast_retries: None,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    attempts: int,
    words: list[str],
) -> None:
    monkeypatch.setitem(app.config, "ALERT_MAX_ATTEMPTS", 3)
    webhook.statuses = [status]
    configure(client, auth, webhook, lead=None)
    answer(client, invite(client, auth), comment="Useless.", csat=1)
    assert len(webhook.received) == attempts
    [delivery] = _deliveries(db_session)
    assert (delivery.status, delivery.attempts) == ("failed", attempts)
    assert all(w in (delivery.last_error or "") for w in words), delivery.last_error
    shown = client.get("/api/v1/alerts", headers=auth("reports")).json["items"][0]
    assert shown["deliveries"][0]["status"] == "failed"
    assert shown["status"] == "open"  # still for a person to see


def test_an_unreachable_webhook_is_retried_then_given_up(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    fast_retries: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "ALERT_MAX_ATTEMPTS", 2)
    closed = WebhookReceiver(url="http://127.0.0.1:9/nobody-listens")
    configure(client, auth, closed, lead=None)
    answer(client, invite(client, auth), comment="Useless.", csat=1)
    [delivery] = _deliveries(db_session)
    assert (delivery.status, delivery.attempts) == ("failed", 2)


# --- the Python API other features call ---------------------------------------------------


def test_raise_alert_is_idempotent_and_emails_the_lead_and_the_recipients(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    outbox: Path,
    webhook: WebhookReceiver,
) -> None:
    configure(
        client,
        auth,
        webhook,
        team="Payments",
        lead="pay-lead@example.com",
        email={"team_lead": True, "recipients": ["cx@example.com", "PAY-LEAD@example.com"]},
    )
    team_id = db_session.scalar(select(Team.id).where(Team.external_id == "Payments"))
    db_session.commit()
    payload = {"theme": "login loop after update", "weekly_counts": [1, 0, 2, 14]}
    with app.app_context():
        from feedback_service.db import get_session

        session = get_session()
        first = raise_alert(
            session, "emerging_product_gap", "Login loop", payload, "gap:login:W48", team_id=team_id
        )
        assert first is not None
        session.commit()
        assert (
            raise_alert(session, "emerging_product_gap", "Again", payload, "gap:login:W48") is None
        )
        session.commit()
    assert len(webhook.received) == 1
    assert webhook.received[0].json()["payload"] == payload
    assert sorted(m["To"] for m in alert_emails(outbox)) == [
        "cx@example.com",
        "pay-lead@example.com",
    ]
    mail = alert_emails(outbox)[0]
    assert "login loop after update" in body_text(mail)
    assert "1, 0, 2, 14" in body_text(mail)
    listed = client.get("/api/v1/alerts?kind=emerging_product_gap", headers=auth("reports")).json
    assert listed["total"] == 1 and listed["items"][0]["title"] == "Login loop"


def test_a_webhook_query_token_is_not_shown_to_report_readers(
    client: FlaskClient, auth: Any, db_session: Session, webhook: WebhookReceiver
) -> None:
    webhook.url += "?token=receivers-own-secret"
    configure(client, auth, webhook, lead=None)
    answer(client, invite(client, auth), comment="Useless.", csat=1)
    assert len(webhook.received) == 1
    shown = client.get("/api/v1/alerts", headers=auth("reports")).json["items"][0]
    assert shown["deliveries"][0]["target"].endswith("/hooks/feedback")
    assert "receivers-own-secret" not in json.dumps(shown)
