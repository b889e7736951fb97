"""Answer processing and the scores' background work, started when a response is saved.

``process_response`` (one new answer) and ``process_responses`` (a batch: the
sweep, seeding) run the one processing path of ``processing.py``: keep the
rollups, analyse the comments, then send ``signals.answer_processed`` for other
features (alerts) to act on each answer.

Tasks take ids, are idempotent and acknowledged late (the Celery binding's
defaults): a re-delivered task is a no-op, an amended response is processed again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from celery import shared_task

from feedback_service.analysis.comments.tasks import load_comment_analyzer
from feedback_service.db import get_session
from feedback_service.scores import processing
from feedback_service.scores.service import store_driver_run
from feedback_service.tasks import enqueue


# The task's wire name is older than this module: answers queued before the task
# moved here from analysis/ are still processed.
@shared_task(name="feedback_service.analysis.tasks.process_response")
def process_response(response_id: int) -> str:
    """One new answer, right after its commit (low latency): the batch path with
    one id. Raises if it fails (nothing written; the sweep retries it)."""
    session = get_session()
    # Comment analysis (issue 7): the model is at hand before any lock is taken.
    analyzer = load_comment_analyzer()
    return processing.process_batch(session, [response_id], analyzer)[response_id]


@shared_task(name="feedback_service.scores.tasks.process_responses")
def process_responses(response_ids: list[int]) -> dict[str, int]:
    """Many answers in one transaction (the sweep, seeding, bulk paths); an
    error splits the batch so the others are still processed. Returns how many
    ids had each outcome."""
    session = get_session()
    analyzer = load_comment_analyzer()
    outcome = processing.process_splitting(session, response_ids, analyzer)
    return dict(Counter(outcome.values()))


def enqueue_batches(response_ids: Sequence[int], **options: Any) -> int:
    """Send ``process_responses`` for the ids, ``processing.BATCH_SIZE`` a task;
    ``options`` go to ``apply_async``. Returns the number of tasks sent."""
    chunks = processing.batches(response_ids)
    for chunk in chunks:
        enqueue(process_responses, chunk, **options)
    return len(chunks)


@shared_task(name="feedback_service.scores.tasks.compute_driver_run")
def compute_driver_run() -> int:
    """The beat's task: recompute and store the unfiltered drivers report."""
    session = get_session()
    run = store_driver_run(session)
    session.commit()
    return run.id
