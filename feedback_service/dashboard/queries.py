"""What the dashboard pages read: the viewer's scope turned into report filters,
calls to the reports services, and the few queries the reports API has no
endpoint for (comments with their analysis and notes).

Every function takes the viewer's ``Scope`` (or filters derived from it) and
filters with it in SQL, so a page cannot show more than its viewer may see.

Only confirmed responses count: a provisional one may be a mail scanner's click.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from feedback_service import words
from feedback_service.analysis import reports
from feedback_service.analysis import targets as targets_service
from feedback_service.analysis.models import CommentAnalysis, CommentFinding
from feedback_service.analysis.scoring import wilson_interval
from feedback_service.auth.models import User
from feedback_service.auth.users import Scope
from feedback_service.dashboard.charts import TrendPoint
from feedback_service.dashboard.models import CommentNote
from feedback_service.helpdesk.models import Agent, Team, Ticket
from feedback_service.scores.models import NO_ID
from feedback_service.surveys.models import Response


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    external_id: str
    name: str
    team: str | None
    responses: int
    csat_n: int
    csat_mean: float | None


@dataclass(frozen=True)
class CommentRow:
    response_id: int
    submitted_at: dt.datetime
    agent_name: str | None
    csat: int | None
    comment: str


def _scoped(stmt: Select[tuple[int]], scope: Scope) -> Select[tuple[int]]:
    return stmt.where(scope.clause(Response.agent_id, Response.team_id))


def _confirmed_since(since: dt.datetime | None) -> list[object]:
    conditions: list[object] = [Response.status == "confirmed"]
    if since is not None:
        conditions.append(Response.submitted_at >= since)
    return conditions


def agent_rows(session: Session, scope: Scope, since: dt.datetime | None = None) -> list[AgentRow]:
    """Raw per-agent counts and mean CSAT, most answered first (no ranking yet:
    the scorecard service adds intervals and low-sample flags)."""
    counts = (
        select(
            Response.agent_id.label("agent_id"),
            func.count(Response.id).label("responses"),
            func.count(Response.csat).label("csat_n"),
            func.avg(Response.csat).label("csat_mean"),
        )
        .where(Response.agent_id.is_not(None), *_confirmed_since(since))  # type: ignore[arg-type]
        .group_by(Response.agent_id)
        .subquery()
    )
    stmt = (
        select(Agent, Team.name, counts.c.responses, counts.c.csat_n, counts.c.csat_mean)
        .outerjoin(counts, counts.c.agent_id == Agent.id)
        .outerjoin(Team, Team.id == Agent.team_id)
        .where(scope.clause(Agent.id, Agent.team_id))
        .order_by(counts.c.responses.desc().nulls_last(), Agent.name)
    )
    return [
        AgentRow(
            agent_id=agent.id,
            external_id=agent.external_id,
            name=agent.name or agent.external_id,
            team=team_name,
            responses=responses or 0,
            csat_n=csat_n or 0,
            csat_mean=float(mean) if mean is not None else None,
        )
        for agent, team_name, responses, csat_n, mean in session.execute(stmt)
    ]


def agent_row(session: Session, scope: Scope, agent_id: int) -> AgentRow | None:
    """One agent's row, or None if the agent does not exist *or* is out of scope:
    the caller answers 404 either way, so ids of other agents are not confirmed."""
    if not scope.can_see_agent(agent_id):
        return None
    only = Scope(False, frozenset(), frozenset({agent_id}))
    rows = agent_rows(session, only)
    return rows[0] if rows else None


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


# --- the period, the viewer's filters ---------------------------------------------

PERIODS = (30, 90, 180, 365)
DEFAULT_PERIOD = 90


@dataclass(frozen=True)
class View:
    """What a page shows: the period, and the report filters the viewer's scope
    allows (a team lead picks one of their teams; an agent is pinned to self)."""

    days: int
    start: dt.date
    end: dt.date
    filters: reports.Filters
    teams: list[tuple[str, str]]  # (external id, name) the viewer may pick
    team: str | None  # the picked team's external id
    empty: bool  # the viewer may see nothing (an agent account with no agent)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def resolve_view(
    session: Session, user: User, scope: Scope, days: int | None, team: str | None
) -> View:
    days = days if days in PERIODS else DEFAULT_PERIOD
    end = today()
    start = end - dt.timedelta(days=days - 1)
    if scope.everything:
        choices = session.execute(select(Team.external_id, Team.name).order_by(Team.name)).all()
    else:
        choices = session.execute(
            select(Team.external_id, Team.name)
            .where(Team.id.in_(sorted(scope.team_ids)))
            .order_by(Team.name)
        ).all()
    teams = [(ext, name) for ext, name in choices]
    team_id: int | None = None
    agent_id: int | None = None
    empty = False
    if user.role == "agent":
        teams, team = [], None
        agent_id = next(iter(scope.agent_ids), None)
        empty = agent_id is None
    else:
        if team not in {t for t, _ in teams}:
            # A lead always looks at one of their teams; a manager at everyone.
            team = None if scope.everything else (teams[0][0] if teams else None)
        if team is not None:
            team_id = session.scalar(select(Team.id).where(Team.external_id == team))
        empty = not scope.everything and team_id is None
    return View(
        days=days,
        start=start,
        end=end,
        filters=reports.Filters(start=start, end=end, team_id=team_id, agent_id=agent_id),
        teams=teams,
        team=team,
        empty=empty,
    )


# --- metrics with their targets -----------------------------------------------------

METRIC_LABELS = {"csat": "CSAT", "nps": "NPS", "ces": "CES", "fcr": "FCR"}
METRIC_HELP = {
    "csat": "% satisfied (4-5 of 5)",
    "nps": "promoters minus detractors",
    "ces": "mean effort score (1-7, higher is easier)",
    "fcr": "% resolved first time (customer says)",
}


@dataclass(frozen=True)
class MetricTile:
    metric: str
    label: str
    help: str
    value: float | None
    n: int
    low: float | None
    high: float | None
    low_sample: bool
    target: float | None
    gap: float | None
    status: str  # "on-target", "below", "unclear", "none"

    def fmt(self, value: float | None) -> str:
        return format_metric(self.metric, value)


def format_metric(metric: str, value: float | None) -> str:
    if value is None:
        return "\u2013"
    if metric == "ces":
        return f"{value:.2f}"
    if metric == "nps":
        return f"{value:+.0f}"
    return f"{value:.1f}%"


def format_gap(metric: str, gap: float | None) -> str:
    if gap is None:
        return "\u2013"
    if metric == "ces":
        return f"{gap:+.2f}"
    return f"{gap:+.1f}" + ("" if metric == "nps" else " pts")


def gap_status(
    value: float | None, target: float | None, low: float | None, high: float | None
) -> str:
    """On target; below it with the whole interval under it; or not clear yet."""
    if value is None or target is None:
        return "none"
    if value >= target:
        return "on-target"
    if high is not None and high < target:
        return "below"
    return "unclear"


def target_for(goals: targets_service.TargetSet, metric: str, f: reports.Filters) -> float | None:
    if f.agent_id is not None:
        team_id = f.team_id
        return goals.for_agent(metric, f.agent_id, team_id)
    if f.team_id is not None and (metric, f.team_id, NO_ID) in goals.by_key:
        return goals.by_key[(metric, f.team_id, NO_ID)]
    return goals.by_key.get((metric, NO_ID, NO_ID))


def metric_tiles(
    metrics: dict[str, dict[str, Any]], goals: targets_service.TargetSet, f: reports.Filters
) -> list[MetricTile]:
    tiles = []
    for metric in reports.METRICS:
        m = metrics[metric]
        interval = m.get("interval") or {}
        target = target_for(goals, metric, f)
        value = m.get("value")
        low, high = interval.get("low"), interval.get("high")
        tiles.append(
            MetricTile(
                metric=metric,
                label=METRIC_LABELS[metric],
                help=METRIC_HELP[metric],
                value=value,
                n=m.get("n") or 0,
                low=low,
                high=high,
                low_sample=bool(m.get("low_sample")),
                target=target,
                gap=None if value is None or target is None else value - target,
                status=gap_status(value, target, low, high),
            )
        )
    return tiles


# --- trends -----------------------------------------------------------------------

TREND_WEEKS = 13
# A view over a longer period draws all its weeks, up to two years of them.
MAX_TREND_WEEKS = 104


def trend_window(
    end: dt.date, weeks: int = TREND_WEEKS, start: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The weeks a trend chart draws: at least ``weeks`` ISO weeks up to and
    including ``end``'s own (partial) week, reaching back to ``start``'s week
    when the view begins earlier. The current week is drawn, not dropped: answers
    a card counts never vanish from its chart (the chart marks it "so far")."""
    this_monday = end - dt.timedelta(days=end.weekday())
    first_monday = this_monday - dt.timedelta(days=7 * (weeks - 1))
    if start is not None and start < first_monday:
        earliest = this_monday - dt.timedelta(days=7 * (MAX_TREND_WEEKS - 1))
        first_monday = max(start - dt.timedelta(days=start.weekday()), earliest)
    return first_monday, end


