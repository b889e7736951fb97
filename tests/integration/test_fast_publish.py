"""The lean Redis publish of the request path sends exactly what Celery would.

A worker cannot tell the two apart: the message ``workers/publish.py`` writes is
compared field for field with the one ``apply_async`` (kombu's Redis transport)
writes for the same task and id. A Celery or kombu upgrade that changes the
message shape fails here, not in production.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from flask import Flask

from feedback_service.analysis.tasks import process_response
from feedback_service.surveys.tasks import send_invitation
from workers.celery_app import bound_task, enqueue
from workers.publish import publisher_for

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_app(broker_url: str, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    if not broker_url.startswith("redis://"):
        pytest.skip("the lean publish applies to a Redis broker only")
    from feedback_service import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    celery: Celery = app.extensions["celery"]
    # A queue of its own: other test runs' workers may share this Redis database.
    queue = f"fast-publish-{secrets.token_hex(4)}"
    celery.conf.task_default_queue = queue
    app.config["TEST_QUEUE"] = queue
    yield app
    client = redis.Redis.from_url(broker_url)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def _pop(app: Flask) -> dict[str, Any]:
    client = redis.Redis.from_url(app.extensions["celery"].conf.broker_url)
    raw = client.rpop(app.config["TEST_QUEUE"])
    assert raw is not None, "nothing was published"
    message: dict[str, Any] = json.loads(raw)
    return message


@pytest.mark.parametrize("task", [process_response, send_invitation])
def test_the_lean_message_is_the_one_celery_sends(redis_app: Flask, task: Any) -> None:
    with redis_app.app_context():
        bound = bound_task(task)
        publisher = publisher_for(bound.app)
        assert publisher is not None
        bound.apply_async(args=(42,), task_id="fixed-task-id", retry=False)
        by_celery = _pop(redis_app)
        assert publisher.publish(bound, (42,), task_id="fixed-task-id")
        lean = _pop(redis_app)
    # Each message carries its own delivery tag, a fresh uuid.
    assert lean["properties"].pop("delivery_tag") != by_celery["properties"].pop("delivery_tag")
    assert lean == by_celery


def test_enqueue_without_retry_goes_out_once(redis_app: Flask) -> None:
    with redis_app.app_context():
        enqueue(process_response, 7, retry=False)
        message = _pop(redis_app)
    assert message["headers"]["task"] == process_response.name
    assert message["headers"]["argsrepr"] == "(7,)"
    with pytest.raises(AssertionError):
        _pop(redis_app)


def test_anything_but_plain_ids_takes_celerys_own_path(redis_app: Flask) -> None:
    with redis_app.app_context():
        bound = bound_task(process_response)
        publisher = publisher_for(bound.app)
        assert publisher is not None
        assert not publisher.publish(bound, ("42",))
        with pytest.raises(TypeError):
            publisher.publish(bound, (1, 2))  # the task takes one id


def test_eager_mode_and_other_brokers_use_celery(app: Flask) -> None:
    """The test app runs tasks eagerly: no lean path there."""
    assert publisher_for(app.extensions["celery"]) is None
