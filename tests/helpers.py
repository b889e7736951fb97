"""Small helpers the API and integration tests share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def row_count(session: Session, model: type[Any]) -> int:
    """How many rows the table holds, read as a request would see it: the read ends
    with a commit, so no savepoint is left open on the shared test connection to
    interleave with the ones the app's requests take."""
    count = int(session.scalar(select(func.count()).select_from(model)) or 0)
    session.commit()
    return count
