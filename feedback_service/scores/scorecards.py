"""Per-agent scorecards and one agent's report.

Shrinkage pulls each agent toward their own team (the peers whose customers and
work are most alike); ranks compare the shrunk estimates of all agents with at
least ``min_n`` answers, so a few lucky answers never top the table.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.analysis.models import CommentAnalysis
from feedback_service.auth.users import Scope
from feedback_service.errors import NotFound
from feedback_service.helpdesk.models import Agent, Team, Ticket
from feedback_service.scores import targets as targets_service
from feedback_service.scores.complaints import AgentComplaints, agent_complaints
from feedback_service.scores.filters import METRICS, Filters, response_conditions
from feedback_service.scores.histograms import (
    Histogram,
    IntervalOut,
    histograms,
    interval_out,
    successes,
)
from feedback_service.scores.models import NO_ID, RESPONSES_METRIC
from feedback_service.scores.scoring import NPS_DETRACTORS, NPS_POINTS, NPS_PROMOTERS, Interval
from feedback_service.scores.scoring import score as score_of
from feedback_service.scores.stats import (
    ShrunkEstimate,
    rank_with_evidence,
    shrink_histograms,
    shrink_proportions,
)
from feedback_service.scores.trends import TrendItem, trend_series
from feedback_service.surveys.metrics import METRICS as METRIC_SPECS
from feedback_service.surveys.models import Response


class Shrunk(TypedDict):
    estimate: float
    interval: IntervalOut | None


class Scorecard(TypedDict):
    agent: str
    name: str | None
    team: str | None
    responses: int
    comments: int
    # metric -> ``scoring.Score.to_dict()`` plus target, gap, shrunk, rank, ranked_among
    metrics: dict[str, dict[str, Any]]
    complaints: AgentComplaints


class AgentComment(TypedDict):
    response_id: int
    submitted_at: str
    ticket: str
    channel: str | None
    csat: int | None
    nps: int | None
    ces: int | None
    fcr: bool | None
    comment: str | None
    sentiment: str | None


class CommentPage(TypedDict):
    items: list[AgentComment]
    page: int
    per_page: int
    total: int


class AgentReport(TypedDict):
    scorecard: Scorecard
    trend: list[TrendItem]
    comments: CommentPage


def _shrink(metric: str, hists: Sequence[Histogram]) -> list[ShrunkEstimate | None]:
    """Empirical-Bayes estimates toward the group's answers, on the reporting scale.

    CSAT and FCR are proportions (beta-binomial); NPS (detractor -100, passive 0,
    promoter +100) and CES (1..7) are means of answer histograms under a
    Dirichlet prior (``stats.shrink_histograms``), bounded by their scales.
    """
    if not any(sum(h.values()) for h in hists):
        return [None] * len(hists)
    if metric in ("csat", "fcr"):
        raw = shrink_proportions([(successes(metric, h), sum(h.values())) for h in hists])
        return [_scaled(e, 100.0) for e in raw]
    if metric == "nps":
        rows = [
            [
                sum(c for v, c in h.items() if v in NPS_DETRACTORS),
                sum(c for v, c in h.items() if v not in NPS_DETRACTORS | NPS_PROMOTERS),
                sum(c for v, c in h.items() if v in NPS_PROMOTERS),
            ]
            for h in hists
        ]
        return list(shrink_histograms(rows, NPS_POINTS))
    scale = METRIC_SPECS[metric].values
    return list(shrink_histograms([[h.get(v, 0) for v in scale] for h in hists], scale))


def _scaled(e: ShrunkEstimate, k: float) -> ShrunkEstimate:
    return ShrunkEstimate(
        observed=None if e.observed is None else e.observed * k,
        n=e.n,
        estimate=e.estimate * k,
        interval=Interval(e.interval.low * k, e.interval.high * k),
    )


@dataclass(frozen=True)
class _Peer:
    """One agent in the comparison: their card and what it is computed from."""

    agent_id: int
    team_id: int
    hists: dict[str, Histogram]
    card: Scorecard


def _answered(hists: dict[str, Histogram]) -> int:
    return sum(hists.get(RESPONSES_METRIC, {}).values())


def _peers(
    session: Session,
    by_agent: dict[tuple[Any, ...], dict[str, Histogram]],
    agent_ids: list[int],
    complaints: dict[int, AgentComplaints],
) -> list[_Peer]:
    agents = {
        a.id: a
        for a in session.scalars(select(Agent).where(Agent.id.in_(agent_ids)))  # one query
    }
    team_ext = {k: v for k, v in session.execute(select(Team.id, Team.external_id))}
    peers = []
    for agent_id in agent_ids:
        agent = agents[agent_id]
        hists = by_agent.get((agent_id,), {})
        answered = hists.get(RESPONSES_METRIC, {})
        card: Scorecard = {
            "agent": agent.external_id,
            "name": agent.name,
            "team": team_ext.get(agent.team_id) if agent.team_id else None,
            "responses": sum(answered.values()),
            "comments": answered.get(1, 0),
            "metrics": {},
            "complaints": complaints[agent_id],
        }
        peers.append(_Peer(agent_id, agent.team_id or NO_ID, hists, card))
    return peers


def _add_metric(
    peers: list[_Peer],
    metric: str,
    goals: targets_service.TargetSet,
    min_n: int,
    only_agent: int | None,
) -> None:
    """Shrink every peer within their team, rank the shrunk estimates, and write
    the metric's entry on each card asked for."""
    shrunk: list[ShrunkEstimate | None] = [None] * len(peers)
    by_team: dict[int, list[int]] = defaultdict(list)
    for i, peer in enumerate(peers):
        by_team[peer.team_id].append(i)
    for members in by_team.values():
        estimates = _shrink(metric, [peers[i].hists.get(metric, {}) for i in members])
        for i, e in zip(members, estimates, strict=True):
            shrunk[i] = e
    ranked = [i for i, e in enumerate(shrunk) if e is not None]
    ranks = rank_with_evidence([shrunk[i] for i in ranked], min_n=min_n)  # type: ignore[misc]
    rank_of = dict(zip(ranked, ranks, strict=True))
    ranked_among = sum(1 for r in ranks if r is not None)
    for i, peer in enumerate(peers):
        if only_agent is not None and peer.agent_id != only_agent:
            continue
        s = score_of(metric, peer.hists.get(metric, {}), min_n)
        target = goals.for_agent(metric, peer.agent_id, peer.team_id)
        e = shrunk[i]
        entry = s.to_dict()
        entry.update(
            target=target,
            gap=None if target is None or s.value is None else s.value - target,
            shrunk=None
            if e is None
            else Shrunk(estimate=e.estimate, interval=interval_out(e.interval)),
            rank=rank_of.get(i),
            ranked_among=ranked_among,
        )
        peer.card["metrics"][metric] = entry


