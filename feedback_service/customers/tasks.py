"""The retention sweep on the beat schedule (workers/celery_app.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from celery import shared_task
from flask import current_app

from feedback_service.customers import outbox, retention
from feedback_service.db import get_session, utcnow

BATCH = 500
# One run erases at most this many batches; the next day's run goes on.
MAX_BATCHES = 200


@shared_task(name="feedback_service.customers.tasks.erase_expired_comments")
def erase_expired_comments() -> str:
    days = int(current_app.config.get("RETENTION_DAYS") or 0)
    if days <= 0:
        return "off"
    session = get_session()
    now = utcnow()
    before = retention.cutoff(now, days)
    total: Counter[str] = Counter()
    for _ in range(MAX_BATCHES):
        counts = retention.erase_batch(session, before, BATCH)
        session.commit()  # each batch on its own: row locks held briefly
        if not counts:
            break
        total.update(counts)
    total["outbox_files"] = outbox.delete_older_than(
        Path(current_app.config["MAIL_OUTBOX_DIR"]), before
    )
    total = +total
    if total:
        retention.record(session, total, now)
        session.commit()
    return f"erased {total.get('comments', 0)} comments"
