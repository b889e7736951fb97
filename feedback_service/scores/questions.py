"""The report on one of a survey's own questions (``surveys/questions.py``): how its
answers are distributed, overall and by agent and team, with a 95% Wilson interval
on every share.

Counted from ``response_answers`` of confirmed responses under the shared report
filters (no rollup: the answers of a team's own questions are few next to the
metrics). The options are those of every version of the question, current first,
so a share of an option since removed is still reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from feedback_service.errors import NotFound, ValidationError
from feedback_service.helpdesk.models import Agent, Team
from feedback_service.scores.filters import Filters, response_conditions
from feedback_service.scores.scoring import wilson_interval
from feedback_service.surveys import questions
from feedback_service.surveys.models import Response, ResponseAnswer, Survey, SurveyDefinition

BY_GROUP = ("rating", "choice")


@dataclass
class Distribution:
    """How ``n`` answers spread over ``values``: counts, shares, intervals. For a
    multi, one answer may count under several values (shares add up to more than 1)."""

    n: int
    counts: dict[str, int]
    too_few: bool

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for value, count in self.counts.items():
            share = count / self.n if self.n else None
            low_high = wilson_interval(count, self.n) if self.n else None
            out.append(
                {
                    "value": value,
                    "count": count,
                    "share": share,
                    "interval": None
                    if low_high is None
                    else {"low": low_high.low, "high": low_high.high},
                }
            )
        return out


@dataclass
class QuestionReport:
    survey: str
    key: str
    type: str
    overall: Distribution
    by_agent: list[tuple[str, str, Distribution]] = field(default_factory=list)
    by_team: list[tuple[str, str, Distribution]] = field(default_factory=list)


def _surveys_asking(session: Session, key: str, f: Filters) -> tuple[Survey, dict[str, Any]]:
    """The survey whose question ``key`` is reported (the ``survey`` filter, or the
    only one asking it) and the question's current definition."""
    where = [Survey.id == f.survey_id] if f.survey_id is not None else []
    asking = [
        (survey, q)
        for survey in session.scalars(select(Survey).where(*where).order_by(Survey.id))
        for q in survey.questions
        if questions.is_custom(q) and q["key"] == key
    ]
    if not asking:
        raise NotFound(f"No survey asks a question '{key}'.", fields={"key": ["Unknown."]})
    if len(asking) > 1:
        keys = ", ".join(s.key for s, _ in asking)
        raise ValidationError(
            f"Surveys {keys} each ask '{key}': choose one with survey=.",
            fields={"survey": [f"One of {keys}."]},
        )
    return asking[0]


def _values(session: Session, survey: Survey, question: dict[str, Any]) -> list[str]:
    """Every value the question has had, in the current order first."""
    if question["type"] == "rating":
        return [str(v) for v in range(1, int(question["scale"]) + 1)]
    values = questions.option_values(question)
    for defined in session.scalars(
        select(SurveyDefinition.questions)
        .where(SurveyDefinition.survey_id == survey.id)
        .order_by(SurveyDefinition.version.desc())
    ):
        for old in defined:
            if old.get("key") == question["key"] and old.get("type") == question["type"]:
                values += [v for v in questions.option_values(old) if v not in values]
    return values


def _distribution(given: list[Any], values: list[str], min_n: int) -> Distribution:
    counts = Counter(
        str(v) for answer in given for v in (answer if isinstance(answer, list) else [answer])
    )
    ordered = {v: counts.get(v, 0) for v in values}
    ordered.update({v: c for v, c in counts.items() if v not in ordered})
    return Distribution(len(given), ordered, len(given) < min_n)


def question_report(session: Session, f: Filters, key: str, min_n: int) -> QuestionReport:
    survey, question = _surveys_asking(session, key, f)
    rows = session.execute(
        select(ResponseAnswer.value, Response.agent_id, Response.team_id)
        .join(Response, Response.id == ResponseAnswer.response_id)
        .where(
            ResponseAnswer.question_key == key,
            Response.survey_id == survey.id,
            *response_conditions(f),
        )
    ).all()
    kind = question["type"]
    values = _values(session, survey, question) if kind != "text" else []
    report = QuestionReport(
        survey.key, key, kind, _distribution([r.value for r in rows], values, min_n)
    )
    if kind not in BY_GROUP:
        return report
    report.by_agent = _by_group(session, rows, "agent_id", Agent, values, min_n)
    report.by_team = _by_group(session, rows, "team_id", Team, values, min_n)
    return report


def _by_group(
    session: Session,
    rows: Sequence[Row[Any]],
    attr: str,
    model: type[Agent] | type[Team],
    values: list[str],
    min_n: int,
) -> list[tuple[str, str, Distribution]]:
    """The distribution per agent (or team), ordered by their helpdesk id."""
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        if getattr(row, attr) is not None:
            grouped.setdefault(getattr(row, attr), []).append(row.value)
    found = session.execute(
        select(model.id, model.external_id, model.name).where(model.id.in_(list(grouped)))
    )
    names: dict[int, tuple[str, str]] = {i: (ext, name or "") for i, ext, name in found}
    return [
        (*names[group_id], _distribution(given, values, min_n))
        for group_id, given in sorted(grouped.items(), key=lambda item: names[item[0]][0])
    ]


def question_json(report: QuestionReport) -> dict[str, Any]:
    def group(items: list[tuple[str, str, Distribution]]) -> list[dict[str, Any]]:
        return [
            {"id": i, "name": name, "n": d.n, "too_few": d.too_few, "values": d.rows()}
            for i, name, d in items
        ]

    return {
        "survey": report.survey,
        "key": report.key,
        "type": report.type,
        "n": report.overall.n,
        "too_few": report.overall.too_few,
        "values": report.overall.rows(),
        "by_agent": group(report.by_agent),
        "by_team": group(report.by_team),
    }


def question_rows(report: QuestionReport) -> list[dict[str, Any]]:
    """The CSV: one row per value, overall and per agent and team."""
    scopes = [("all", "", "", report.overall)]
    scopes += [("agent", i, name, d) for i, name, d in report.by_agent]
    scopes += [("team", i, name, d) for i, name, d in report.by_team]
    return [
        {
            "scope": scope,
            "id": group_id,
            "name": name,
            "n": d.n,
            "too_few": d.too_few,
            "value": row["value"],
            "count": row["count"],
            "share": row["share"],
            "low": row["interval"]["low"] if row["interval"] else None,
            "high": row["interval"]["high"] if row["interval"] else None,
        }
        for scope, group_id, name, d in scopes
        for row in d.rows()
    ]
