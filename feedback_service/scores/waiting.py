"""One-click ratings that do not count (yet): how many wait for a person.

A rating clicked in an email is ``provisional`` until a person is seen, and
``scanner`` when several different ratings came within seconds with no page seen
(``surveys/responses.py``). Neither is in any score; reports say how many there
are under the same filters, so a manager sees what is held back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.surveys.models import Response
from feedback_service.surveys.responses import PROVISIONAL, SCANNER


def unconfirmed_ratings(session: Session, conditions: list[Any]) -> dict[str, int]:
    """``{"provisional": n, "scanner": n}`` among the responses matching
    ``conditions`` (a report's filters, ``reports.filter_conditions``)."""
    rows = session.execute(
        select(Response.status, func.count())
        .where(Response.status.in_((PROVISIONAL, SCANNER)), *conditions)
        .group_by(Response.status)
    ).all()
    counts = {PROVISIONAL: 0, SCANNER: 0}
    for status, count in rows:
        counts[status] = int(count)
    return counts
