"""Comment analyses in the database: writing them, correcting them, reading them.

Services take a session, flush, never commit (the request or the task does).
``comment_analyses`` holds one row per response with a comment (findings as
JSON, corrections applied); ``comment_findings`` holds the same findings as rows
for filtering and grouping; ``comment_labels`` holds what people said, the source
of truth for corrections, re-applied whenever a comment is (re-)analysed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import Row, delete, exists, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.analysis.comments.corrections import (
    Label,
    apply_labels,
    model_findings,
)
from feedback_service.analysis.models import CommentAnalysis, CommentFinding, CommentLabel
from feedback_service.db import equal_to, utcnow
from feedback_service.helpdesk.models import Agent, Team, Ticket
from feedback_service.surveys.models import Response, Survey
from feedback_service.views import fields

if TYPE_CHECKING:
    from feedback_service.analysis.text import Analyzer
    from feedback_service.analysis.text import CommentAnalysis as AnalysisResult

log = logging.getLogger(__name__)

RATING_KEYS = ("csat", "nps", "ces")


@dataclass(frozen=True, slots=True)
class ResponseFacts:
    """What an analysis row copies from its response."""

    id: int
    version: int
    comment: str
    ratings: dict[str, int] | None
    agent_id: int | None
    team_id: int | None
    ticket_id: int
    submitted_at: dt.datetime

    @classmethod
    def of(cls, r: Response | Row[*tuple[Any, ...]]) -> ResponseFacts:
        """From a response, or a row selecting the same columns."""
        return cls(
            id=r.id,
            version=r.version,
            comment=(r.comment or "").strip(),
            ratings=ratings_of(r.csat, r.nps, r.ces),
            agent_id=r.agent_id,
            team_id=r.team_id,
            ticket_id=r.ticket_id,
            submitted_at=r.submitted_at,
        )


# What the model says of one sentence: an analysis' stored finding holds these.
FINDING_FIELDS = "target category confidence sentence sentiment"


class Finding(TypedDict):
    target: str
    category: str | None
    confidence: float | None
    sentence: str
    sentiment: str | None
    corrected: bool


def finding_view(f: dict[str, Any]) -> Finding:
    """A stored finding with every key present (a missing optional one as None)."""
    return {
        "target": f["target"],
        "category": f.get("category"),
        "confidence": f.get("confidence"),
        "sentence": f["sentence"],
        "sentiment": f.get("sentiment"),
        "corrected": bool(f.get("corrected")),
    }


def ratings_of(csat: int | None, nps: int | None, ces: int | None) -> dict[str, int] | None:
    """The answer's own ratings for the analyzer (FCR says nothing about feelings)."""
    given = {k: v for k, v in zip(RATING_KEYS, (csat, nps, ces), strict=True) if v is not None}
    return given or None


def labels_by_response(session: Session, response_ids: Sequence[int]) -> dict[int, list[Label]]:
    out: dict[int, list[Label]] = defaultdict(list)
    if not response_ids:
        return out
    rows = session.execute(
        select(
            CommentLabel.response_id,
            CommentLabel.sentence,
            CommentLabel.sentiment,
            CommentLabel.target,
            CommentLabel.category,
        )
        .where(CommentLabel.response_id.in_(response_ids), CommentLabel.source == "correction")
        .order_by(CommentLabel.id)
    )
    for response_id, sentence, sentiment, target, category in rows:
        if response_id is not None:
            out[response_id].append(Label(sentence, sentiment, target, category))
    return out


def _db_sentiment(result: AnalysisResult) -> str | None:
    # Unsupported comments are never scored: null, not "neutral".
    return None if not result.supported else str(result.sentiment)


def write_analyses(session: Session, items: Sequence[tuple[ResponseFacts, AnalysisResult]]) -> None:
    """Insert or replace the analysis of each response, corrections re-applied."""
    if not items:
        return
    ids = [facts.id for facts, _ in items]
    existing = {
        a.response_id: a
        for a in session.scalars(
            select(CommentAnalysis).where(CommentAnalysis.response_id.in_(ids))
        )
    }
    labels = labels_by_response(session, ids)
    rows: list[tuple[ResponseFacts, CommentAnalysis]] = []
    for facts, result in items:
        model = [fields(f, FINDING_FIELDS) for f in result.findings]
        model_sentiment = _db_sentiment(result)
        effective = apply_labels(model, model_sentiment, labels.get(facts.id, []), facts.comment)
        analysis = existing.get(facts.id)
        if analysis is None:
            analysis = CommentAnalysis(response_id=facts.id)
            session.add(analysis)
        analysis.response_version = facts.version
        analysis.model_version = result.model_version
        analysis.language = result.language
        analysis.supported = result.supported
        analysis.model_sentiment = model_sentiment
        analysis.sentiment = effective.sentiment
        analysis.sentiment_score = result.score
        analysis.findings = effective.findings
        analysis.key_phrases = list(result.key_phrases)
        analysis.corrected = effective.corrected
        analysis.updated_at = utcnow()
        rows.append((facts, analysis))
    session.flush()
    _replace_finding_rows(session, rows)


