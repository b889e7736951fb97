"""The Celery app ``bench_processing`` runs its worker on: the service's own
(``workers.app``) plus the floor task, so both run in the same kind of process.

    celery -A bench.processing_worker worker --queues <CELERY_QUEUE>.answers
"""

from __future__ import annotations

from sqlalchemy import text

from workers.app import celery, flask_app

FLOOR_TASK = "bench.processing_worker.floor_process"


@celery.task(name=FLOOR_TASK)
def floor_process(response_ids: list[int]) -> int:
    """The floor the issue names: read the ids, write one row per answer, in one
    transaction (no rollups, no model, no signals)."""
    engine = flask_app.extensions["db"].engine
    with engine.begin() as conn:
        found = conn.execute(
            text("SELECT id FROM responses WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
            {"ids": response_ids},
        ).scalars()
        rows = [{"id": i} for i in found]
        if rows:
            conn.execute(text("INSERT INTO bench_floor_done (response_id) VALUES (:id)"), rows)
    return len(rows)
