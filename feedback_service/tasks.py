"""Sending work to the workers: the one place features enqueue tasks.

Tasks go out through Celery's own API (``apply_async``, which publishes on a
producer from the app's pool); nothing here knows the broker or the message.
Work a transaction made is sent only once it has committed (Warehouse's
``addAfterCommitHook``): a rolled-back change sends nothing, and if the broker
is down the commit still stands and the periodic sweeps send the work later.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from celery import Celery, Task
from flask import current_app
from sqlalchemy.orm import Session

from feedback_service.db import after_commit

log = logging.getLogger(__name__)

JobT = TypeVar("JobT")


def backoff_seconds(attempt: int, base: int = 30) -> int:
    """The wait before retry ``attempt``: base, 2x, 4x, ... With 30 s, five attempts
    (a survey email) retry for a quarter hour in all, eight (an alert) about an hour."""
    return int(base * 2 ** max(attempt - 1, 0))


def bound_task(task: Task) -> Task:
    """The task as registered on this Flask app's Celery app.

    Shared tasks follow Celery's process-wide default app; resolving through
    ``current_app`` keeps each Flask app (and each test app) on its own broker.
    """
    celery: Celery = current_app.extensions["celery"]
    bound: Task = celery.tasks[task.name]
    return bound


def enqueue(task: Task, *args: Any, **options: Any) -> None:
    """Send ``task(*args)`` now; ``options`` go to ``apply_async`` (``retry=False``
    on a request's path: a send that fails is left to the sweep)."""
    bound_task(task).apply_async(args=args, **options)


def enqueue_after_commit(session: Session, task: Task, *args: Any, **options: Any) -> None:
    """Send ``task(*args)`` once ``session`` commits; never for a rolled-back change.

    Sent without Celery's retries: the commit has been acknowledged, so a broker
    that is down must not hold the request; the sweep enqueues the work later.
    (With ``task_always_eager`` in unit tests the task runs inline, in its own app
    context and session, right after the commit.)
    """
    bound = bound_task(task)
    after_commit(session, lambda: bound.apply_async(args=args, retry=False, **options))


def enqueue_again(session: Session, task: Task, ids: list[int], what: str) -> int:
    """A sweep's second chance: ``task(id)`` for each of ``ids`` (rows committed but
    never handled: a lost enqueue, a dead worker). The read transaction ends first,
    since the tasks claim their rows themselves."""
    session.rollback()
    for row_id in ids:
        enqueue(task, row_id)
    if ids:
        log.info("sweep re-enqueued %d %s", len(ids), what)
    return len(ids)


def lock_job(session: Session, model: type[JobT], job_id: int) -> JobT | None:
    """A job's row by id, locked until the task's transaction ends (a second copy of
    the task waits, then sees the status the first one left). ``None``, with the
    transaction ended, when there is no such row."""
    job = session.get(model, job_id, with_for_update=True, populate_existing=True)
    if job is None:
        session.rollback()
    return job
