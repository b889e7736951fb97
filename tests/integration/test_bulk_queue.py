"""Jobs that cannot flood, with a real broker and worker processes: refreshes and
trainings asked for again are the same job, they wait on their own queue, and an
answer is processed while they wait (no worker on the bulk queue yet)."""

from __future__ import annotations

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select, update

from feedback_service.analysis.models import TrainingRun
from feedback_service.db import get_session
from feedback_service.patterns.models import PatternRun
from feedback_service.surveys.models import Response
from tests.integration.conftest import (
    ANSWERS_QUEUE,
    BULK_QUEUE,
    TASK_QUEUE,
    WorkerStarter,
    post_answer,
    wait_for,
)
from tests.integration.test_collect_concurrency import committed_invitation
from tests.integration.test_scanner_ratings import PROCESSING_TIMEOUT, api_key

pytestmark = [pytest.mark.integration, pytest.mark.broker]


def count(app: Flask, model: type[PatternRun] | type[TrainingRun]) -> int:
    with app.app_context():
        return int(get_session().scalar(select(func.count()).select_from(model)) or 0)


def status_of(app: Flask, model: type[PatternRun] | type[TrainingRun], run_id: int) -> str:
    with app.app_context():
        return get_session().get_one(model, run_id).status


def test_repeated_jobs_wait_on_their_own_queue_and_never_delay_an_answer(
    live_app: Flask, http_server: str, start_worker: WorkerStarter, broker_url: str
) -> None:
    # Only the default queue has a worker, as if the bulk workers were all busy.
    start_worker.start(TASK_QUEUE, ANSWERS_QUEUE, name="answers")
    reports, admin = api_key(live_app, "reports"), api_key(live_app, "admin")

    gaps = f"{http_server}/api/v1/reports/product-gaps/refresh"
    refreshes = [requests.post(gaps, json={}, headers=reports, timeout=30) for _ in range(8)]
    trainings = [
        requests.post(f"{http_server}/api/v1/analysis/train", json={}, headers=admin, timeout=30)
        for _ in range(5)
    ]
    assert [r.status_code for r in refreshes] == [202] + [200] * 7
    assert [r.status_code for r in trainings] == [202] + [200] * 4
    job_id, training_id = refreshes[0].json()["id"], trainings[0].json()["id"]
    assert {r.json()["id"] for r in refreshes} == {job_id}
    assert {r.json()["id"] for r in trainings} == {training_id}
    assert (count(live_app, PatternRun), count(live_app, TrainingRun)) == (1, 1)
    if broker_url.startswith("redis"):
        import redis

        broker = redis.Redis.from_url(broker_url)
        assert broker.llen(BULK_QUEUE) == 2  # one message per job, on the bulk queue

    # A customer answers: the answer is processed while both jobs still wait.
    _invitation_id, token = committed_invitation(live_app, "BULK-QUEUE-1")
    response_id = post_answer(http_server, token, {"csat": 2}, "Slow.")

    def processed() -> bool:
        with live_app.app_context():
            response = get_session().get_one(Response, response_id)
            return response.processed_version == response.version

    wait_for(processed, timeout=PROCESSING_TIMEOUT)
    assert status_of(live_app, PatternRun, job_id) == "queued"
    assert status_of(live_app, TrainingRun, training_id) == "queued"

    # A worker on the bulk queue then runs the refresh (the training is called off
    # first: it would take minutes, and its task leaves a finished run alone).
    with live_app.app_context():
        session = get_session()
        session.execute(
            update(TrainingRun).where(TrainingRun.id == training_id).values(status="failed")
        )
        session.commit()
    start_worker.start(BULK_QUEUE, name="bulk")
    wait_for(lambda: status_of(live_app, PatternRun, job_id) == "done", timeout=120)
    # Done, the next refresh is a new job.
    again = requests.post(gaps, json={}, headers=reports, timeout=30)
    assert again.status_code == 202 and again.json()["id"] != job_id
