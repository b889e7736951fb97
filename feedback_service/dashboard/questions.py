"""A team's own survey questions on the dashboard: each rating, choice and multi
question of an active survey with how its answers spread (counts, shares and
their intervals) in the page's period and scope. A view over
``scores.questions.question_report``; no arithmetic here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.scores import service as reports
from feedback_service.scores.questions import question_report
from feedback_service.surveys import questions
from feedback_service.surveys.models import Survey

SHOWN_TYPES = ("rating", "choice", "multi")
MAX_SHOWN = 6


@dataclass(frozen=True)
class QuestionSection:
    survey: str
    key: str
    wording: str
    n: int
    too_few: bool
    values: list[dict[str, Any]]  # value, label, count, share, interval


def question_sections(session: Session, f: reports.Filters, min_n: int) -> list[QuestionSection]:
    """The active surveys' own questions that have answers under ``f``, at most
    ``MAX_SHOWN``, in the surveys' and the questions' order."""
    out: list[QuestionSection] = []
    surveys = session.scalars(
        select(Survey).where(Survey.archived_at.is_(None)).order_by(Survey.id)
    )
    for survey in surveys:
        for question in questions.custom(survey.questions):
            if question["type"] not in SHOWN_TYPES or len(out) >= MAX_SHOWN:
                continue
            report = question_report(
                session, dataclasses.replace(f, survey_id=survey.id), question["key"], min_n
            )
            if not report.overall.n:
                continue
            values = [
                {**row, "label": questions.option_label(question, row["value"], "en")}
                for row in report.overall.rows()
            ]
            out.append(
                QuestionSection(
                    survey=survey.name,
                    key=question["key"],
                    wording=str(questions.localized(question["wording"], "en")),
                    n=report.overall.n,
                    too_few=report.overall.too_few,
                    values=values,
                )
            )
    return out
