"""Complaints on the support floor: how many each agent draws, per 100 answered
surveys and per 100 tickets, and the Pareto of agents and causes behind them.

A complaint is an answer whose comment carries a complaint finding
(``comments.complaint_findings``: the one definition the complaint categories
use too), counted once however many sentences carry it. Findings are read on
their own, as the complaint categories read them: they carry the answer's
agent, team, ticket and time, and exist only for answers a person gave (a
comment comes with a page, widget or API submit, which confirms the answer).

* ``count`` and ``per_100_answered``: the complaints among the agent's answered
  surveys submitted in the range (the scorecard's ``responses``).
* ``per_100_tickets``: of the agent's tickets closed in the range, how many
  drew a complaint (in any answer about the ticket, whenever it came), so every
  ticket counts once and the figure is a share.

Both shares carry a 95% interval from ``intervals.mean_intervals`` on the
two-point scale 0 / 100 (the Bernoulli case, where its Beta is exact).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TypedDict

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.analysis.models import CommentFinding
from feedback_service.auth.users import Scope
from feedback_service.db import equal_to
from feedback_service.helpdesk.models import Agent, Team, Ticket
from feedback_service.scores import trigger_rollups
from feedback_service.scores.comments import complaint_findings
from feedback_service.scores.filters import (
    Filters,
    column_conditions,
    rollup_conditions,
    ticket_conditions,
)
from feedback_service.scores.histograms import IntervalOut
from feedback_service.scores.intervals import mean_intervals
from feedback_service.scores.kpis import ticket_pieces
from feedback_service.scores.models import NO_ID
from feedback_service.scores.pareto import PARETO_THRESHOLD, pareto
from feedback_service.surveys.models import Response

PER_100 = (0.0, 100.0)


class Per100(TypedDict):
    """A share per 100 with its interval; ``value`` null when ``n`` is 0."""

    value: float | None
    count: int
    n: int
    interval: IntervalOut | None
    low_sample: bool


class AgentComplaints(TypedDict):
    count: int
    per_100_answered: Per100
    per_100_tickets: Per100


class ParetoAgent(TypedDict):
    agent: str | None  # null: complaints about tickets with no agent
    name: str | None
    team: str | None
    complaints: int
    share: float
    cumulative_share: float
    vital: bool


class ParetoCategory(TypedDict):
    target: str
    category: str
    complaints: int
    share: float
    cumulative_share: float
    vital: bool


class Pareto(TypedDict):
    threshold: float
    complaints: int
    agents: list[ParetoAgent]
    categories: list[ParetoCategory]


def per_100(pairs: Sequence[tuple[int, int]], min_n: int) -> list[Per100]:
    """``(count, n)`` pairs -> shares per 100 with their intervals, in one batch."""
    if not pairs:
        return []
    bounded = mean_intervals([[n - k, k] for k, n in pairs], PER_100)
    out: list[Per100] = []
    for i, (k, n) in enumerate(pairs):
        solid = n > 0 and not np.isnan(bounded.estimate[i])
        out.append(
            {
                "value": float(bounded.estimate[i]) if solid else None,
                "count": k,
                "n": n,
                "interval": {"low": float(bounded.low[i]), "high": float(bounded.high[i])}
                if solid
                else None,
                "low_sample": n < min_n,
            }
        )
    return out


def _complaint_findings(f: Filters, scope: Scope | None = None) -> list[ColumnElement[bool]]:
    """The complaint findings under the report's filters. Findings carry the
    answer's agent, team and time, so they are read alone (as the complaint
    categories are); the channel and survey filters look the answers up."""
    cf = CommentFinding
    conditions = [
        *column_conditions(f, cf.submitted_at, cf.team_id, cf.agent_id),
        *complaint_findings(),
    ]
    if scope is not None:
        conditions.append(scope.clause(cf.agent_id, cf.team_id))
    if f.channel is not None or f.survey_id is not None:
        answers = select(Response.id).where(
            *equal_to(Response, channel=f.channel, survey_id=f.survey_id)
        )
        conditions.append(cf.response_id.in_(answers))
    return conditions


def complaints_by_agent(session: Session, f: Filters, scope: Scope | None = None) -> dict[int, int]:
    """Complaints per agent id (0 for answers with no agent) under the filters."""
    cf = CommentFinding
    stmt = (
        select(cf.agent_id, func.count(func.distinct(cf.response_id)))
        .where(*_complaint_findings(f, scope))
        .group_by(cf.agent_id)
    )
    return {agent or NO_ID: int(n) for agent, n in session.execute(stmt)}


def _tickets_by_agent(session: Session, f: Filters) -> dict[int, tuple[int, int]]:
    """Per agent: tickets closed in the range, and how many of them drew a complaint
    (read from the complaint findings, which name their ticket)."""
    cf = CommentFinding
    complaint = [*complaint_findings()]
    if f.survey_id is not None:
        complaint.append(
            cf.response_id.in_(select(Response.id).where(Response.survey_id == f.survey_id))
        )
    complained = {
        agent or NO_ID: int(n)
        for agent, n in session.execute(
            select(Ticket.agent_id, func.count(func.distinct(Ticket.id)))
            .join(cf, cf.ticket_id == Ticket.id)
            .where(*ticket_conditions(f), *complaint)
            .group_by(Ticket.agent_id)
        )
    }
    return {
        agent: (complained.get(agent, 0), n) for agent, n in _closed_by_agent(session, f).items()
    }


def _closed_by_agent(session: Session, f: Filters) -> dict[int, int]:
    """Tickets closed in the range per agent: the ticket rollups on PostgreSQL
    (they carry no survey; that filter reads the tickets), else the tickets."""
    out: dict[int, int] = defaultdict(int)
    if trigger_rollups.in_use(session) and f.survey_id is None:
        for table, first, last in ticket_pieces(f):
            stmt = (
                select(table.agent_id, func.sum(table.tickets))
                .where(*rollup_conditions(table, first, last, f, by_survey=False))
                .group_by(table.agent_id)
            )
            for agent, n in session.execute(stmt):
                out[agent or NO_ID] += int(n or 0)
    else:
        stmt = (
            select(Ticket.agent_id, func.count(Ticket.id))
            .where(*ticket_conditions(f))
            .group_by(Ticket.agent_id)
        )
        for agent, n in session.execute(stmt):
            out[agent or NO_ID] += int(n)
    return {agent: n for agent, n in out.items() if n}


def agent_complaints(
    session: Session, f: Filters, answered: Mapping[int, int], min_n: int
) -> dict[int, AgentComplaints]:
    """Every agent in ``answered`` (agent id -> answered surveys in the range):
    their complaints, per 100 answered surveys and per 100 tickets closed."""
    agent_ids = sorted(answered)
    counts = complaints_by_agent(session, f)
    tickets = _tickets_by_agent(session, f)
    # The answers come from the rollups, the complaints from the answers: the worker
    # updates both in one transaction, but a rollup awaiting a rebuild may lag.
    by_answers = per_100(
        [(counts.get(a, 0), max(answered[a], counts.get(a, 0))) for a in agent_ids], min_n
    )
    by_tickets = per_100([tickets.get(a, (0, 0)) for a in agent_ids], min_n)
    return {
        a: {"count": counts.get(a, 0), "per_100_answered": x, "per_100_tickets": t}
        for a, x, t in zip(agent_ids, by_answers, by_tickets, strict=True)
    }


def _category_counts(
    session: Session, f: Filters, scope: Scope | None
) -> list[tuple[tuple[str, str], int]]:
    cf = CommentFinding
    stmt = (
        select(cf.target, cf.category, func.count(func.distinct(cf.response_id)))
        .where(*_complaint_findings(f, scope))
        .group_by(cf.target, cf.category)
    )
    return [((target, str(category)), int(n)) for target, category, n in session.execute(stmt)]


def complaint_pareto(
    session: Session,
    f: Filters,
    scope: Scope | None = None,
    threshold: float = PARETO_THRESHOLD,
) -> Pareto:
    """The agents and the causes (target and category) behind the complaints, most
    first, each with its share and the cumulative share; ``vital`` marks the few
    that together reach ``threshold`` percent. A complaint with two causes counts
    under both, so causes' shares are of all causes counted."""
    by_agent = complaints_by_agent(session, f, scope)
    known = sorted(a for a in by_agent if a)
    agents = {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(known)))}
    by_external = {a.external_id: a for a in agents.values()}
    team_ext = dict(session.execute(select(Team.id, Team.external_id)).all())
    agent_rows: list[ParetoAgent] = []
    for item in pareto(
        ((agents[a].external_id if a else None, n) for a, n in by_agent.items()), threshold
    ):
        found = by_external.get(item.key) if item.key else None
        agent_rows.append(
            {
                "agent": item.key,
                "name": found.name if found else None,
                "team": team_ext.get(found.team_id) if found and found.team_id else None,
                "complaints": item.count,
                "share": item.share,
                "cumulative_share": item.cumulative,
                "vital": item.vital,
            }
        )
    categories: list[ParetoCategory] = [
        {
            "target": item.key[0],
            "category": item.key[1],
            "complaints": item.count,
            "share": item.share,
            "cumulative_share": item.cumulative,
            "vital": item.vital,
        }
        for item in pareto(_category_counts(session, f, scope), threshold)
    ]
    return {
        "threshold": threshold,
        "complaints": sum(by_agent.values()),
        "agents": agent_rows,
        "categories": categories,
    }
