"""Answer processing and the scores' background work, started when a response is saved.

``process_response`` keeps the rollups, analyses the comment, then sends
``signals.answer_processed`` for other features (alerts) to act on the answer.

Tasks take ids, are idempotent and acknowledged late (the Celery binding's
defaults). A response carries ``version`` (bumped on every change) and
``processed_version``; a task processes the version it finds and records it, so a
re-delivered task is a no-op and an amended response is processed again.
"""

from __future__ import annotations

from celery import shared_task
from flask import current_app
from sqlalchemy import select, update

from feedback_service.analysis.comments.tasks import analyse_in_task, load_comment_analyzer
from feedback_service.db import get_session
from feedback_service.scores import rollups
from feedback_service.scores.service import store_driver_run
from feedback_service.scores.signals import answer_processed
from feedback_service.surveys.models import Response


# The task's wire name is older than this module: answers queued before the task
# moved here from analysis/ are still processed.
@shared_task(name="feedback_service.analysis.tasks.process_response")
def process_response(response_id: int) -> str:
    session = get_session()
    # Comment analysis (issue 7): the model is at hand before any lock is taken.
    analyzer = load_comment_analyzer()
    # The row lock serialises this with an amendment and with a duplicate delivery
    # of the same task: the second one waits, then sees the version recorded.
    row = session.scalars(
        select(Response)
        .where(Response.id == response_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        session.rollback()
        return "missing"
    if row.processed_version >= row.version:
        session.rollback()
        return "up-to-date"
    rollups.apply_response(session, row)
    # Comment analysis (issue 7): this version's comment, with its rating.
    analyse_in_task(session, row, analyzer)
    # Subscribers (alerts: a detractor answer with a comment alerts once) write in
    # this transaction, so they are done exactly when the version is recorded.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    answer_processed.send(app, session=session, response=row)
    session.execute(
        update(Response)
        .where(Response.id == response_id, Response.processed_version < row.version)
        # updated_at is the customer's last change; processing must not move it.
        .values(processed_version=row.version, updated_at=Response.updated_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return "processed"


@shared_task(name="feedback_service.scores.tasks.compute_driver_run")
def compute_driver_run() -> int:
    """The beat's task: recompute and store the unfiltered drivers report."""
    session = get_session()
    run = store_driver_run(session)
    session.commit()
    return run.id
