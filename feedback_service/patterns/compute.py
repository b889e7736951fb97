"""Computing a pattern run: load its inputs, run the pure tests, store the findings.

Also the product themes of any filtered period, computed on the spot
(:func:`period_themes`), for views that show themes without a stored run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypedDict

from sqlalchemy.orm import Session

from feedback_service.alerts import raise_alert
from feedback_service.db import utcnow
from feedback_service.patterns import loading
from feedback_service.patterns.agents import AgentPattern, find_agent_patterns
from feedback_service.patterns.csat import adjusted_csat
from feedback_service.patterns.explain import explain
from feedback_service.patterns.gaps import GapReport, ParetoRow, Theme, find_product_gaps
from feedback_service.patterns.models import PatternFinding, PatternRun
from feedback_service.patterns.service import (
    COMPLAINT_PATTERNS,
    EMERGING_ALERT,
    PRODUCT_GAPS,
    validate_filters,
)
from feedback_service.patterns.themes import ThemeComment
from feedback_service.patterns.trend import weekly_trend
from feedback_service.scores.scoring import DEFAULT_MIN_N


class PatternExample(TypedDict):
    response_id: int
    ticket: str
    sentence: str
    confidence: float


class PatternRow(TypedDict):
    """One complaint or praise pattern, as stored in ``PatternFinding.data``."""

    kind: str
    measure: str
    about: str
    agent: str
    agent_name: str | None
    team: str | None
    category: str | None
    why: str
    count: int
    responses: int
    peer_count: int
    peer_responses: int
    rate: float
    peer_rate: float
    rate_ratio: float | None
    expected_count: float
    adjusted_peer_rate: float
    rate_difference: float
    p_value: float
    q_value: float
    weight: float
    trend: str | None
    previous_count: int | None
    previous_responses: int | None
    previous_rate: float | None
    rate_change: float | None
    peers: int
    examples: list[PatternExample]


class AdjustedCsatRow(TypedDict):
    """One agent's CSAT with product and process complaints excused."""

    agent: str
    agent_name: str | None
    team: str | None
    answers: int
    satisfied: int
    csat: float | None
    csat_low: float | None
    csat_high: float | None
    excused_product: int
    excused_process: int
    controllable_answers: int
    adjusted_csat: float | None
    adjusted_low: float | None
    adjusted_high: float | None
    low_sample: bool


class WeeklyCount(TypedDict):
    week: str
    count: int


class ProductCount(TypedDict):
    product: str
    comments: int


class AffectedAgent(TypedDict):
    agent: str
    agent_name: str | None
    comments: int


class ThemeExampleRow(TypedDict):
    response_id: int
    ticket: str
    agent: str | None
    sentence: str


class ThemeRow(TypedDict):
    """One product or process theme, as stored in ``PatternFinding.data``."""

    theme: str
    name: str
    target: str
    category: str
    key_phrases: list[str]
    comments: int
    dissatisfied: int
    share: float
    contact_share: float | None
    trend: str
    latest_week_count: int
    weekly: list[WeeklyCount]
    agents: int
    tickets: int
    products: list[str]
    product_counts: list[ProductCount]
    top_agent_share: float
    affected_agents: list[AffectedAgent]
    csat_answers: int
    csat_mean: float | None
    csat_top2: float | None
    rest_csat_mean: float | None
    rest_csat_top2: float | None
    csat_effect: float | None
    recurring: bool
    product_gap: bool
    emerging: bool
    burst_p: float | None
    burst_q: float | None
    pareto_rank: int | None
    pareto_share: float | None
    pareto_cumulative_share: float | None
    vital_few: bool
    examples: list[ThemeExampleRow]