def weekly_points(items: list[dict[str, Any]], metric: str) -> list[TrendPoint]:
    """The metric's "good" share per week (what the p-chart watches) with its
    Wilson interval, control limits and low-sample flag, as chart points. Every
    week with answers is a point, however few; a week that ends before its
    Sunday is marked "week so far"."""
    points = []
    for item in items:
        entry = item.get(metric, item)
        n = int(entry.get("n") or 0)
        good = entry.get("good_pct")
        low = high = None
        if good is not None and n:
            interval = wilson_interval(round(good * n / 100), n)
            low, high = 100 * interval.low, 100 * interval.high
        start = dt.date.fromisoformat(item["period"])
        partial = dt.date.fromisoformat(item["end"]) < start + dt.timedelta(days=6)
        points.append(
            TrendPoint(
                label=start.strftime("%d %b"),
                value=good,
                low=low,
                high=high,
                limit_low=entry.get("lower_pct"),
                limit_high=entry.get("upper_pct"),
                out_of_control=bool(entry.get("out_of_control")),
                n=n,
                low_sample=bool(n and entry.get("low_sample")),
                note="week so far" if partial else None,
            )
        )
    return points


TREND_TITLES = {
    "csat": "CSAT: % satisfied (4-5) by week",
    "nps": "NPS survey: % promoters (9-10) by week",
    "ces": "CES: % agreeing it was easy (5-7) by week",
    "fcr": "FCR: % saying resolved first time, by week",
}


