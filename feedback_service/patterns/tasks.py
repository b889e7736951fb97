"""Background work of the pattern reports: compute a run, the schedule, the sweep.

Tasks take ids and are idempotent: a finished run is never computed again, and
a redelivered run (its worker died) starts over from no findings. A crash rolls
the computation back and marks the run ``failed`` with the error, so the job
shows it and the reports keep serving the last good run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Final

from celery import shared_task

from feedback_service.db import get_session, utcnow
from feedback_service.patterns import compute, service
from feedback_service.patterns.models import PatternRun
from feedback_service.tasks import enqueue_again, lock_job

log = logging.getLogger(__name__)

# A scheduled run is skipped if one over the same data was made this recently
# (a beat fired twice, or two beats ran during a failover).
SCHEDULE_MIN_INTERVAL: Final = {
    service.COMPLAINT_PATTERNS: dt.timedelta(hours=20),
    service.PRODUCT_GAPS: dt.timedelta(minutes=50),
}
SWEEP_AFTER: Final = dt.timedelta(minutes=2)


@shared_task(name="feedback_service.patterns.tasks.compute_pattern_run")
def compute_pattern_run(run_id: int) -> str:
    session = get_session()
    run = lock_job(session, PatternRun, run_id)
    if run is None:
        return "missing"
    if run.status in ("done", "failed"):
        session.rollback()
        return run.status
    service.start_run(session, run)
    session.commit()
    try:
        emerging = compute.compute_run(session, run)
        compute.alert_emerging(session, run, emerging)
        session.commit()
    except Exception as exc:
        session.rollback()
        log.exception("pattern run %s failed", run_id)
        service.fail_run(session, run_id, f"{type(exc).__name__}: {exc}")
        session.commit()
        return "failed"
    return "done"


@shared_task(name="feedback_service.patterns.tasks.scheduled_pattern_run")
def scheduled_pattern_run(kind: str) -> str:
    """The default-window run of ``kind`` (no filters), computed in this worker."""
    session = get_session()
    now = utcnow()
    span = service.window(kind, None, None, now.date())
    if service.recent_scheduled_run(
        session, kind, now - SCHEDULE_MIN_INTERVAL[kind], span.data.last
    ):
        session.rollback()
        return "skipped"
    run = service.create_run(session, kind, {}, trigger="schedule", today=now.date())
    session.commit()
    return str(compute_pattern_run(run.id))


@shared_task(name="feedback_service.patterns.tasks.sweep_pattern_runs")
def sweep_pattern_runs() -> int:
    """Runs committed as queued whose enqueue was lost go out again."""
    session = get_session()
    run_ids = service.queued_run_ids(session, SWEEP_AFTER)
    return enqueue_again(session, compute_pattern_run, run_ids, "pattern runs")