def _replace_finding_rows(
    session: Session, rows: Sequence[tuple[ResponseFacts, CommentAnalysis]]
) -> None:
    session.execute(
        delete(CommentFinding)
        .where(CommentFinding.response_id.in_([facts.id for facts, _ in rows]))
        .execution_options(synchronize_session=False)
    )
    values = [
        {
            "analysis_id": analysis.id,
            "response_id": facts.id,
            "position": i,
            **finding_view(f),
            "agent_id": facts.agent_id,
            "team_id": facts.team_id,
            "ticket_id": facts.ticket_id,
            "submitted_at": facts.submitted_at,
        }
        for facts, analysis in rows
        for i, f in enumerate(analysis.findings)
    ]
    if values:
        session.execute(insert(CommentFinding), values)


def clear_analyses(session: Session, response_ids: Sequence[int]) -> set[int]:
    """The comments were removed in amendments: their analyses go too (labels
    stay). Returns the ids whose analysis was removed."""
    if not response_ids:
        return set()
    had = set(
        session.scalars(
            select(CommentAnalysis.response_id).where(CommentAnalysis.response_id.in_(response_ids))
        )
    )
    if had:
        session.execute(delete(CommentFinding).where(CommentFinding.response_id.in_(had)))
        session.execute(delete(CommentAnalysis).where(CommentAnalysis.response_id.in_(had)))
    return had


def analyse_response(session: Session, response: Response, analyzer: Analyzer) -> str:
    """Analyse this version of the response's comment unless already done with this model."""
    return analyse_responses(session, [response], analyzer)[response.id]


def analyse_responses(
    session: Session, responses: Sequence[Response], analyzer: Analyzer
) -> dict[int, str]:
    """``analyse_response`` for many: the comments not yet analysed at their version
    and this model go through the analyzer as one batch (vectorised), then are
    written together. Returns, per response id, what was done."""
    outcome: dict[int, str] = {}
    facts = [ResponseFacts.of(r) for r in responses]
    blank = [f.id for f in facts if not f.comment]
    cleared = clear_analyses(session, blank)
    outcome.update({i: "cleared" if i in cleared else "no-comment" for i in blank})
    commented = [f for f in facts if f.comment]
    rows = session.execute(
        select(CommentAnalysis.response_id, CommentAnalysis.response_version).where(
            CommentAnalysis.response_id.in_([f.id for f in commented]),
            CommentAnalysis.model_version == analyzer.model_version,
        )
    )
    current = {response_id: version for response_id, version in rows}
    todo = []
    for f in commented:
        if current.get(f.id) == f.version:
            outcome[f.id] = "up-to-date"
        else:
            todo.append(f)
            outcome[f.id] = "analysed"
    if todo:
        results = analyzer.analyze_many([f.comment for f in todo], [f.ratings for f in todo])
        write_analyses(session, list(zip(todo, results, strict=True)))
    return outcome


def reapply_labels(session: Session, analysis: CommentAnalysis, comment: str) -> None:
    """Recompute the shown analysis from the model's output and every label (after a PATCH)."""
    labels = labels_by_response(session, [analysis.response_id]).get(analysis.response_id, [])
    effective = apply_labels(
        model_findings(analysis.findings), analysis.model_sentiment, labels, comment
    )
    analysis.findings = effective.findings
    analysis.sentiment = effective.sentiment
    analysis.corrected = effective.corrected
    analysis.updated_at = utcnow()
    session.flush()
    response = session.get_one(Response, analysis.response_id)
    _replace_finding_rows(session, [(ResponseFacts.of(response), analysis)])


# --- reading ----------------------------------------------------------------------


@dataclass
class CommentFilters:
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    agent_id: int | None = None
    team_id: int | None = None
    channel: str | None = None
    target: str | None = None
    category: str | None = None
    sentiment: str | None = None
    q: str | None = None
    corrected: bool | None = None


def _conditions(f: CommentFilters) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = [
        Response.status == "confirmed",
        Response.comment.is_not(None),
        Response.comment != "",
    ]
    if f.start is not None:
        cond.append(Response.submitted_at >= f.start)
    if f.end is not None:
        cond.append(Response.submitted_at < f.end)
    cond += equal_to(Response, agent_id=f.agent_id, team_id=f.team_id, channel=f.channel)
    if f.target is not None or f.category is not None:
        finding = [CommentFinding.response_id == Response.id]
        if f.target is not None:
            finding.append(CommentFinding.target == f.target)
        if f.category is not None:
            finding.append(CommentFinding.category == f.category)
        cond.append(exists().where(*finding))
    if f.sentiment == "unsupported":
        cond.append(CommentAnalysis.supported.is_(False))
        cond.append(CommentAnalysis.sentiment.is_(None))
    elif f.sentiment is not None:
        cond.append(CommentAnalysis.sentiment == f.sentiment)
    if f.q:
        escaped = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cond.append(Response.comment.ilike(f"%{escaped}%", escape="\\"))
    if f.corrected is not None:
        cond.append(CommentAnalysis.corrected.is_(f.corrected))
    return cond


