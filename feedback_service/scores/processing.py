"""Answer processing: many answers in one transaction, or one the same way.

A batch locks its responses (``SELECT .. FOR UPDATE`` in id order, so two
batches never deadlock; on SQLite the ``BEGIN IMMEDIATE`` transaction serialises
them), skips those already processed at their version, analyses their
comments as one batch, sends ``signals.answer_processed`` per answer and
``signals.answers_processed`` for the batch (alerts write in this transaction),
applies all of their rollup deltas summed per cell, records each
``processed_version`` and commits once.

The rollups come last: their cells (a day's team, channel and all-agents cells)
are shared between concurrent batches, and a cell's row lock is held from its
``add_counts`` to the commit, so a second worker process waits on it for
milliseconds, not for the other batch's comment analysis.

A response carries ``version`` (bumped on every change) and
``processed_version``; a batch processes the version it finds and records it, so
a re-delivered batch is a no-op and an amended response is processed again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, selectinload

from feedback_service.analysis.comments.tasks import analyse_many_in_task
from feedback_service.scores import rollups
from feedback_service.scores.signals import answer_processed, answers_processed
from feedback_service.surveys.models import Response

if TYPE_CHECKING:
    from feedback_service.analysis.text import Analyzer

log = logging.getLogger(__name__)

# Response ids per batch task: a few hundred milliseconds of work, so a batch
# holds its locks briefly and a redelivery redoes little.
BATCH_SIZE = 200

RESPONSES: Table = Response.__table__  # type: ignore[assignment]
RECORD_VERSION = (
    update(RESPONSES)
    .where(RESPONSES.c.id == bindparam("rid"), RESPONSES.c.processed_version < bindparam("ver"))
    # updated_at is the customer's last change; processing must not move it.
    .values(processed_version=bindparam("ver"), updated_at=RESPONSES.c.updated_at)
)


def batches(response_ids: Sequence[int], size: int = BATCH_SIZE) -> list[list[int]]:
    """The ids in sorted chunks of ``size``."""
    ordered = sorted(set(response_ids))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def process_batch(
    session: Session, response_ids: Sequence[int], analyzer: Analyzer | None
) -> dict[int, str]:
    """Process the responses in one transaction and commit it (or roll back when
    nothing was to do). Returns, per id: processed, up-to-date or missing.
    Raises, with nothing written, if any answer's processing raises."""
    ids = sorted(set(response_ids))
    outcome = dict.fromkeys(ids, "missing")
    rows = session.scalars(
        select(Response)
        .where(Response.id.in_(ids))
        .order_by(Response.id)
        .with_for_update(of=Response)
        # What the subscribers read (an alert's ticket, agent, team, survey), loaded
        # for the whole batch in a few queries rather than one per answer.
        .options(
            selectinload(Response.ticket),
            selectinload(Response.agent),
            selectinload(Response.team),
            selectinload(Response.survey),
        )
        .execution_options(populate_existing=True)
    ).all()
    todo = []
    for row in rows:
        current = row.processed_version >= row.version
        outcome[row.id] = "up-to-date" if current else "processed"
        if not current:
            todo.append(row)
    if not todo:
        session.rollback()
        return outcome
    # Comment analysis (issue 7): these versions' comments, with their ratings.
    analyse_many_in_task(session, todo, analyzer)
    # Subscribers (alerts: a detractor answer with a comment alerts once) write in
    # this transaction, so they are done exactly when the version is recorded.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for row in todo:
        answer_processed.send(app, session=session, response=row)
    answers_processed.send(app, session=session, responses=todo)
    rollups.apply_responses(session, todo)
    session.execute(RECORD_VERSION, [{"rid": row.id, "ver": row.version} for row in todo])
    session.commit()
    return outcome


def process_splitting(
    session: Session, response_ids: Sequence[int], analyzer: Analyzer | None
) -> dict[int, str]:
    """``process_batch``, and if it fails, each half again, down to single
    answers: one answer that cannot be processed costs the others nothing. A
    single one that fails is logged and marked "failed" (``processed_version``
    unchanged, so the sweep retries it)."""
    try:
        return process_batch(session, response_ids, analyzer)
    except Exception:
        session.rollback()
        if len(response_ids) == 1:
            log.exception("processing response %s failed; the sweep retries it", response_ids[0])
            return {response_ids[0]: "failed"}
        log.warning("a batch of %d responses failed; splitting it", len(response_ids))
    ids = sorted(set(response_ids))
    middle = len(ids) // 2
    outcome = process_splitting(session, ids[:middle], analyzer)
    outcome.update(process_splitting(session, ids[middle:], analyzer))
    return outcome
