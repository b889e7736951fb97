"""Background work of comment analysis: the comment of each processed response,
retraining, re-scoring, and resuming a re-scoring pass that lost its chain."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments import rescore, service, training
from feedback_service.analysis.comments.analyzer import current_analyzer, model_dir
from feedback_service.analysis.models import TrainingRun
from feedback_service.db import get_session
from feedback_service.surveys.models import Response
from workers.celery_app import enqueue, enqueue_after_commit

log = logging.getLogger(__name__)

# A batch of 1,000 takes about a second; a run with no progress for this long lost
# its chain (broker down, worker killed between commit and send) and is resumed.
STALLED_AFTER = dt.timedelta(minutes=10)


def analyse_in_task(session: Session, response: Response) -> str:
    """Analyse this version of the response's comment, inside ``process_response``.

    Runs in a savepoint of the task's transaction and never raises: a failing
    model must not hold back the score rollups. A comment left unanalysed (or at
    an older version) is picked up by the next ``flask analysis rescore``, which
    redoes every row not at the current model and response version.
    """
    try:
        with session.begin_nested():
            return service.analyse_response(session, response, current_analyzer())
    except Exception:
        log.exception("comment analysis of response %s failed", response.id)
        return "failed"


@shared_task(name="feedback_service.analysis.comments.tasks.train_model")
def train_model(run_id: int) -> str:
    session = get_session()
    run = session.scalars(
        select(TrainingRun).where(TrainingRun.id == run_id).with_for_update()
    ).first()
    if run is None:
        session.rollback()
        return "missing"
    # "running" is retried too: a worker killed mid-training leaves it so, and the
    # redelivered task must finish the job (training the same rows is harmless).
    if run.status not in ("queued", "running"):
        session.rollback()
        return run.status
    run.status = "running"
    session.commit()
    try:
        training.execute(
            session, run, model_dir(), current_app.config.get("MODEL_PROMOTION_TOLERANCE", 0.0)
        )
    except Exception:
        session.commit()  # keep the "failed" record
        log.exception("training run %s failed", run_id)
        return "failed"
    session.commit()
    return "promoted" if run.promoted else "not-promoted"


@shared_task(name="feedback_service.analysis.comments.tasks.rescore_batch")
def rescore_batch(run_id: int, cursor: int) -> str:
    session = get_session()
    outcome = rescore.rescore_batch(session, run_id, cursor, current_analyzer())
    if outcome.status == "batch":
        enqueue_after_commit(session, rescore_batch, run_id, outcome.cursor)
    session.commit()
    return outcome.status


@shared_task(name="feedback_service.analysis.comments.tasks.resume_stalled_rescores")
def resume_stalled_rescores() -> int:
    session = get_session()
    stalled = rescore.stalled_runs(session, STALLED_AFTER)
    session.rollback()
    for run_id, cursor in stalled:
        # Harmless if the chain is alive after all: a batch whose cursor has moved on
        # is a no-op.
        enqueue(rescore_batch, run_id, cursor)
    return len(stalled)
