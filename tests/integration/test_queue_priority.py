"""Queues by priority with a real broker and worker process: a survey email due
while thousands of answers wait to be processed goes out first, and the answers
are all processed after it (Redis: strict order; embedded broker: in turns)."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from feedback_service.scores.tasks import process_response
from tests.factories import invitation_payload
from tests.integration.conftest import (
    ANSWERS_QUEUE,
    TASK_QUEUE,
    RecordingHandler,
    WorkerStarter,
    wait_for,
)
from tests.integration.test_worker_dispatch import _ingest_headers

pytestmark = [pytest.mark.integration, pytest.mark.broker]

BACKLOG = 300


class Backlog:
    """Counts the messages on a queue that no worker has taken yet, as the broker
    does, over one connection (the embedded broker's pool is small)."""

    def __init__(self, app: Flask, queue: str) -> None:
        self.connection = app.extensions["celery"].connection_for_read()
        self.queue = self.connection.SimpleQueue(queue)

    def __call__(self) -> int:
        try:
            return int(self.queue.qsize())
        except self.connection.channel_errors:  # Redis drops an emptied queue's key
            return 0

    def close(self) -> None:
        self.queue.close()
        self.connection.release()


@pytest.mark.timeout(900)
def test_a_survey_email_is_not_held_back_by_an_answer_backlog(
    live_app: Flask,
    start_worker: WorkerStarter,
    smtp_server: tuple[Controller, RecordingHandler],
) -> None:
    _controller, handler = smtp_server
    celery = live_app.extensions["celery"]
    waiting = Backlog(live_app, ANSWERS_QUEUE)
    # A backlog of answer processing, as a bulk import or a demo seed leaves it (ids
    # of answers that do not exist: each task is quick, and there are many).
    with celery.producer_or_acquire() as producer:
        for fake_id in range(10_000_000, 10_000_000 + BACKLOG):
            process_response.apply_async((fake_id,), producer=producer)
    # RabbitMQ counts a queue's messages once its queue process has taken them, which
    # can trail the publish on this connection by a moment: wait for the whole backlog.
    wait_for(lambda: waiting() == BACKLOG, timeout=30, interval=0.05)

    # Then a ticket closes and its survey email is due now.
    created = live_app.test_client().post(
        "/api/v1/invitations",
        json=invitation_payload(customer={"email": "kim@example.com", "name": "Kim"}),
        headers=_ingest_headers(live_app),
    )
    assert created.status_code == 201, created.json

    # One worker on both queues, as bin/run and docker-compose start it.
    start_worker.start(TASK_QUEUE, ANSWERS_QUEUE, name="default")
    wait_for(lambda: handler.messages, timeout=60, interval=0.05)
    left = waiting()
    assert left > BACKLOG // 2, f"the email went out only after {BACKLOG - left} answers"
    assert handler.messages[0]["To"] == "Kim <kim@example.com>"

    # The answers are not starved: the whole backlog is taken after the email (the
    # first answer task may load or train the comment model first).
    try:
        wait_for(lambda: waiting() == 0, timeout=600, interval=0.5)
    finally:
        waiting.close()
