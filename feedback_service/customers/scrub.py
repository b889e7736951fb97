"""Removing comments and every copy made of them, with the score rollups kept exact.

Used by a customer's erasure and by the retention sweep. A comment is copied, as
the service works, into its analysis (findings with their sentences), managers'
corrections (training labels) and agents' notes on it, the detractor alert's
payload (and the webhook body and email built from it), and the example comments
of stored pattern runs and emerging-gap alerts. ``erase_comments`` removes all of
them in the caller's transaction.

**Scores stay consistent.** The ratings of an erased comment's response stay
counted (they are not personal once the customer is anonymised); only the fact
"this answer had a comment" moves, through the same exactly-once path the worker
uses (``rollups.apply_response`` under the response's row lock), so the rollups
equal ``rollups.rebuild`` afterwards.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Text, cast, delete, or_, select
from sqlalchemy.orm import Session

from feedback_service.alerts.models import Alert
from feedback_service.alerts.responses import dedupe_key
from feedback_service.analysis.models import CommentAnalysis, CommentFinding, CommentLabel
from feedback_service.dashboard.models import CommentNote
from feedback_service.patterns.models import PatternFinding
from feedback_service.scores import rollups
from feedback_service.surveys import answers as survey_answers
from feedback_service.surveys.models import Response

ERASED = "[erased]"
_CHUNK = 200


def erase_comments(session: Session, responses: Sequence[Response]) -> Counter[str]:
    """Remove the comments of ``responses`` (loaded ``FOR UPDATE``) and their copies."""
    counts: Counter[str] = Counter()
    ids = [r.id for r in responses]
    for response in responses:
        if response.comment is None:
            continue
        response.comment = None
        response.version += 1
        session.flush()
        rollups.apply_response(session, response)
        # Everything processing would do for this version is done here.
        response.processed_version = response.version
        counts["comments"] += 1
    for chunk in _chunks(ids):
        counts["comment_findings"] += _deleted(
            session, delete(CommentFinding).where(CommentFinding.response_id.in_(chunk))
        )
        counts["comment_analyses"] += _deleted(
            session, delete(CommentAnalysis).where(CommentAnalysis.response_id.in_(chunk))
        )
        counts["comment_labels"] += _deleted(
            session, delete(CommentLabel).where(CommentLabel.response_id.in_(chunk))
        )
        counts["comment_notes"] += _deleted(
            session, delete(CommentNote).where(CommentNote.response_id.in_(chunk))
        )
    # What they typed into a survey's own text questions goes the comment's way.
    counts["text_answers"] += survey_answers.erase_free_text(session, responses)
    counts["alerts"] += _scrub_detractor_alerts(session, ids)
    counts.update(scrub_examples(session, set(ids)))
    session.flush()
    return +counts


def _deleted(session: Session, statement: Any) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _scrub_detractor_alerts(session: Session, response_ids: Sequence[int]) -> int:
    changed = 0
    for chunk in _chunks(response_ids):
        keys = [dedupe_key(i) for i in chunk]
        for alert in session.scalars(select(Alert).where(Alert.dedupe_key.in_(keys))):
            if alert.payload.get("comment") is not None:
                alert.payload = {**alert.payload, "comment": None}
                changed += 1
    return changed


def _without_examples(value: Any, response_ids: set[int]) -> tuple[Any, int]:
    """``value`` with every ``examples`` item of those responses removed."""
    if isinstance(value, dict):
        removed = 0
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "examples" and isinstance(item, list):
                kept = [
                    e
                    for e in item
                    if not (isinstance(e, dict) and e.get("response_id") in response_ids)
                ]
                removed += len(item) - len(kept)
                out[key] = kept
            else:
                out[key], n = _without_examples(item, response_ids)
                removed += n
        return out, removed
    if isinstance(value, list):
        removed = 0
        items = []
        for item in value:
            clean, n = _without_examples(item, response_ids)
            items.append(clean)
            removed += n
        return items, removed
    return value, 0


def quotes_examples_of(column: Any, response_ids: Sequence[int]) -> Any:
    # JSON is stored as json.dumps writes it (text on SQLite, json on PostgreSQL,
    # which keeps the text as given), so the example's id reads '"response_id": 7,'.
    text = cast(column, Text)
    return or_(
        *(text.like(f'%"response_id": {i},%') for i in response_ids),
        *(text.like(f'%"response_id": {i}}}%') for i in response_ids),
    )


def scrub_examples(session: Session, response_ids: set[int]) -> Counter[str]:
    """Remove the example comments of ``response_ids`` from stored pattern findings
    and from alert payloads (emerging product gaps quote examples)."""
    counts: Counter[str] = Counter()
    if not response_ids:
        return counts
    targets: list[tuple[Any, str, Callable[[Any], Any], str]] = [
        (PatternFinding, "data", lambda m: m.data, "pattern_examples"),
        (Alert, "payload", lambda m: m.payload, "alert_examples"),
    ]
    for model, attribute, read, name in targets:
        for chunk in _chunks(sorted(response_ids)):
            column = getattr(model, attribute)
            for row in session.scalars(select(model).where(quotes_examples_of(column, chunk))):
                clean, removed = _without_examples(read(row), response_ids)
                if removed:
                    setattr(row, attribute, clean)
                    counts[name] += removed
    return counts


def whole(needle: str) -> re.Pattern[str]:
    """``needle`` as a whole token: ticket "T-5" is not part of "T-50"."""
    return re.compile(rf"(?<![\w-]){re.escape(needle)}(?![\w-])")


def replace_text(value: Any, needles: Sequence[str]) -> Any:
    """``value`` (JSON) with every occurrence of ``needles`` in its strings replaced
    by ``[erased]`` (the customer's email, helpdesk and ticket ids)."""
    if isinstance(value, str):
        for needle in needles:
            if needle and needle in value:
                value = whole(needle).sub(ERASED, value)
        return value
    if isinstance(value, dict):
        return {k: replace_text(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_text(v, needles) for v in value]
    return value
