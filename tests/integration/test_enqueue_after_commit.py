"""What the request path sends to the broker, read back from the broker itself:
one message per committed change, sent after the commit, none for a rolled-back
one (PostgreSQL + Redis and the embedded broker alike)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from kombu.simple import SimpleQueue
from sqlalchemy import select

from feedback_service.db import get_session
from feedback_service.scores.tasks import process_response
from feedback_service.surveys.models import Response
from feedback_service.tasks import enqueue_after_commit
from tests.integration.conftest import ANSWERS_QUEUE
from tests.integration.test_collect_concurrency import committed_invitation

pytestmark = [pytest.mark.integration, pytest.mark.broker]


@pytest.fixture
def task_queue(live_app: Flask, committed_db: None) -> Iterator[SimpleQueue]:
    """The test run's answers queue on the real broker, emptied before and after."""
    with live_app.extensions["celery"].connection_for_read() as connection:
        queue = connection.SimpleQueue(ANSWERS_QUEUE)
        queue.clear()
        try:
            yield queue
        finally:
            queue.clear()
            queue.close()


def sent(queue: SimpleQueue) -> list[tuple[str, list[Any]]]:
    """Every task message waiting on ``queue`` as (task name, args), taken off it."""
    messages = []
    while True:
        try:
            message = queue.get(timeout=0.5)
        except queue.Empty:
            return messages
        message.ack()
        args, _kwargs, _embed = message.decode()
        messages.append((message.headers["task"], args))


def test_an_answer_sends_its_processing_once_and_a_repeat_sends_nothing(
    live_app: Flask, task_queue: SimpleQueue
) -> None:
    _invitation_id, token = committed_invitation(live_app, "ENQUEUE-1")
    client = live_app.test_client()
    body = {"token": token, "answers": {"csat": 5}, "comment": "Thanks."}
    first = client.post("/api/v1/responses", json=body)
    assert first.status_code == 201, first.json
    assert sent(task_queue) == [(process_response.name, [first.json["id"]])]

    repeat = client.post("/api/v1/responses", json=body)  # a double click: nothing new
    assert repeat.status_code == 200
    assert sent(task_queue) == []

    amended = client.post("/api/v1/responses", json={"token": token, "answers": {"csat": 4}})
    assert amended.status_code == 200
    assert sent(task_queue) == [(process_response.name, [first.json["id"]])]


def test_work_is_sent_only_once_its_transaction_commits(
    live_app: Flask, task_queue: SimpleQueue
) -> None:
    with live_app.app_context():
        session = get_session()
        session.execute(select(Response.id).limit(1))  # a transaction is open
        enqueue_after_commit(session, process_response, 101)
        session.rollback()
        session.execute(select(Response.id).limit(1))
        enqueue_after_commit(session, process_response, 102)
        assert sent(task_queue) == []  # not before the commit
        session.commit()
    assert sent(task_queue) == [(process_response.name, [102])]