def compute_run(session: Session, run: PatternRun) -> list[ThemeRow]:
    """Compute ``run``, store its findings and mark it done.

    Returns the emerging themes (product gaps only) for the alerts.
    """
    scope = validate_filters(session, run.filters)
    data = loading.DayRange(run.data_from, run.data_to)
    emerging: list[ThemeRow] = []
    if run.kind == COMPLAINT_PATTERNS:
        assert run.previous_from is not None and run.previous_to is not None
        previous = loading.DayRange(run.previous_from, run.previous_to)
        rows, summary = _complaint_patterns(session, scope, data, previous)
    elif run.kind == PRODUCT_GAPS:
        themes, summary = _product_gaps(session, scope, data)
        rows = [("theme", None, t["theme"], t) for t in themes]
        emerging = [t for t in themes if t["emerging"]]
    else:
        raise ValueError(f"unknown run kind {run.kind!r}")
    session.add_all(
        PatternFinding(
            run_id=run.id, section=section, position=i, agent=agent, theme=theme, data=row
        )
        for i, (section, agent, theme, row) in enumerate(rows)
    )
    run.summary = summary
    run.status = "done"
    run.finished_at = utcnow()
    session.flush()
    return emerging


# section, agent, theme, the row the API serves
FindingRow = tuple[str, str | None, str | None, PatternRow | AdjustedCsatRow | ThemeRow]


def _complaint_patterns(
    session: Session, scope: loading.Scope, data: loading.DayRange, previous: loading.DayRange
) -> tuple[list[FindingRow], dict[str, Any]]:
    inputs = loading.load_agent_inputs(session, scope, data, previous)
    report = find_agent_patterns(
        inputs.current, inputs.previous, agent_categories=inputs.agent_categories
    )
    names = inputs.agent_names
    teams = loading.team_names(
        session, sorted({f.team_id for f in report.complaints + report.praise})
    )
    rows: list[FindingRow] = []
    for finding in report.complaints + report.praise:
        why = explain(
            finding,
            agent_name=names.get(finding.agent_id) or finding.agent_id,
            team_name=teams.get(finding.team_id) or finding.team_id or "their team",
            tests=report.tests,
            previous_days=previous.days,
        )
        rows.append(("pattern", finding.agent_id, None, _pattern_row(finding, names, why)))
    for a in adjusted_csat(inputs.csat, DEFAULT_MIN_N):
        rows.append(
            (
                "adjusted_csat",
                a.agent_id,
                None,
                {
                    "agent": a.agent_id,
                    "agent_name": names.get(a.agent_id),
                    "team": a.team_id or None,
                    "answers": a.answers,
                    "satisfied": a.satisfied,
                    "csat": a.csat,
                    "csat_low": a.csat_interval.low if a.csat_interval else None,
                    "csat_high": a.csat_interval.high if a.csat_interval else None,
                    "excused_product": a.excused_product,
                    "excused_process": a.excused_process,
                    "controllable_answers": a.controllable_answers,
                    "adjusted_csat": a.adjusted_csat,
                    "adjusted_low": a.adjusted_interval.low if a.adjusted_interval else None,
                    "adjusted_high": a.adjusted_interval.high if a.adjusted_interval else None,
                    "low_sample": a.low_sample,
                },
            )
        )
    summary = {
        "responses": inputs.responses,
        "comments": inputs.comments,
        "agents": len(inputs.current),
        "tests": report.tests,
        "alpha": report.alpha,
        "min_count": report.min_count,
        "min_rate_ratio": report.min_rate_ratio,
        "adjusted_for_channel": report.adjusted_for_channel,
        "complaint_patterns": len(report.complaints),
        "praise_patterns": len(report.praise),
    }
    return rows, summary


