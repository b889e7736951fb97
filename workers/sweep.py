"""The scheduler's pass over committed work: send what has fallen due, and
re-enqueue what was committed but never processed.

Delayed invitations are not put on the broker at request time; this pass sends
them when they fall due. An after-commit enqueue can also be lost (broker down,
process killed between commit and send, worker killed mid-task). Every row that
needs work carries its own state, so this periodic task finds it again; the
tasks themselves are idempotent, so enqueueing twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from flask import current_app

from feedback_service.db import get_session
from feedback_service.scores import tasks as score_tasks
from feedback_service.surveys import responses as responses_service
from feedback_service.surveys import service as surveys_service
from feedback_service.surveys import tasks as survey_tasks
from feedback_service.tasks import enqueue_again

log = logging.getLogger(__name__)


@shared_task(name="workers.sweep.sweep")
def sweep() -> dict[str, int]:
    session = get_session()
    grace = dt.timedelta(seconds=current_app.config["SWEEP_GRACE_SECONDS"])
    ids = surveys_service.unsent_invitation_ids(session, grace)
    return {"invitations": enqueue_again(session, survey_tasks.send_invitation, ids, "invitations")}


@shared_task(name="workers.sweep.sweep_responses")
def sweep_responses() -> dict[str, int]:
    """Responses committed but not processed at their latest version (the
    after-commit enqueue was lost, or a worker died mid-task) go out again."""
    session = get_session()
    grace = dt.timedelta(seconds=current_app.config["SWEEP_GRACE_SECONDS"])
    response_ids = responses_service.unprocessed_ids(session, grace)
    session.rollback()
    # In batches (``process_responses``): one transaction per few hundred answers.
    tasks = score_tasks.enqueue_batches(response_ids)
    if response_ids:
        log.info("sweep re-enqueued %d responses in %d batches", len(response_ids), tasks)
    return {"responses": len(response_ids)}