def scorecards(
    session: Session, f: Filters, min_n: int, only_agent: int | None = None
) -> list[Scorecard]:
    """One scorecard per agent with answers in the filter, ordered by agent id,
    each with the agent's complaints (``complaints.agent_complaints``).

    With ``only_agent``, every peer is still shrunk and ranked but only that
    agent's card is built and returned (one agent's report).
    """
    by_agent = histograms(session, f, "agent_id")
    agent_ids = sorted(k[0] for k in by_agent if k[0] != NO_ID)
    if f.agent_id is not None and f.agent_id not in agent_ids:
        agent_ids = [f.agent_id]
    answered = {a: _answered(by_agent.get((a,), {})) for a in agent_ids}
    peers = _peers(session, by_agent, agent_ids, agent_complaints(session, f, answered, min_n))
    goals = targets_service.load(session)
    for metric in METRICS:
        _add_metric(peers, metric, goals, min_n, only_agent)
    return [p.card for p in peers if only_agent is None or p.agent_id == only_agent]


def get_agent(session: Session, external_id: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.external_id == external_id))
    if agent is None:
        raise NotFound(f"No agent '{external_id}'.", fields={"agent": ["Unknown agent."]})
    return agent


def agent_report(
    session: Session, agent: Agent, f: Filters, min_n: int, page: int, per_page: int
) -> AgentReport:
    """The agent's scorecard (shrunk and ranked among peers under the same
    filters, minus the agent filter), weekly trend and the comments about them."""
    peers = Filters(f.start, f.end, f.team_id, None, f.channel, f.survey_id)
    card = next(iter(scorecards(session, peers, min_n, only_agent=agent.id)), None)
    if card is None:
        card = scorecards(session, Filters(**{**peers.__dict__, "agent_id": agent.id}), min_n)[0]
    mine = Filters(f.start, f.end, f.team_id, agent.id, f.channel, f.survey_id)
    weekly = trend_series(session, mine, "week", min_n)
    comments, total = agent_comments(session, mine, page, per_page)
    return {
        "scorecard": card,
        "trend": weekly,
        "comments": {"items": comments, "page": page, "per_page": per_page, "total": total},
    }


def agent_comments(
    session: Session, f: Filters, page: int, per_page: int
) -> tuple[list[AgentComment], int]:
    conditions = [*response_conditions(f), Response.comment.is_not(None), Response.comment != ""]
    total = int(session.scalar(select(func.count(Response.id)).where(*conditions)) or 0)
    rows = session.execute(
        select(Response, Ticket.external_id, CommentAnalysis.sentiment)
        .join(Ticket, Ticket.id == Response.ticket_id)
        .outerjoin(CommentAnalysis, CommentAnalysis.response_id == Response.id)
        .where(*conditions)
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items: list[AgentComment] = [
        {
            "response_id": r.id,
            "submitted_at": r.submitted_at.isoformat(),
            "ticket": ticket,
            "channel": r.channel,
            "csat": r.csat,
            "nps": r.nps,
            "ces": r.ces,
            "fcr": None if r.fcr is None else bool(r.fcr),
            "comment": r.comment,
            "sentiment": sentiment,
        }
        for r, ticket, sentiment in rows
    ]
    return items, total


# --- raw counts per agent (the dashboard's agent list) ----------------------------------


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    external_id: str
    name: str
    team: str | None
    responses: int
    csat_n: int
    csat_mean: float | None


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