def _pattern_row(f: AgentPattern, names: Mapping[str, str | None], why: str) -> PatternRow:
    trend = f.trend
    return {
        "kind": f.kind,
        "measure": f.measure,
        "about": f.about,
        "agent": f.agent_id,
        "agent_name": names.get(f.agent_id),
        "team": f.team_id or None,
        "category": f.category,
        "why": why,
        "count": f.count,
        "responses": f.responses,
        "rate": f.rate,
        "peer_count": f.peer_count,
        "peer_responses": f.peer_responses,
        "peer_rate": f.peer_rate,
        "expected_count": f.expected_count,
        "adjusted_peer_rate": f.adjusted_peer_rate,
        "rate_ratio": f.rate_ratio,
        "rate_difference": f.rate_difference,
        "p_value": f.p_value,
        "q_value": f.q_value,
        "weight": f.weight,
        "trend": trend.direction if trend else None,
        "previous_count": trend.previous_count if trend else None,
        "previous_responses": trend.previous_responses if trend else None,
        "previous_rate": trend.previous_rate if trend else None,
        "rate_change": trend.change if trend else None,
        "peers": f.peers,
        "examples": [
            {
                "response_id": int(e.comment_id),
                "ticket": e.ticket_id,
                "sentence": e.sentence,
                "confidence": e.confidence,
            }
            for e in f.examples
        ],
    }


def _agents_by_theme(
    comments: Sequence[ThemeComment], assignments: Sequence[str]
) -> dict[str, Counter[str]]:
    """Per theme: comments per agent (one per comment, however many sentences)."""
    agents_by_theme: dict[str, Counter[str]] = defaultdict(Counter)
    counted: set[tuple[str, str]] = set()
    for comment, theme_id in zip(comments, assignments, strict=True):
        if theme_id and (theme_id, comment.comment_id) not in counted and comment.agent_id:
            counted.add((theme_id, comment.comment_id))
            agents_by_theme[theme_id][comment.agent_id] += 1
    return agents_by_theme


def _theme_row(
    t: Theme,
    inputs: loading.ThemeInputs,
    pareto: Mapping[str, tuple[int, ParetoRow]],
    affected: list[AffectedAgent],
) -> ThemeRow:
    weekly: list[WeeklyCount] = [
        {"week": inputs.real_week(w.week).isoformat(), "count": w.count} for w in t.weekly
    ]
    rank, p = pareto.get(t.theme_id, (None, None))
    return {
        "theme": t.theme_id,
        "name": t.name,
        "target": t.target,
        "category": t.category,
        "key_phrases": list(t.key_phrases),
        "comments": t.comments,
        "dissatisfied": t.dissatisfied,
        "share": t.share,
        "contact_share": t.contact_share,
        "trend": weekly_trend([w.count for w in t.weekly]),
        "latest_week_count": t.weekly[-1].count if t.weekly else 0,
        "weekly": weekly,
        "agents": t.agents,
        "tickets": t.tickets,
        "products": list(t.products),
        "product_counts": [
            {"product": p, "comments": n} for p, n in zip(t.products, t.product_counts, strict=True)
        ],
        "top_agent_share": t.top_agent_share,
        "affected_agents": affected,
        "csat_answers": t.csat_answers,
        "csat_mean": t.csat_mean,
        "csat_top2": t.csat_top2,
        "rest_csat_mean": t.rest_csat_mean,
        "rest_csat_top2": t.rest_csat_top2,
        "csat_effect": t.csat_effect,
        "recurring": t.recurring,
        "product_gap": t.product_gap,
        "emerging": t.emerging,
        "burst_p": t.burst_p,
        "burst_q": t.burst_q,
        "pareto_rank": rank,
        "pareto_share": p.share if p else None,
        "pareto_cumulative_share": p.cumulative_share if p else None,
        "vital_few": p.vital_few if p else False,
        "examples": [
            {
                "response_id": int(e.comment_id),
                "ticket": e.ticket_id,
                "agent": e.agent_id or None,
                "sentence": e.sentence,
            }
            for e in t.examples
        ],
    }


