"""An alert is about a fresh answer: one the customer last submitted longer ago than
``ALERT_MAX_AGE_HOURS`` (48) raises no alert when it is processed (a backfill, a
worker's backlog, a re-processing), and an old answer amended to bad today does.

Through the real path: the answer is posted over HTTP and processed by the
(eager) task; only the clock that stamps the answer is moved back, as if the
customer had answered that long before the worker got to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from feedback_service.alerts.models import AlertDelivery
from feedback_service.db import utcnow
from feedback_service.scores.tasks import process_response
from feedback_service.surveys import collect
from feedback_service.surveys.models import Invitation, Response
from tests.api.test_alerts import (
    WebhookReceiver,
    alert_emails,
    answer,
    configure,
    invite,
    serve_webhook,
    stored_alerts,
)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    yield from serve_webhook(WebhookReceiver())


def answered_ago(monkeypatch: pytest.MonkeyPatch, hours: float) -> None:
    """Answers given from now on are stamped ``hours`` before the real time."""
    monkeypatch.setattr(collect, "utcnow", lambda: utcnow() - dt.timedelta(hours=hours))


def deliveries(session: Session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count(AlertDelivery.id))) or 0
    session.commit()
    return count


@pytest.mark.parametrize(("hours", "alerts"), [(47, 1), (49, 0)])
def test_only_an_answer_submitted_within_the_limit_alerts_when_processed(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    outbox: Path,
    webhook: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
    hours: int,
    alerts: int,
) -> None:
    configure(client, auth, webhook)
    token = invite(client, auth, ticket={"id": f"T-AGE-{hours}"})
    answered_ago(monkeypatch, hours)
    saved = answer(client, token, comment="Nobody called me back.", csat=1)
    db_session.expire_all()
    response = db_session.get_one(Response, saved["id"])
    db_session.commit()
    # Processed now, the answer as old as it should be.
    assert response.processed_version == response.version
    assert dt.timedelta(hours=hours - 1) < utcnow() - response.updated_at
    assert len(stored_alerts(db_session)) == alerts
    assert len(webhook.received) == alerts
    assert len(alert_emails(outbox)) == alerts
    assert deliveries(db_session) == 2 * alerts  # the webhook and the lead's email


def test_reprocessing_an_old_answer_that_never_alerted_raises_nothing(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    outbox: Path,
    webhook: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(client, auth, webhook)
    answered_ago(monkeypatch, 24 * 90)
    saved = answer(client, invite(client, auth), comment="Rude and slow.", csat=1, ces=1)
    # Forced to be processed again, as a re-processing run would (the answer's own
    # time kept: the ORM's onupdate would stamp it now).
    db_session.execute(
        update(Response)
        .where(Response.id == saved["id"])
        .values(processed_version=0, updated_at=Response.updated_at)
    )
    db_session.commit()
    assert process_response(saved["id"]) == "processed"
    assert stored_alerts(db_session) == []
    assert webhook.received == [] and alert_emails(outbox) == []
    assert deliveries(db_session) == 0


def test_an_old_answer_amended_to_bad_today_alerts(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    webhook: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """README: "an amended response that turns bad alerts then, once"; its age runs
    from the amendment, not from the first answer."""
    configure(client, auth, webhook, lead=None)
    token = invite(client, auth)
    invitation = db_session.scalars(select(Invitation).where(Invitation.token == token)).one()
    invitation.survey.amend_window_hours = 24 * 7
    db_session.commit()
    answered_ago(monkeypatch, 72)
    answer(client, token, comment="All good.", csat=5)
    monkeypatch.undo()
    answer(client, token, comment="It broke again this morning.", csat=1)
    assert len(webhook.received) == 1
    assert webhook.received[0].json()["payload"]["comment"] == "It broke again this morning."
    assert len(stored_alerts(db_session)) == 1
