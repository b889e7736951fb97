"""What the dashboard pages read, until the reports services (issues 6-8) exist.

Every function takes the viewer's ``Scope`` and filters with it in SQL, so a page
cannot show more than its viewer may see. Each returns plain dataclasses the
templates render; when the reports services land, these functions are replaced
one by one by calls to them, and the templates keep working.

Only confirmed responses count: a provisional one may be a mail scanner's click.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from feedback_service.analysis.scoring import wilson_interval
from feedback_service.analysis.stats import p_chart
from feedback_service.auth.users import Scope
from feedback_service.dashboard.charts import TrendPoint
from feedback_service.helpdesk.models import Agent, Team
from feedback_service.surveys.models import Response

CSAT_TOP2 = 4


@dataclass(frozen=True)
class Overview:
    responses: int
    comments: int
    csat_n: int
    csat_mean: float | None
    csat_top2_pct: float | None
    nps_n: int
    nps: float | None


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


def overview(session: Session, scope: Scope, since: dt.datetime | None = None) -> Overview:
    top2 = func.sum(case((Response.csat >= CSAT_TOP2, 1), else_=0))
    promoters = func.sum(case((Response.nps >= 9, 1), else_=0))
    detractors = func.sum(case((Response.nps <= 6, 1), else_=0))
    stmt = select(
        func.count(Response.id),
        func.count(Response.comment),
        func.count(Response.csat),
        func.avg(Response.csat),
        top2,
        func.count(Response.nps),
        promoters,
        detractors,
    ).where(scope.clause(Response.agent_id, Response.team_id), *_confirmed_since(since))  # type: ignore[arg-type]
    row = session.execute(stmt).one()
    total, comments, csat_n, csat_mean, top2_n, nps_n, prom, detr = row
    return Overview(
        responses=total or 0,
        comments=comments or 0,
        csat_n=csat_n or 0,
        csat_mean=float(csat_mean) if csat_mean is not None else None,
        csat_top2_pct=100.0 * (top2_n or 0) / csat_n if csat_n else None,
        nps_n=nps_n or 0,
        nps=100.0 * ((prom or 0) - (detr or 0)) / nps_n if nps_n else None,
    )


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
    session: Session, scope: Scope, *, agent_id: int | None = None, limit: int = 20
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
    return [
        CommentRow(rid, at, name, csat, comment or "")
        for rid, at, name, csat, comment in session.execute(stmt)
    ]


def weekly_csat(
    session: Session,
    scope: Scope,
    *,
    weeks: int = 12,
    agent_id: int | None = None,
    today: dt.date | None = None,
) -> list[TrendPoint]:
    """CSAT top-2-box per complete ISO week, with its Wilson interval and p-chart
    limits. The current week is left out: a few early answers would look like a
    swing the control chart then has to explain."""
    today = today or dt.datetime.now(dt.UTC).date()
    first_monday = today - dt.timedelta(days=today.weekday() + 7 * weeks)
    since = dt.datetime.combine(first_monday, dt.time(), tzinfo=dt.UTC)
    day = func.date(Response.submitted_at)
    stmt = (
        select(
            day,
            func.count(Response.csat),
            func.sum(case((Response.csat >= CSAT_TOP2, 1), else_=0)),
        )
        .where(
            scope.clause(Response.agent_id, Response.team_id),
            Response.csat.is_not(None),
            *_confirmed_since(since),  # type: ignore[arg-type]
        )
        .group_by(day)
    )
    if agent_id is not None:
        stmt = stmt.where(Response.agent_id == agent_id)
    n_by_week = [0] * weeks
    x_by_week = [0] * weeks
    for value, n, hits in session.execute(stmt):
        # SQLite answers text, PostgreSQL a date.
        date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        index = (date - first_monday).days // 7
        if 0 <= index < weeks:
            n_by_week[index] += n or 0
            x_by_week[index] += hits or 0
    chart = p_chart(x_by_week, n_by_week)
    points = []
    for i, pc in enumerate(chart):
        monday = first_monday + dt.timedelta(days=7 * i)
        interval = wilson_interval(pc.successes, pc.n) if pc.n else None
        points.append(
            TrendPoint(
                label=monday.strftime("%d %b"),
                value=100 * pc.p if pc.p is not None else None,
                low=100 * interval.low if interval else None,
                high=100 * interval.high if interval else None,
                limit_low=100 * pc.lower if pc.lower is not None else None,
                limit_high=100 * pc.upper if pc.upper is not None else None,
                out_of_control=pc.out_of_control,
                n=pc.n,
            )
        )
    return points
