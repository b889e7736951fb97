"""A saved response reaches a real Celery worker: after commit, or via the sweep."""

from __future__ import annotations

import subprocess

import pytest
from flask import Flask

from feedback_service.db import get_session
from feedback_service.scores import receivers
from feedback_service.surveys.models import Response
from feedback_service.surveys.signals import response_saved
from feedback_service.tasks import enqueue
from tests.integration.conftest import post_answer, wait_for
from tests.integration.test_collect_concurrency import committed_invitation
from workers.sweep import sweep_responses

pytestmark = pytest.mark.integration


def drain(app: Flask) -> None:
    """Drop messages earlier tests left on the session's broker (for rows long
    deleted): the worker would otherwise work through them before ours."""
    app.extensions["celery"].control.purge()


def versions(app: Flask, response_id: int) -> tuple[int, int]:
    with app.app_context():
        response = get_session().get_one(Response, response_id)
        return response.version, response.processed_version


def test_submitted_and_amended_responses_are_processed_by_the_worker(
    live_app: Flask, http_server: str, worker: subprocess.Popen[str]
) -> None:
    drain(live_app)
    _invitation_id, token = committed_invitation(live_app, "COLLECT-WORKER-1")
    response_id = post_answer(http_server, token, {"csat": 2}, "Too slow.")
    wait_for(lambda: versions(live_app, response_id) == (1, 1), timeout=120)

    post_answer(http_server, token, {"ces": 3}, status=200)
    wait_for(lambda: versions(live_app, response_id) == (2, 2), timeout=120)


def test_a_response_whose_task_was_lost_is_processed_after_the_sweep(
    live_app: Flask, worker: subprocess.Popen[str]
) -> None:
    drain(live_app)
    _invitation_id, token = committed_invitation(live_app, "COLLECT-WORKER-2")
    # As if the broker had been down at commit time: nothing is enqueued.
    response_saved.disconnect(receivers.enqueue_processing)
    try:
        answer = live_app.test_client().post(
            "/api/v1/responses", json={"token": token, "answers": {"csat": 5}}
        )
    finally:
        response_saved.connect(receivers.enqueue_processing)
    assert answer.status_code == 201
    response_id = answer.json["id"]
    assert versions(live_app, response_id) == (1, 0)
    # The next beat of the response sweep finds it (the worker runs with no grace).
    with live_app.app_context():
        enqueue(sweep_responses)
    wait_for(lambda: versions(live_app, response_id) == (1, 1), timeout=120)