def _needs_analysis_join(f: CommentFilters) -> bool:
    return f.sentiment is not None or f.corrected is not None


class Answers(TypedDict):
    csat: int | None
    nps: int | None
    ces: int | None
    fcr: bool | None


class CommentItem(TypedDict):
    id: int
    submitted_at: str
    ticket: str
    agent: str | None
    agent_name: str | None
    team: str | None
    channel: str | None
    survey: str
    answers: Answers
    comment: str | None
    analysis: dict[str, Any] | None


def list_comments(
    session: Session, f: CommentFilters, page: int, per_page: int
) -> tuple[list[CommentItem], int]:
    """Comments newest first with their analysis, and how many match in all."""
    conditions = _conditions(f)
    count = select(func.count(Response.id))
    if _needs_analysis_join(f):
        count = count.join(CommentAnalysis, CommentAnalysis.response_id == Response.id)
    total = int(session.scalar(count.where(*conditions)) or 0)
    stmt = (
        _item_select()
        .where(*conditions)
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return [_item(*row) for row in session.execute(stmt)], total


def get_comment(session: Session, response_id: int) -> CommentItem | None:
    row = session.execute(_item_select().where(Response.id == response_id)).first()
    return None if row is None else _item(*row)


def _item_select() -> Any:
    return (
        select(
            Response,
            Ticket.external_id,
            Agent.external_id,
            Agent.name,
            Team.external_id,
            Survey.key,
            CommentAnalysis,
        )
        .join(Ticket, Ticket.id == Response.ticket_id)
        .join(Survey, Survey.id == Response.survey_id)
        .outerjoin(Agent, Agent.id == Response.agent_id)
        .outerjoin(Team, Team.id == Response.team_id)
        .outerjoin(CommentAnalysis, CommentAnalysis.response_id == Response.id)
    )


def _item(
    r: Response,
    ticket: str,
    agent: str | None,
    agent_name: str | None,
    team: str | None,
    survey: str,
    analysis: CommentAnalysis | None,
) -> CommentItem:
    return {
        "id": r.id,
        "submitted_at": r.submitted_at.isoformat(),
        "ticket": ticket,
        "agent": agent,
        "agent_name": agent_name,
        "team": team,
        "channel": r.channel,
        "survey": survey,
        "answers": {
            "csat": r.csat,
            "nps": r.nps,
            "ces": r.ces,
            "fcr": None if r.fcr is None else bool(r.fcr),
        },
        "comment": r.comment,
        "analysis": None if analysis is None else analysis_view(analysis),
    }


def analysis_view(a: CommentAnalysis) -> dict[str, Any]:
    return {
        # supported False: not a language the model reads; sentiment is then null, never
        # neutral.
        **fields(a, "id language supported sentiment sentiment_score corrected"),
        # What the model said, when a manager's correction replaced it.
        "original": {"sentiment": a.model_sentiment} if a.sentiment != a.model_sentiment else None,
        "findings": [{**finding_view(f), "original": f.get("original")} for f in a.findings],
        "key_phrases": list(a.key_phrases),
        "model_version": a.model_version,
        "response_version": a.response_version,
        "analysed_at": a.updated_at.isoformat(),
    }


CSV_COLUMNS = (
    "id",
    "submitted_at",
    "ticket",
    "agent",
    "agent_name",
    "team",
    "channel",
    "survey",
    "csat",
    "nps",
    "ces",
    "fcr",
    "comment",
    "language",
    "sentiment",
    "sentiment_score",
    "corrected",
    "targets",
    "categories",
    "findings",
    "key_phrases",
    "model_version",
)


def csv_rows(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The JSON items flattened, one row each: findings as ``target/category: sentence``
    joined by `` | ``, lists joined by ``; ``."""
    rows = []
    for item in items:
        a = item["analysis"] or {}
        findings = a.get("findings", [])
        rows.append(
            {
                "id": item["id"],
                "submitted_at": item["submitted_at"],
                "ticket": item["ticket"],
                "agent": item["agent"],
                "agent_name": item["agent_name"],
                "team": item["team"],
                "channel": item["channel"],
                "survey": item["survey"],
                **{k: item["answers"][k] for k in ("csat", "nps", "ces")},
                "fcr": item["answers"]["fcr"],
                "comment": item["comment"],
                "language": a.get("language"),
                "sentiment": a.get("sentiment"),
                "sentiment_score": a.get("sentiment_score"),
                "corrected": a.get("corrected"),
                "targets": "; ".join(dict.fromkeys(f["target"] for f in findings)),
                "categories": "; ".join(
                    dict.fromkeys(f"{f['target']}/{f['category']}" for f in findings)
                ),
                "findings": " | ".join(
                    f"{f['target']}/{f['category']}: {f['sentence']}" for f in findings
                ),
                "key_phrases": "; ".join(a.get("key_phrases", [])),
                "model_version": a.get("model_version"),
            }
        )
    return rows