def trend_series(
    session: Session, f: reports.Filters, min_n: int, weeks: int = TREND_WEEKS
) -> list[dict[str, Any]]:
    first, last = trend_window(f.end or today(), weeks, f.start)
    window = reports.Filters(first, last, f.team_id, f.agent_id, f.channel, f.survey_id)
    return reports.trend_series(session, window, None, "week", min_n)


# --- comment analysis: complaint categories -------------------------------------------

COMPLAINT_SENTIMENTS = ("negative", "mixed")
# Categories that name a failure: a "positive" finding in one of them is the
# classifier being unsure, not praise.
COMPLAINT_ONLY = ("rude", "unhelpful", "slow-response", "did-not-resolve")


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


def analysed_comments(session: Session, scope: Scope, f: reports.Filters) -> CommentCoverage:
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


def _report_conditions(scope: Scope, f: reports.Filters) -> list[Any]:
    return [scope.clause(Response.agent_id, Response.team_id), *reports.response_conditions(f)]


def _finding_conditions(scope: Scope, f: reports.Filters) -> list[Any]:
    """The report filters on ``comment_findings`` (agent, team and time are copied
    there from the response, so counting by category reads that table alone)."""
    cf = CommentFinding
    conditions: list[Any] = [scope.clause(cf.agent_id, cf.team_id)]
    if f.start_time() is not None:
        conditions.append(cf.submitted_at >= f.start_time())
    if f.end_time() is not None:
        conditions.append(cf.submitted_at < f.end_time())
    if f.team_id is not None:
        conditions.append(cf.team_id == f.team_id)
    if f.agent_id is not None:
        conditions.append(cf.agent_id == f.agent_id)
    return conditions


def finding_counts(
    session: Session,
    scope: Scope,
    f: reports.Filters,
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
    sentiments = COMPLAINT_SENTIMENTS if complaints else ("positive",)
    conditions = [
        *_finding_conditions(scope, f),
        cf.target.in_(targets),
        cf.category.is_not(None),
        cf.sentiment.in_(sentiments),
    ]
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
class Note:
    id: int
    author: str
    body: str
    created_at: dt.datetime


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
    notes: list[Note] = field(default_factory=list)

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
    notes = notes_for(session, [r.response_id for r in rows])
    return [
        ExplorerRow(**{**r.__dict__, "notes": notes.get(r.response_id, [])}) for r in rows
    ], total


def notes_for(session: Session, response_ids: list[int]) -> dict[int, list[Note]]:
    if not response_ids:
        return {}
    out: dict[int, list[Note]] = {}
    stmt = (
        select(CommentNote, User.name)
        .join(User, User.id == CommentNote.author_id)
        .where(CommentNote.response_id.in_(response_ids))
        .order_by(CommentNote.created_at, CommentNote.id)
    )
    for note, author in session.execute(stmt):
        out.setdefault(note.response_id, []).append(
            Note(note.id, author, note.body, note.created_at)
        )
    return out


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


NOTE_MAX = 2000


def add_note(session: Session, user: User, response: Response, body: str) -> CommentNote:
    """An agent's context on a comment about them. Flushes; the view commits.

    Raises ``PermissionError`` for anyone but the agent the response is about, and
    ``ValueError`` for an empty or overlong note.
    """
    if user.role != "agent" or user.agent_id is None or response.agent_id != user.agent_id:
        raise PermissionError("Only the agent the comment is about adds context to it.")
    body = body.strip()
    if not body:
        raise ValueError("Write something first.")
    if len(body) > NOTE_MAX:
        raise ValueError(f"Keep it under {NOTE_MAX} characters.")
    note = CommentNote(response_id=response.id, author_id=user.id, body=body)
    session.add(note)
    session.flush()
    return note


# --- product gaps from the analysed comments -----------------------------------------


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
    session: Session, scope: Scope, f: reports.Filters, *, examples: int = 3
) -> tuple[list[GapTheme], list[dt.date]]:
    """Product- and process-directed complaints grouped by category: volume,
    weekly counts, agents, tickets and products affected, and examples."""
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
        )
        .join(Ticket, Ticket.id == cf.ticket_id)
        .where(
            *_finding_conditions(scope, f),
            cf.target.in_(("product", "process")),
            cf.category.is_not(None),
            cf.sentiment.in_(COMPLAINT_SENTIMENTS),
        )
        .order_by(cf.submitted_at.desc(), cf.id.desc())
    )
    themes: dict[tuple[str, str], GapTheme] = {}
    counted: set[tuple[int, str, str]] = set()
    for row in session.execute(stmt):
        response_id, agent_id, submitted, ticket, product, target, raw_category, sentence = row
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
