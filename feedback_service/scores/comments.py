"""The comments behind the reports, under report filters and a viewer's scope:
recent comments, how many the worker has analysed, complaint categories with
example sentences, the findings product themes are made of, and one page of
the comments explorer (what the dashboard reads; it adds its own notes).

Every function takes the viewer's ``Scope`` and filters with it in SQL, so a
page cannot show more than its viewer may see. Only confirmed responses count:
a provisional one may be a mail scanner's click.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service import words
from feedback_service.analysis.complaints import (
    COMPLAINT_SENTIMENTS,
    THEME_TARGETS,
    is_theme_sentence,
)
from feedback_service.analysis.models import CommentAnalysis, CommentFinding
from feedback_service.auth.users import Scope
from feedback_service.helpdesk.models import Agent, Ticket
from feedback_service.scores.filters import Filters, column_conditions, response_conditions
from feedback_service.surveys.models import Response


@dataclass(frozen=True)
class CommentRow:
    response_id: int
    submitted_at: dt.datetime
    agent_name: str | None
    csat: int | None
    comment: str


def recent_comments(
    session: Session,
    scope: Scope,
    *,
    agent_id: int | None = None,
    team_id: int | None = None,
    limit: int = 20,
) -> list[CommentRow]:
    stmt = (
        select(Response.id, Response.submitted_at, Agent.name, Response.csat, Response.comment)
        .outerjoin(Agent, Agent.id == Response.agent_id)
        .where(
            scope.clause(Response.agent_id, Response.team_id),
            Response.status == "confirmed",
            Response.comment.is_not(None),
        )
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(limit)
    )
    if agent_id is not None:
        stmt = stmt.where(Response.agent_id == agent_id)
    if team_id is not None:
        stmt = stmt.where(Response.team_id == team_id)
    return [
        CommentRow(rid, at, name, csat, comment or "")
        for rid, at, name, csat, comment in session.execute(stmt)
    ]


# --- complaint categories ------------------------------------------------------------

# Categories that name a failure: a "positive" finding in one of them is the
# classifier being unsure, not praise.
COMPLAINT_ONLY = ("rude", "unhelpful", "slow-response", "did-not-resolve")
COMPLAINT_TARGETS = ("agent", "product", "process")


def complaint_findings(
    targets: tuple[str, ...] = COMPLAINT_TARGETS,
) -> list[ColumnElement[bool]]:
    """What the reports count as a complaint, the one definition: a finding in a
    category about the agent, the product or a process, whose sentence is
    negative or mixed (``analysis.complaints.COMPLAINT_SENTIMENTS``). A response
    is a complaint when its comment carries at least one such finding; the
    complaint categories, the complaints per agent and the Pareto all read it."""
    cf = CommentFinding
    return [
        cf.target.in_(targets),
        cf.category.is_not(None),
        cf.sentiment.in_(COMPLAINT_SENTIMENTS),
    ]


@dataclass(frozen=True)
class CategoryCount:
    target: str
    category: str
    count: int
    examples: list[tuple[int, str]]  # (response id, the sentence that carries it)

    @property
    def label(self) -> str:
        return f"{self.target}: {self.category.replace('-', ' ')}"


@dataclass(frozen=True)
class CommentCoverage:
    """Comments the worker has processed: ``read`` in a language the model reads,
    ``not_read`` in one it does not (no sentiment, no categories). Prints as
    "2 comments analysed; 1 comment not analysed: language not read"."""

    read: int
    not_read: int

    def __bool__(self) -> bool:
        return bool(self.read or self.not_read)

    def __str__(self) -> str:
        return words.comments_analysed(self.read, self.not_read)


def analysed_comments(session: Session, scope: Scope, f: Filters) -> CommentCoverage:
    stmt = (
        select(
            func.count(CommentAnalysis.id),
            func.count(CommentAnalysis.id).filter(CommentAnalysis.sentiment.is_(None)),
        )
        .join(Response, Response.id == CommentAnalysis.response_id)
        .where(*_report_conditions(scope, f))
    )
    total, unread = session.execute(stmt).one()
    return CommentCoverage(int(total or 0) - int(unread or 0), int(unread or 0))


def _report_conditions(scope: Scope, f: Filters) -> list[Any]:
    return [scope.clause(Response.agent_id, Response.team_id), *response_conditions(f)]


def _finding_conditions(scope: Scope, f: Filters) -> list[Any]:
    """The report filters on ``comment_findings`` (agent, team and time are copied
    there from the response, so counting by category reads that table alone)."""
    cf = CommentFinding
    return [
        scope.clause(cf.agent_id, cf.team_id),
        *column_conditions(f, cf.submitted_at, cf.team_id, cf.agent_id),
    ]


def finding_counts(
    session: Session,
    scope: Scope,
    f: Filters,
    *,
    targets: tuple[str, ...] = ("agent", "product", "process"),
    complaints: bool = True,
    examples: int = 3,
    exclude: tuple[str, ...] = (),
    limit: int = 12,
) -> list[CategoryCount]:
    """Responses per (target, category) among the analysed comments, most first,
    with a few distinct example sentences each.

    A response counts once per category however many sentences carry it;
    ``complaints`` keeps negative/mixed findings, otherwise positive ones. One
    GROUP BY on the indexed findings table, then the examples of the top rows.
    """
    cf = CommentFinding
    kept = (
        complaint_findings(targets)
        if complaints
        else [cf.target.in_(targets), cf.category.is_not(None), cf.sentiment == "positive"]
    )
    conditions = [*_finding_conditions(scope, f), *kept]
    if exclude:
        conditions.append(cf.category.not_in(exclude))
    counted = session.execute(
        select(cf.target, cf.category, func.count(func.distinct(cf.response_id)))
        .where(*conditions)
        .group_by(cf.target, cf.category)
        .order_by(func.count(func.distinct(cf.response_id)).desc(), cf.target, cf.category)
        .limit(limit)
    ).all()
    out = []
    for target, category, count in counted:
        shown: list[tuple[int, str]] = []
        candidates = session.execute(
            select(cf.response_id, cf.sentence)
            .where(*conditions, cf.target == target, cf.category == category)
            .order_by(cf.submitted_at.desc(), cf.id.desc())
            .limit(examples * 8)
        )
        for response_id, sentence in candidates:
            # Canned replies repeat word for word: one example each is enough.
            if len(shown) < examples and all(sentence != s for _, s in shown):
                shown.append((response_id, sentence))
        out.append(CategoryCount(target, str(category), int(count), shown))
    return out


# --- the comments explorer ------------------------------------------------------------

SENTIMENT_CHOICES = ("positive", "neutral", "negative", "mixed", "unsupported", "unanalysed")
RATING_CHOICES = {"low": (1, 2), "mid": (3, 3), "high": (4, 5)}
PER_PAGE = 50


@dataclass(frozen=True)
class CommentQuery:
    agent_id: int | None = None
    team_id: int | None = None
    sentiment: str | None = None
    target: str | None = None
    category: str | None = None
    rating: str | None = None
    text: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    product: str | None = None
    response_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ExplorerRow:
    response_id: int
    submitted_at: dt.datetime
    agent_id: int | None
    agent_name: str | None
    ticket: str
    product: str | None
    channel: str | None
    csat: int | None
    comment: str
    sentiment: str | None
    findings: list[dict[str, Any]]

    @property
    def primary(self) -> dict[str, Any] | None:
        """The finding a relabel starts from: the first one, if any."""
        return self.findings[0] if self.findings else None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _comment_conditions(scope: Scope, q: CommentQuery) -> list[Any]:
    conditions: list[Any] = [
        scope.clause(Response.agent_id, Response.team_id),
        Response.status == "confirmed",
        Response.comment.is_not(None),
        Response.comment != "",
    ]
    if q.agent_id is not None:
        conditions.append(Response.agent_id == q.agent_id)
    if q.team_id is not None:
        conditions.append(Response.team_id == q.team_id)
    if q.rating in RATING_CHOICES:
        low, high = RATING_CHOICES[q.rating]
        conditions.append(Response.csat.between(low, high))
    if q.text:
        pattern = f"%{_like_escape(q.text.strip())}%"
        conditions.append(Response.comment.ilike(pattern, escape="\\"))
    if q.start is not None:
        conditions.append(
            Response.submitted_at >= dt.datetime.combine(q.start, dt.time(), tzinfo=dt.UTC)
        )
    if q.end is not None:
        after = dt.datetime.combine(q.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        conditions.append(Response.submitted_at < after)
    if q.sentiment == "unanalysed":
        conditions.append(CommentAnalysis.id.is_(None))
    elif q.sentiment in SENTIMENT_CHOICES:
        conditions.append(CommentAnalysis.sentiment == q.sentiment)
    if q.category or q.target:
        cf = CommentFinding
        same_finding = [cf.response_id == Response.id]
        if q.category:
            same_finding.append(cf.category == q.category)
        if q.target:
            same_finding.append(cf.target == q.target)
        conditions.append(select(cf.id).where(*same_finding).exists())
    if q.product:
        conditions.append(
            Response.ticket_id.in_(select(Ticket.id).where(Ticket.product == q.product))
        )
    if q.response_ids is not None:
        conditions.append(Response.id.in_(q.response_ids))
    return conditions


def explore_comments(
    session: Session, scope: Scope, q: CommentQuery, *, page: int = 1, per_page: int = PER_PAGE
) -> tuple[list[ExplorerRow], int]:
    """One page of the comments the viewer may see, newest first, and the total."""
    conditions = _comment_conditions(scope, q)
    base = select(Response.id).outerjoin(
        CommentAnalysis, CommentAnalysis.response_id == Response.id
    )
    total = int(
        session.scalar(select(func.count()).select_from(base.where(*conditions).subquery())) or 0
    )
    stmt = (
        select(
            Response,
            Agent.name,
            Ticket.external_id,
            Ticket.product,
            CommentAnalysis.sentiment,
            CommentAnalysis.findings,
        )
        .join(Ticket, Ticket.id == Response.ticket_id)
        .outerjoin(Agent, Agent.id == Response.agent_id)
        .outerjoin(CommentAnalysis, CommentAnalysis.response_id == Response.id)
        .where(*conditions)
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    rows = []
    for response, agent_name, ticket, product, sentiment, findings in session.execute(stmt):
        findings = list(findings or [])
        rows.append(
            ExplorerRow(
                response_id=response.id,
                submitted_at=response.submitted_at,
                agent_id=response.agent_id,
                agent_name=agent_name,
                ticket=ticket,
                product=product,
                channel=response.channel,
                csat=response.csat,
                comment=response.comment or "",
                sentiment=sentiment,
                findings=findings,
            )
        )
    return rows, total


def visible_response(session: Session, scope: Scope, response_id: int) -> Response | None:
    """The confirmed, commented response if the viewer may see it, else None."""
    return session.scalar(
        select(Response).where(
            Response.id == response_id,
            scope.clause(Response.agent_id, Response.team_id),
            Response.status == "confirmed",
            Response.comment.is_not(None),
        )
    )


# --- product themes -------------------------------------------------------------------


@dataclass
class GapTheme:
    target: str
    category: str
    responses: int = 0
    agents: set[int] = field(default_factory=set)
    tickets: set[str] = field(default_factory=set)
    products: dict[str, int] = field(default_factory=dict)
    weekly: dict[dt.date, int] = field(default_factory=dict)
    examples: list[tuple[int, str, str]] = field(default_factory=list)  # (response, ticket, text)

    @property
    def label(self) -> str:
        return f"{self.target}: {self.category.replace('-', ' ')}"

    def top_products(self) -> list[tuple[str, int]]:
        return sorted(self.products.items(), key=lambda kv: (-kv[1], kv[0]))


def product_themes(
    session: Session, scope: Scope, f: Filters, *, examples: int = 3
) -> tuple[list[GapTheme], list[dt.date]]:
    """Complaint findings that enter a product theme (``themes.is_theme_sentence``:
    about the product or a process, or naming no target on an escalated or
    reopened ticket) grouped by target and category: volume, weekly counts,
    agents, tickets and products affected, and examples."""
    cf = CommentFinding
    stmt = (
        select(
            cf.response_id,
            cf.agent_id,
            cf.submitted_at,
            Ticket.external_id,
            Ticket.product,
            cf.target,
            cf.category,
            cf.sentence,
            cf.sentiment,
            Ticket.escalated.is_(True) | Ticket.reopened.is_(True),
        )
        .join(Ticket, Ticket.id == cf.ticket_id)
        .where(
            *_finding_conditions(scope, f),
            cf.target.in_((*THEME_TARGETS, "none")),
            cf.category.is_not(None),
            cf.sentiment.in_(COMPLAINT_SENTIMENTS),
        )
        .order_by(cf.submitted_at.desc(), cf.id.desc())
    )
    themes: dict[tuple[str, str], GapTheme] = {}
    counted: set[tuple[int, str, str]] = set()
    for row in session.execute(stmt):
        response_id, agent_id, submitted, ticket, product, target, raw_category, sentence = row[:8]
        # Which findings make a theme is the patterns' rule, not a second one here.
        if not is_theme_sentence(target, row.sentiment, troubled=bool(row[9])):
            continue
        category = str(raw_category)
        if (response_id, target, category) in counted:
            continue
        counted.add((response_id, target, category))
        theme = themes.setdefault((target, category), GapTheme(target, category))
        theme.responses += 1
        if agent_id is not None:
            theme.agents.add(agent_id)
        theme.tickets.add(ticket)
        if product:
            theme.products[product] = theme.products.get(product, 0) + 1
        day = submitted.date()
        monday = day - dt.timedelta(days=day.weekday())
        theme.weekly[monday] = theme.weekly.get(monday, 0) + 1
        if len(theme.examples) < examples and all(sentence != e[2] for e in theme.examples):
            theme.examples.append((response_id, ticket, sentence))
    weeks: list[dt.date] = []
    if f.start is not None and f.end is not None:
        monday = f.start - dt.timedelta(days=f.start.weekday())
        while monday <= f.end:
            weeks.append(monday)
            monday += dt.timedelta(days=7)
    ordered = sorted(themes.values(), key=lambda t: (-t.responses, t.target, t.category))
    return ordered, weeks
