"""Background work of comment analysis: the comment of each processed response,
retraining, re-scoring, and resuming a re-scoring pass that lost its chain."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from celery import shared_task
from flask import current_app
from sqlalchemy.orm import Session

from feedback_service.analysis.comments import rescore, service, training
from feedback_service.analysis.comments.analyzer import current_analyzer, model_dir, ready_version
from feedback_service.analysis.models import TrainingRun
from feedback_service.db import get_session, utcnow
from feedback_service.progress import Advance, no_progress
from feedback_service.surveys.models import Response
from feedback_service.tasks import enqueue, enqueue_after_commit, lock_job

if TYPE_CHECKING:
    from feedback_service.analysis.text import Analyzer

log = logging.getLogger(__name__)

# A batch of 1,000 takes about a second; a run with no progress for this long lost
# its chain (broker down, worker killed between commit and send) and is resumed.
STALLED_AFTER = dt.timedelta(minutes=10)
# A scheduled adaptation still queued or running after this lost its message or its
# worker (training takes minutes): the next beat sends it again.
ADAPTATION_STALLED_AFTER = dt.timedelta(hours=6)


def load_comment_analyzer() -> Analyzer | None:
    """The analyzer for ``process_response``, fetched before it takes any lock.

    None (logged) if there is no model: the scores are processed anyway, the comment
    stays unanalysed (``analysis`` null) and ``analyse_missing_comments`` analyses it
    once ``flask analysis build`` has made the model. Never trained here: that takes
    15-60 s, and inside the task's transaction would hold the response's row lock
    (on SQLite, the whole database) for as long.
    """
    from feedback_service.analysis.text import ModelNotReady

    try:
        return current_analyzer()
    except ModelNotReady as exc:
        log.warning("comment not analysed: %s", exc)
        return None
    except Exception:
        log.exception("the comment analyzer could not be loaded")
        return None


TRAIN_STEPS = 3


def train_now(
    session: Session,
    run: TrainingRun,
    directory: Path,
    tolerance: float,
    advance: Advance = no_progress,
) -> None:
    """Run a training whose "running" state is committed; commits its outcome.
    ``advance`` is called after each of ``TRAIN_STEPS``: read, trained, recorded.

    The labels are read and that read ended before training: training takes
    seconds to minutes and must hold no lock (on SQLite, the whole database).
    """
    data = training.gather(session, training.rating_settings(current_app.config))
    session.rollback()
    advance(1)
    try:
        report = training.train(data, directory, tolerance)
    except Exception as exc:
        log.exception("training run %s failed", run.id)
        training.record_failure(session, run, exc)
        session.commit()
        return
    advance(1)
    training.record(session, run, data, report)
    session.commit()
    advance(1)


def rescore_once(
    session: Session, run_id: int, cursor: int, analyzer: Analyzer
) -> rescore.BatchOutcome:
    """One batch of a re-scoring run, the model working between the read and the
    write transactions (the caller commits the write)."""
    plan = rescore.plan_batch(session, run_id, cursor, analyzer.model_version)
    session.rollback()
    if isinstance(plan, rescore.BatchOutcome):
        return plan
    texts = [t.comment for t in plan.todo]
    results = analyzer.analyze_many(texts, [t.ratings for t in plan.todo]) if texts else []
    return rescore.apply_batch(session, plan, results, analyzer.model_version)


def analyse_in_task(session: Session, response: Response, analyzer: Analyzer | None) -> str:
    """``analyse_many_in_task`` for one response."""
    return analyse_many_in_task(session, [response], analyzer).get(response.id, "failed")


def analyse_many_in_task(
    session: Session, responses: Sequence[Response], analyzer: Analyzer | None
) -> dict[int, str]:
    """Analyse this version of each response's comment, inside answer processing,
    the comments as one batch through the vectorised model.

    Runs in a savepoint of the task's transaction and never raises: a failing
    model must not hold back the score rollups. If the batch fails, each answer
    is tried alone, so one bad comment leaves only itself unanalysed. A comment
    left unanalysed (or at an older version) is picked up by the next ``flask
    analysis rescore``, which redoes every row not at the current model and
    response version. Returns, per response id, what was done.
    """
    if analyzer is None:
        return {r.id: "no-analyzer" for r in responses}
    try:
        with session.begin_nested():
            return service.analyse_responses(session, responses, analyzer)
    except Exception:
        if len(responses) == 1:
            log.exception("comment analysis of response %s failed", responses[0].id)
            return {responses[0].id: "failed"}
        log.exception("comment analysis of %d responses failed; one by one", len(responses))
    outcome: dict[int, str] = {}
    for response in responses:
        outcome.update(analyse_many_in_task(session, [response], analyzer))
    return outcome


@shared_task(name="feedback_service.analysis.comments.tasks.train_model")
def train_model(run_id: int, tolerance: float | None = None) -> str:
    session = get_session()
    run = lock_job(session, TrainingRun, run_id)
    if run is None:
        return "missing"
    # "running" is retried too: a worker killed mid-training leaves it so, and the
    # redelivered task must finish the job (training the same rows is harmless).
    if run.status not in ("queued", "running"):
        session.rollback()
        return run.status
    run.status = "running"
    session.commit()
    if tolerance is None:
        tolerance = float(current_app.config.get("MODEL_PROMOTION_TOLERANCE", 0.0))
    train_now(session, run, model_dir(), tolerance)
    if run.status == "failed":
        return "failed"
    return "promoted" if run.promoted else "not-promoted"


@shared_task(name="feedback_service.analysis.comments.tasks.schedule_rating_adaptation")
def schedule_rating_adaptation() -> str:
    """The beat's daily look at the rated comments: queue a ``ratings`` training run
    once enough came in since the last one; never a second while one is pending."""
    session = get_session()
    plan = training.plan_rating_adaptation(
        session,
        training.rating_settings(current_app.config),
        utcnow(),
        ADAPTATION_STALLED_AFTER,
    )
    if plan.action == "skip":
        session.rollback()
        log.info("rating adaptation skipped: %s", plan.reason)
        return "skipped"
    if plan.action == "resend":
        session.rollback()
        assert plan.run_id is not None
        enqueue(train_model, plan.run_id)
        return "resent"
    run = training.new_run(session, training.RATINGS_TRIGGER, f"schedule: {plan.reason}")
    enqueue_after_commit(session, train_model, run.id)
    session.commit()
    return "queued"


@shared_task(name="feedback_service.analysis.comments.tasks.rescore_batch")
def rescore_batch(run_id: int, cursor: int) -> str:
    session = get_session()
    outcome = rescore_once(session, run_id, cursor, current_analyzer())
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


@shared_task(name="feedback_service.analysis.comments.tasks.analyse_missing_comments")
def analyse_missing_comments() -> str:
    """The beat's look for comments processed without an analysis (no model existed
    yet, or their analysis failed): once a model is ready, a re-scoring run analyses
    them (and anything else not at the current model)."""
    session = get_session()
    version = ready_version()
    if version is None:
        session.rollback()
        return "no-model"
    if rescore.running(session) or not rescore.unanalysed_since_last_sweep(session):
        session.rollback()
        return "nothing"
    run = rescore.start_run(session, version, rescore.SWEEP_REQUESTER, rescore.DEFAULT_BATCH)
    enqueue_after_commit(session, rescore_batch, run.id, 0)
    session.commit()
    log.info("rescore run %s started for comments without an analysis", run.id)
    return "started"
