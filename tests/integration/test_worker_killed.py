"""Exactly once when the worker dies: answers keep arriving over HTTP while a real
Celery worker is killed with SIGKILL mid-stream; a new worker and the response sweep
then bring every answer in, each counted once, and the rollups equal a rebuild."""

from __future__ import annotations

import signal
import subprocess
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from feedback_service.db import get_session
from feedback_service.surveys.models import Response
from feedback_service.tasks import enqueue
from tests.integration.conftest import WorkerStarter, post_answer, wait_for
from tests.integration.test_collect_concurrency import committed_invitation
from tests.integration.test_scanner_ratings import api_key, rollups_equal_a_rebuild
from workers.sweep import sweep_responses

pytestmark = [pytest.mark.integration, pytest.mark.broker]

ANSWERS = 60


def unprocessed(app: Flask) -> int:
    with app.app_context():
        session = get_session()
        n = session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.processed_version != Response.version)
        )
        session.rollback()
        return int(n or 0)


@pytest.mark.timeout(600)
def test_answers_survive_a_killed_worker_and_are_counted_once(
    live_app: Flask, http_server: str, start_worker: WorkerStarter
) -> None:
    live_app.extensions["celery"].control.purge()  # nothing left by earlier tests
    tokens = [committed_invitation(live_app, f"KILL-{i}")[1] for i in range(ANSWERS)]
    ratings = [1 + i % 5 for i in range(ANSWERS)]
    first: subprocess.Popen[str] = start_worker.start(name="doomed")

    half = ANSWERS // 2
    for token, csat in zip(tokens[:half], ratings[:half], strict=True):
        post_answer(http_server, token, {"csat": csat})
    first.send_signal(signal.SIGKILL)  # kill -9: no warm shutdown, no acks sent
    first.wait(timeout=20)
    # Answers keep coming while no worker runs: they wait on the broker.
    for token, csat in zip(tokens[half:], ratings[half:], strict=True):
        post_answer(http_server, token, {"csat": csat})

    start_worker.start(name="replacement")
    # A task the dead worker had taken is not redelivered before the broker's
    # visibility timeout; the beat's response sweep finds such answers.
    with live_app.app_context():
        enqueue(sweep_responses)
    wait_for(lambda: unprocessed(live_app) == 0, timeout=300)

    with live_app.app_context():
        session = get_session()
        stored = list(session.scalars(select(Response.csat)))
        session.rollback()
    assert sorted(c for c in stored if c is not None) == sorted(ratings)  # none lost, none twice
    summary: dict[str, Any] = requests.get(
        f"{http_server}/api/v1/reports/summary", headers=api_key(live_app, "reports"), timeout=30
    ).json()
    assert summary["responses"] == ANSWERS
    assert summary["metrics"]["csat"]["n"] == ANSWERS
    rollups_equal_a_rebuild(live_app)
