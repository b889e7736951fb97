"""Alerts on the real path: a response posted over HTTP, processed by a Celery worker
process on the real broker, the webhook answered by a real HTTP server (first a 500,
then a 200) and the team lead's email received by a real SMTP server."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from feedback_service.alerts import service as alerts_service
from feedback_service.alerts.models import Alert, AlertDelivery
from feedback_service.alerts.tasks import sweep_alert_deliveries
from feedback_service.db import get_session, utcnow
from feedback_service.helpdesk import service as helpdesk_service
from feedback_service.tasks import enqueue
from tests.api.test_alerts import SECRET, WebhookReceiver, serve_webhook, verify
from tests.integration.conftest import RecordingHandler, post_answer, wait_for
from tests.integration.test_collect_concurrency import committed_invitation
from tests.integration.test_collect_worker import drain

pytestmark = pytest.mark.integration


@pytest.fixture
def flaky_webhook() -> Iterator[WebhookReceiver]:
    yield from serve_webhook(WebhookReceiver(statuses=[500, 200]))


def configure(app: Flask, webhook: WebhookReceiver) -> None:
    with app.app_context():
        session = get_session()
        alerts_service.update_settings(session, {"webhook": {"url": webhook.url, "secret": SECRET}})
        # The factories' agents are in "Tier 1".
        helpdesk_service.put_team(session, "Tier 1", {"lead_email": "lead@example.com"})
        session.commit()


def deliveries(app: Flask) -> list[tuple[str, str, int]]:
    try:
        with app.app_context():
            rows = get_session().scalars(select(AlertDelivery).order_by(AlertDelivery.channel))
            return [(d.channel, d.status, d.attempts) for d in rows]
    except OperationalError:
        # SQLite: the worker's first comment analysis can hold the write lock
        # longer than the busy timeout while it loads its model; ask again.
        return []


def test_a_detractor_comment_alerts_once_through_the_worker_with_a_retried_webhook(
    live_app: Flask,
    http_server: str,
    worker: subprocess.Popen[str],
    smtp_server: tuple[Controller, RecordingHandler],
    flaky_webhook: WebhookReceiver,
) -> None:
    drain(live_app)
    configure(live_app, flaky_webhook)
    _invitation_id, token = committed_invitation(live_app, "ALERT-WORKER-1")
    response_id = post_answer(http_server, token, {"csat": 1, "ces": 2}, "Rude and useless.")

    wait_for(
        lambda: deliveries(live_app) == [("email", "delivered", 1), ("webhook", "delivered", 2)],
        # The worker's first comment analysis loads its model (40 s on a busy machine).
        timeout=300,
    )
    _controller, handler = smtp_server
    mails = [m for m in handler.messages if m["X-Feedback-Alert"]]
    assert [m["To"] for m in mails] == ["lead@example.com"]
    assert "Rude and useless." in mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # The 500 was retried once; both attempts carried the same event, the second
    # one verifiably signed. Nothing more arrives.
    time.sleep(3)
    assert len(flaky_webhook.received) == 2
    assert verify(flaky_webhook.received[1])
    event = flaky_webhook.received[1].json()
    assert event["payload"]["response_id"] == response_id
    assert flaky_webhook.received[0].body == flaky_webhook.received[1].body

    # The customer amends the answer: processed again by the worker, no new alert.
    amended_id = post_answer(http_server, token, {"csat": 2}, "Still rude.", status=200)
    assert amended_id == response_id

    def processed() -> bool:
        from feedback_service.surveys.models import Response

        try:
            with live_app.app_context():
                row = get_session().get_one(Response, response_id)
                return row.processed_version == row.version == 2
        except OperationalError:
            return False

    wait_for(processed, timeout=120)
    time.sleep(2)
    assert len(flaky_webhook.received) == 2
    with live_app.app_context():
        assert len(get_session().scalars(select(Alert)).all()) == 1


def test_a_delivery_whose_task_was_lost_goes_out_after_the_sweep(
    live_app: Flask,
    worker: subprocess.Popen[str],
    smtp_server: tuple[Controller, RecordingHandler],
) -> None:
    drain(live_app)
    with live_app.app_context():
        session = get_session()
        alerts_service.update_settings(
            session, {"email": {"team_lead": False, "recipients": ["cx@example.com"]}}
        )
        # As if the broker had been down at commit time: the row, no message.
        alert = Alert(kind="test", title="Lost on the way", payload={"n": 1}, dedupe_key="lost:1")
        session.add(alert)
        session.flush()
        past = utcnow().replace(year=2025)
        session.add(
            AlertDelivery(
                alert_id=alert.id,
                channel="email",
                target="cx@example.com",
                status="pending",
                next_attempt_at=past,
                updated_at=past,
                created_at=past,
            )
        )
        session.commit()
        enqueue(sweep_alert_deliveries)
    wait_for(lambda: deliveries(live_app) == [("email", "delivered", 1)], timeout=120)
    _controller, handler = smtp_server
    found: list[Any] = [m for m in handler.messages if m["Subject"] == "[Alert] Lost on the way"]
    assert len(found) == 1
