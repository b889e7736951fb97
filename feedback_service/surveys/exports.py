"""A survey's responses with every answer: the built-in metrics and the team's
own questions, as the JSON listing and the CSV export show them.

The columns are the questions of every version of the survey (``survey_definitions``),
so an answer to a question since removed, or to an option since renamed, is still
exported as it was given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from feedback_service.surveys import answers, questions
from feedback_service.surveys.metrics import METRICS
from feedback_service.surveys.models import Response, Survey, SurveyDefinition


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    columns: list[str]


def answer_columns(session: Session, survey: Survey) -> list[str]:
    """The built-in metrics, then every own question of any version, in order."""
    metrics: list[str] = []
    own: list[str] = []
    versions = session.scalars(
        select(SurveyDefinition.questions)
        .where(SurveyDefinition.survey_id == survey.id)
        .order_by(SurveyDefinition.version.desc())
    )
    for defined in [survey.questions, *versions]:
        for question in defined:
            key = questions.key_of(question)
            target = own if questions.is_custom(question) else metrics
            if key not in metrics and key not in own:
                target.append(key)
    return [m for m in METRICS if m in metrics] + own


def responses_page(
    session: Session,
    survey: Survey,
    start: dt.date | None,
    end: dt.date | None,
    page: int,
    per_page: int,
) -> Page:
    """The survey's responses submitted ``start``..``end`` (inclusive), newest first."""
    where = [Response.survey_id == survey.id]
    if start is not None:
        where.append(Response.submitted_at >= dt.datetime.combine(start, dt.time(), dt.UTC))
    if end is not None:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
        where.append(Response.submitted_at < after)
    total = session.scalar(select(func.count()).select_from(Response).where(*where)) or 0
    rows = list(
        session.scalars(
            select(Response)
            .where(*where)
            .options(joinedload(Response.ticket), joinedload(Response.agent))
            .order_by(Response.submitted_at.desc(), Response.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    own = answers.of_responses(session, [r.id for r in rows])
    items = []
    for response in rows:
        given: dict[str, Any] = {
            m: bool(v) if m == "fcr" else v for m, v in response.answers().items()
        }
        given.update(own.get(response.id, {}))
        items.append(
            {
                "id": response.id,
                "submitted_at": response.submitted_at,
                "status": response.status,
                "source": response.source,
                "ticket": response.ticket.external_id,
                "agent": response.agent.external_id if response.agent else None,
                "channel": response.channel,
                "locale": response.locale,
                "answers": given,
                "comment": response.comment,
            }
        )
    return Page(items, total, answer_columns(session, survey))


def csv_rows(page: Page) -> list[dict[str, Any]]:
    """One row per response, one column per question (a multi's choices joined
    by ``; ``); the same items as the JSON listing."""
    rows = []
    for item in page.items:
        row = {k: v for k, v in item.items() if k not in ("answers", "comment")}
        row["submitted_at"] = item["submitted_at"].isoformat()
        for key in page.columns:
            value = item["answers"].get(key)
            row[key] = "; ".join(value) if isinstance(value, list) else value
        row["comment"] = item["comment"]
        rows.append(row)
    return rows
