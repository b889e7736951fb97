"""Re-scoring stored comments with the current model, over any number of rows.

A run walks ``responses`` by id (keyset pagination on the primary key, so the
thousandth batch costs what the first does), one batch per task: the task reads
the rows after the run's cursor that are not yet at the current model and
response version, ends that read, analyses them with one ``analyze_many`` call
(no lock held meanwhile), then locks the run row, checks that the cursor is
still where it expected (otherwise another delivery of the batch got there
first and nothing is written), writes, moves the cursor and commits; the next
batch is enqueued after that commit. A run interrupted anywhere resumes from its
cursor (``flask analysis rescore --resume ID``) and no row is scored twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments.service import ResponseFacts, write_analyses
from feedback_service.analysis.models import CommentAnalysis, RescoreRun
from feedback_service.db import utcnow
from feedback_service.errors import NotFound
from feedback_service.surveys.models import Response

if TYPE_CHECKING:
    from feedback_service.analysis.text import CommentAnalysis as AnalysisResult

DEFAULT_BATCH = 1000


@dataclass(frozen=True)
class BatchOutcome:
    status: str  # "batch", "done", "duplicate", "finished-already"
    scanned: int = 0
    rescored: int = 0
    cursor: int = 0


def start_run(session: Session, model_version: str, who: str, batch_size: int) -> RescoreRun:
    run = RescoreRun(
        status="running",
        model_version=model_version,
        batch_size=batch_size,
        cursor=0,
        scanned=0,
        rescored=0,
        requested_by=who,
    )
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: int, lock: bool = False) -> RescoreRun:
    stmt = select(RescoreRun).where(RescoreRun.id == run_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    run = session.scalars(stmt).first()
    if run is None:
        raise NotFound(f"No rescore run {run_id}.")
    return run


@dataclass(frozen=True)
class BatchPlan:
    """One batch as read: the rows to (re-)score, and where the cursor goes after it."""

    run_id: int
    cursor: int
    todo: list[ResponseFacts]
    scanned: int
    next_cursor: int
    last: bool


def comments_after(session: Session, cursor: int) -> int:
    """How many comments a run at ``cursor`` has still to scan."""
    return int(
        session.scalar(
            select(func.count()).where(
                Response.id > cursor, Response.comment.is_not(None), Response.comment != ""
            )
        )
        or 0
    )


def plan_batch(
    session: Session, run_id: int, expected_cursor: int, model_version: str
) -> BatchPlan | BatchOutcome:
    """Read the batch after ``expected_cursor``: the rows not at ``model_version`` and
    their response's latest version. Takes no lock; the caller ends the read before
    the model works, so no database lock waits on it."""
    run = get_run(session, run_id)
    if run.status != "running":
        return BatchOutcome("finished-already", cursor=run.cursor)
    if run.cursor != expected_cursor:
        return BatchOutcome("duplicate", cursor=run.cursor)
    rows = session.execute(
        select(
            Response.id,
            Response.version,
            Response.comment,
            Response.csat,
            Response.nps,
            Response.ces,
            Response.agent_id,
            Response.team_id,
            Response.ticket_id,
            Response.submitted_at,
            CommentAnalysis.model_version,
            CommentAnalysis.response_version,
        )
        .outerjoin(CommentAnalysis, CommentAnalysis.response_id == Response.id)
        .where(Response.id > expected_cursor, Response.comment.is_not(None), Response.comment != "")
        .order_by(Response.id)
        .limit(run.batch_size)
    ).all()
    todo = [
        ResponseFacts.of(r)
        for r in rows
        if (r.model_version, r.response_version) != (model_version, r.version)
        and (r.comment or "").strip()
    ]
    return BatchPlan(
        run_id=run_id,
        cursor=expected_cursor,
        todo=todo,
        scanned=len(rows),
        next_cursor=rows[-1].id if rows else expected_cursor,
        last=len(rows) < run.batch_size,
    )


def apply_batch(
    session: Session, plan: BatchPlan, results: Sequence[AnalysisResult], model_version: str
) -> BatchOutcome:
    """Write a batch's analyses and move the run on (flushes; the caller commits).

    The run row is locked and its cursor checked again: if another delivery of
    the same batch got there first, nothing is written. A response amended since
    it was read is left alone: its own ``process_response`` analyses the new text.
    """
    run = get_run(session, plan.run_id, lock=True)
    if run.status != "running":
        return BatchOutcome("finished-already", cursor=run.cursor)
    if run.cursor != plan.cursor:
        return BatchOutcome("duplicate", cursor=run.cursor)
    ids = [t.id for t in plan.todo]
    current = (
        dict(
            session.execute(
                select(Response.id, Response.version)
                .where(Response.id.in_(ids))
                .order_by(Response.id)
                .with_for_update()
            ).all()
        )
        if ids
        else {}
    )
    items = [
        (facts, result)
        for facts, result in zip(plan.todo, results, strict=True)
        if current.get(facts.id) == facts.version
    ]
    write_analyses(session, items)
    run.scanned += plan.scanned
    run.rescored += len(items)
    run.cursor = plan.next_cursor
    run.model_version = model_version
    run.updated_at = utcnow()
    if plan.last:
        run.status = "done"
        run.finished_at = run.updated_at
    session.flush()
    return BatchOutcome("done" if plan.last else "batch", plan.scanned, len(items), run.cursor)


SWEEP_REQUESTER = "sweep: comments without an analysis"


def unanalysed_since_last_sweep(session: Session) -> bool:
    """Whether a processed answer's comment has no analysis (processed while no model
    existed, or its analysis failed) and changed since the sweep last started a run
    for such comments: a comment that fails every time starts one run, not one a
    minute."""
    last = session.scalar(
        select(RescoreRun.created_at)
        .where(RescoreRun.requested_by == SWEEP_REQUESTER)
        .order_by(RescoreRun.id.desc())
        .limit(1)
    )
    stmt = (
        select(Response.id)
        .outerjoin(CommentAnalysis, CommentAnalysis.response_id == Response.id)
        .where(
            CommentAnalysis.response_id.is_(None),
            Response.processed_version >= Response.version,
            Response.comment.is_not(None),
            Response.comment != "",
        )
        .limit(1)
    )
    if last is not None:
        stmt = stmt.where(Response.updated_at >= last)
    return session.scalar(stmt) is not None


def running(session: Session) -> bool:
    return (
        session.scalar(select(RescoreRun.id).where(RescoreRun.status == "running").limit(1))
        is not None
    )


def stalled_runs(session: Session, older_than: dt.timedelta) -> list[tuple[int, int]]:
    """Running passes with no batch done for a while: (run id, cursor) to resume."""
    return [
        (run_id, cursor)
        for run_id, cursor in session.execute(
            select(RescoreRun.id, RescoreRun.cursor).where(
                RescoreRun.status == "running", RescoreRun.updated_at <= utcnow() - older_than
            )
        )
    ]


class RescoreRunView(TypedDict):
    id: int
    status: str
    model_version: str
    batch_size: int
    cursor: int
    scanned: int
    rescored: int
    requested_by: str
    created_at: str
    updated_at: str
    finished_at: str | None


def run_view(run: RescoreRun) -> RescoreRunView:
    return {
        "id": run.id,
        "status": run.status,
        "model_version": run.model_version,
        "batch_size": run.batch_size,
        "cursor": run.cursor,
        "scanned": run.scanned,
        "rescored": run.rescored,
        "requested_by": run.requested_by,
        "created_at": run.created_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
