"""Retention: comments older than ``RETENTION_DAYS`` are erased, daily (off: 0).

The comment and every copy of it go the way a customer's erasure removes them
(``scrub.erase_comments``): the ratings stay counted, the rollups' comment count
is corrected, and outbox files older than the limit are deleted. Each run leaves
one audit row (trigger ``retention``) with what it erased.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.customers.models import CustomerErasure
from feedback_service.customers.scrub import erase_comments
from feedback_service.surveys.models import Response


def cutoff(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=days)


def erase_batch(session: Session, before: dt.datetime, batch: int) -> Counter[str]:
    """Erase up to ``batch`` comments submitted before ``before``; the caller commits."""
    responses = list(
        session.scalars(
            select(Response)
            .where(Response.comment.is_not(None), Response.submitted_at < before)
            .order_by(Response.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    return erase_comments(session, responses) if responses else Counter()


def record(session: Session, counts: Counter[str], now: dt.datetime) -> CustomerErasure:
    row = CustomerErasure(
        subject_hash=None,
        trigger="retention",
        requested_by="schedule",
        counts=dict(sorted(counts.items())),
        erased_at=now,
    )
    session.add(row)
    session.flush()
    return row