def _product_gaps(
    session: Session, scope: loading.Scope, data: loading.DayRange
) -> tuple[list[ThemeRow], dict[str, Any]]:
    inputs = loading.load_theme_inputs(session, scope, data)
    # The last bucket ends on the window's last day: it is the week to test.
    report: GapReport = find_product_gaps(
        inputs.comments, baseline=inputs.baseline, as_of=inputs.anchor_weeks[-1]
    )
    agents_by_theme = _agents_by_theme(inputs.comments, report.assignments)
    names = loading.agent_names(session, sorted({a for c in agents_by_theme.values() for a in c}))
    pareto = {p.theme_id: (rank, p) for rank, p in enumerate(report.pareto, start=1)}
    rows: list[ThemeRow] = []
    for t in report.themes:
        affected: list[AffectedAgent] = [
            {"agent": a, "agent_name": names.get(a), "comments": n}
            for a, n in sorted(agents_by_theme[t.theme_id].items(), key=lambda x: (-x[1], x[0]))
        ]
        rows.append(_theme_row(t, inputs, pareto, affected))
    summary = {
        "responses": inputs.baseline.responses,
        "comments": report.comments,
        "sentences": len(inputs.comments),
        "themes": len(report.themes),
        "product_gaps": len(report.product_gaps),
        "emerging": len(report.emerging),
        "vital_few": sum(1 for p in report.pareto if p.vital_few),
        "weeks": [w.isoformat() for w in inputs.week_starts],
    }
    return rows, summary


# --- the product themes of a filtered period ----------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodThemes:
    """The themes of one period, as a product-gap run would find them.

    ``themes`` are largest first, their ``weekly`` counts keyed by each 7-day
    bucket's real first day (``weeks``; buckets end on the period's last day,
    so the first one may be shorter); ``agents`` maps a theme id to the
    helpdesk ids of the agents whose customers raised it, most comments first.
    """

    themes: tuple[Theme, ...]
    weeks: tuple[dt.date, ...]
    agents: dict[str, list[tuple[str, int]]]
    comments: int
    responses: int


def period_themes(
    session: Session, scope: loading.Scope, days: loading.DayRange, *, agent: str | None = None
) -> PeriodThemes:
    """The product and process complaint themes of ``days`` under ``scope``,
    computed now with the same definition as the product-gap runs (complaint
    sentences only, clustered and named by ``themes``/``gaps``).

    With ``agent`` (helpdesk id) only the themes that agent's customers raised
    are kept; they are still found among everyone's comments, so a theme keeps
    its name and size whichever agent looks at it.
    """
    inputs = loading.load_theme_inputs(session, scope, days)
    report = find_product_gaps(
        inputs.comments, baseline=inputs.baseline, as_of=inputs.anchor_weeks[-1]
    )
    by_theme = _agents_by_theme(inputs.comments, report.assignments)
    agents = {
        theme_id: sorted(counts.items(), key=lambda x: (-x[1], x[0]))
        for theme_id, counts in by_theme.items()
    }
    themes = tuple(
        replace(t, weekly=tuple(replace(w, week=inputs.real_week(w.week)) for w in t.weekly))
        for t in report.themes
        if agent is None or any(a == agent for a, _ in agents.get(t.theme_id, ()))
    )
    return PeriodThemes(
        themes=themes,
        weeks=inputs.week_starts,
        agents=agents,
        comments=report.comments,
        responses=inputs.baseline.responses,
    )


# --- alerts -----------------------------------------------------------------------


def alert_emerging(session: Session, run: PatternRun, themes: Sequence[ThemeRow]) -> int:
    """Raise one alert per emerging theme and week; the alerts feature keeps it
    to one however many runs (hourly, filtered, refreshed) find the same burst."""
    week = run.data_to.isocalendar()
    scope = validate_filters(session, run.filters)
    for theme in themes:
        raise_alert(
            session,
            EMERGING_ALERT,
            f"Emerging {theme['target']} problem: {theme['name']}",
            {
                "theme": theme["theme"],
                "name": theme["name"],
                "target": theme["target"],
                "category": theme["category"],
                "key_phrases": theme["key_phrases"],
                "latest_week_count": theme["latest_week_count"],
                "weekly": theme["weekly"],
                "agents": theme["agents"],
                "tickets": theme["tickets"],
                "products": theme["products"],
                "burst_q": theme["burst_q"],
                "run_id": run.id,
                "filters": dict(run.filters),
                "examples": theme["examples"],
            },
            f"gap:{theme['theme'][:170]}:{week.year}-W{week.week:02d}",
            team_id=scope.team_id,
        )
    return len(themes)
