"""The answers to a team's own questions (``response_answers``): read and written
beside the response that holds them, under its row lock.

Functions take a session, flush and never commit. Each row keeps the definition
version it was given under, so a later change of the question's options leaves
old answers readable (``service.definition`` has every version's wording).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, and_, delete, or_, select
from sqlalchemy.orm import Session

from feedback_service.surveys import questions
from feedback_service.surveys.models import Response, ResponseAnswer, Survey, SurveyDefinition


def of_response(session: Session, response_id: int) -> dict[str, Any]:
    """The stored answers of one response, by question key."""
    return of_responses(session, [response_id]).get(response_id, {})


def of_responses(session: Session, response_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The stored answers of many responses: response id -> question key -> value."""
    ids = list(response_ids)
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(ResponseAnswer.response_id, ResponseAnswer.question_key, ResponseAnswer.value)
            .where(ResponseAnswer.response_id.in_(ids[start : start + 1000]))
            .order_by(ResponseAnswer.id)
        )
        for response_id, key, value in rows:
            found.setdefault(response_id, {})[key] = value
    return found


def write(
    session: Session,
    response_id: int,
    given: Mapping[str, Any],
    dropped: Sequence[str],
    *,
    definition_version: int,
    now: dt.datetime,
) -> bool:
    """Store ``given`` (insert or change), delete the ``dropped`` answers; whether
    anything changed. The caller holds the response (created it, or its row lock),
    so no other request writes these rows meanwhile."""
    if not given and not dropped:
        return False
    existing = {
        a.question_key: a
        for a in session.scalars(
            select(ResponseAnswer).where(ResponseAnswer.response_id == response_id)
        )
    }
    changed = False
    for key, value in given.items():
        row = existing.get(key)
        if row is None:
            session.add(
                ResponseAnswer(
                    response_id=response_id,
                    question_key=key,
                    value=value,
                    definition_version=definition_version,
                    answered_at=now,
                )
            )
            changed = True
        elif row.value != value:
            row.value = value
            row.definition_version = definition_version
            row.answered_at = now
            changed = True
    gone = [key for key in dropped if key in existing and key not in given]
    if gone:
        session.execute(
            delete(ResponseAnswer).where(
                ResponseAnswer.response_id == response_id, ResponseAnswer.question_key.in_(gone)
            )
        )
        changed = True
    session.flush()
    return changed


def text_keys(session: Session, survey_id: int) -> set[str]:
    """The keys of a survey's text questions, in any version of it."""
    current = session.scalar(select(Survey.questions).where(Survey.id == survey_id)) or []
    versions = session.scalars(
        select(SurveyDefinition.questions).where(SurveyDefinition.survey_id == survey_id)
    )
    return {
        questions.key_of(q)
        for defined in [current, *versions]
        for q in defined
        if questions.type_of(q) == "text"
    }


def erase_free_text(session: Session, responses: Sequence[Response]) -> int:
    """Delete the answers ``responses`` gave to text questions (what the customer
    typed, erased like a comment); ratings and choices stay with the response."""
    by_survey: dict[int, list[int]] = {}
    for response in responses:
        by_survey.setdefault(response.survey_id, []).append(response.id)
    erased = 0
    for survey_id, ids in by_survey.items():
        keys = text_keys(session, survey_id)
        for start in range(0, len(ids) if keys else 0, 1000):
            result = session.execute(
                delete(ResponseAnswer)
                .where(
                    ResponseAnswer.response_id.in_(ids[start : start + 1000]),
                    ResponseAnswer.question_key.in_(keys),
                )
                .execution_options(synchronize_session=False)
            )
            erased += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return erased


def stated_reasons(session: Session) -> Select[tuple[int, Any]] | None:
    """Response id and answer of every answer to a question mapped to the target
    (``"maps_to": "target"``) in the definition version it was given under, so a
    question mapped later, or no longer, decides nothing for older answers; None
    when no definition maps one. ``questions.stated_target`` reads the value;
    callers add their own filters."""
    mapped = []
    for survey_id, version, defined in session.execute(
        select(SurveyDefinition.survey_id, SurveyDefinition.version, SurveyDefinition.questions)
    ):
        question = questions.target_question(defined)
        if question is not None:
            mapped.append(
                and_(
                    Response.survey_id == survey_id,
                    ResponseAnswer.definition_version == version,
                    ResponseAnswer.question_key == question["key"],
                )
            )
    if not mapped:
        return None
    return (
        select(ResponseAnswer.response_id, ResponseAnswer.value)
        .join(Response, Response.id == ResponseAnswer.response_id)
        .where(or_(*mapped))
    )
