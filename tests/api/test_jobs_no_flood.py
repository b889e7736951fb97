"""Jobs that cannot flood: a refresh or a training asked for while the same one is
queued or running is answered with that job (200), never a second; such jobs are
routed to the bulk queue, the answers' tasks stay on the default queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from feedback_service.analysis.comments import training
from feedback_service.analysis.models import TrainingRun
from feedback_service.helpdesk.models import Team
from feedback_service.patterns import service
from feedback_service.patterns.models import PatternRun
from tests.helpers import row_count
from workers.celery_app import BULK_TASKS

GAPS = "/api/v1/reports/product-gaps"
PATTERNS = "/api/v1/reports/complaint-patterns"


def test_a_refresh_already_queued_for_the_same_scope_is_returned(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    headers = auth("reports")
    db_session.add(Team(name="Tier 2", external_id="tier-2"))
    waiting = service.create_run(db_session, service.PRODUCT_GAPS, {})
    db_session.commit()
    for _ in range(3):
        again = client.post(f"{GAPS}/refresh", json={}, headers=headers)
        assert again.status_code == 200, again.json
        assert again.json["id"] == waiting.id and again.json["status"] == "queued"
        assert again.headers["Location"].endswith(f"/api/v1/reports/jobs/{waiting.id}")
    assert row_count(db_session, PatternRun) == 1
    # Another report, or other filters, is another job (run at once by eager Celery).
    other_kind = client.post(f"{PATTERNS}/refresh", json={}, headers=headers)
    other_team = client.post(f"{GAPS}/refresh", json={"team": "tier-2"}, headers=headers)
    assert (other_kind.status_code, other_team.status_code) == (202, 202)
    assert row_count(db_session, PatternRun) == 3
    # A job stuck for hours is not waited for: a refresh queues a new one.
    db_session.execute(
        update(PatternRun)
        .where(PatternRun.id == waiting.id)
        .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    )
    db_session.commit()
    fresh = client.post(f"{GAPS}/refresh", json={}, headers=headers)
    assert fresh.status_code == 202 and fresh.json["id"] != waiting.id


def test_a_training_already_queued_is_returned(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    waiting = training.new_run(db_session, "api", "someone")
    db_session.commit()
    for tolerance in (0.0, 0.01):
        again = client.post(
            "/api/v1/analysis/train", json={"tolerance": tolerance}, headers=auth("admin")
        )
        assert again.status_code == 200, again.json
        assert again.json["id"] == waiting.id and again.json["status"] == "queued"
    assert row_count(db_session, TrainingRun) == 1
    spec = client.get("/api/openapi.json").json["paths"]
    assert {"200", "202"} <= set(spec["/api/v1/analysis/train"]["post"]["responses"])
    assert {"200", "202"} <= set(spec[f"{GAPS}/refresh"]["post"]["responses"])


def test_each_task_goes_to_its_priority_queue(app: Flask) -> None:
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()  # what a worker imports at start
    default = app.config["CELERY_QUEUE"]

    def queue_of(name: str) -> str:
        assert name in celery.tasks, name
        return str(celery.amqp.router.route({}, name)["queue"].name)

    for name in BULK_TASKS:
        assert queue_of(name) == f"{default}.bulk"
    for name in (
        "feedback_service.analysis.tasks.process_response",
        "feedback_service.scores.tasks.process_responses",
        # raised by answer processing: a backlog's alerts wait behind survey emails
        "feedback_service.alerts.tasks.deliver_alert",
    ):
        assert queue_of(name) == f"{default}.answers"
    for name in (
        "feedback_service.surveys.tasks.send_invitation",
        "workers.sweep.sweep_responses",
    ):
        assert queue_of(name) == default
    # A worker started without -Q consumes all three, most urgent first.
    assert [q.name for q in celery.conf.task_queues] == [
        default,
        f"{default}.answers",
        f"{default}.bulk",
    ]
