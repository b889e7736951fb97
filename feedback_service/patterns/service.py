"""Pattern runs: create them, compute them, find the one a report should show.

Functions take a session and ``flush()``; the task (and only the task) commits
a run's state changes, so a crash is rolled back and recorded as ``failed``.

Windows (inclusive UTC days; ``today`` is the run's day):

* complaint patterns: ``[from, to]``, by default the 28 days ending today; the
  trend compares with the equally long period just before;
* product gaps: whole 7-day weeks ending on ``to`` (default today), by default
  12 of them. A ``from`` that does not start a whole week is moved forward to
  the next week boundary (a partial first week would look quiet and make every
  later week look like a burst); the run records the range it really covers.

Filters ``team``, ``channel`` and ``survey`` define the data a run is computed
on; ``agent`` is applied when a report is read (an agent's patterns are judged
against their whole team either way, and a theme is shown for an agent when
their customers are among those who raised it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from feedback_service.alerts import raise_alert
from feedback_service.analysis.reports import resolve_filters
from feedback_service.analysis.scoring import DEFAULT_MIN_N
from feedback_service.db import utcnow
from feedback_service.errors import NotFound, ValidationError
from feedback_service.patterns import loading
from feedback_service.patterns.agents import (
    AgentPattern,
    adjusted_csat,
    explain,
    find_agent_patterns,
)
from feedback_service.patterns.models import PatternFinding, PatternRun
from feedback_service.patterns.themes import GapReport, find_product_gaps
from feedback_service.patterns.trend import weekly_trend

log = logging.getLogger(__name__)

COMPLAINT_PATTERNS: Final = "complaint-patterns"
PRODUCT_GAPS: Final = "product-gaps"
PATTERN_DAYS: Final = 28
GAP_WEEKS: Final = 12
MIN_GAP_WEEKS: Final = 2
RUN_FILTERS: Final = ("team", "channel", "survey")
TOP_AGENTS: Final = 10
EMERGING_ALERT: Final = "emerging_product_gap"
PENDING_PATIENCE: Final = dt.timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Window:
    data: loading.DayRange
    previous: loading.DayRange | None


def window(kind: str, start: dt.date | None, end: dt.date | None, today: dt.date) -> Window:
    """The data range a run of ``kind`` covers; 422 naming ``from`` if it cannot."""
    if start is not None and end is not None and start > end:
        raise ValidationError(
            "Invalid report filters: from", fields={"from": [f"'from' ({start}) is after 'to'."]}
        )
    last = end or today
    if kind == COMPLAINT_PATTERNS:
        first = start or last - dt.timedelta(days=PATTERN_DAYS - 1)
        if first > last:
            raise ValidationError(
                "Invalid report filters: from",
                fields={"from": [f"'from' ({first}) is after today ({last})."]},
            )
        days = (last - first).days + 1
        prev_last = first - dt.timedelta(days=1)
        previous = loading.DayRange(prev_last - dt.timedelta(days=days - 1), prev_last)
        return Window(loading.DayRange(first, last), previous)
    asked = start or last - dt.timedelta(days=7 * GAP_WEEKS - 1)
    weeks = ((last - asked).days + 1) // 7
    if weeks < MIN_GAP_WEEKS:
        raise ValidationError(
            "Invalid report filters: from",
            fields={"from": [f"Product gaps need at least {MIN_GAP_WEEKS} whole weeks (14 days)."]},
        )
    return Window(loading.DayRange(last - dt.timedelta(days=7 * weeks - 1), last), None)


def filter_key(filters: Mapping[str, Any]) -> str:
    """A canonical string of the run's filters ("" for none), for equality lookups."""
    present = {k: str(filters[k]) for k in RUN_FILTERS if filters.get(k) is not None}
    return json.dumps(present, sort_keys=True, separators=(",", ":")) if present else ""


def run_filters(args: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(args[k]) for k in RUN_FILTERS if args.get(k) is not None}


def _scope(session: Session, filters: Mapping[str, Any]) -> loading.Scope:
    resolved = resolve_filters(session, dict(filters))
    return loading.Scope(resolved.team_id, resolved.channel, resolved.survey_id)


def validate_filters(session: Session, args: Mapping[str, Any]) -> loading.Scope:
    """422 naming the field for an unknown team, agent or survey, or from > to."""
    return _scope(session, args)


def create_run(
    session: Session,
    kind: str,
    args: Mapping[str, Any],
    *,
    trigger: str = "api",
    today: dt.date | None = None,
) -> PatternRun:
    """A queued run of ``kind`` under the filters in ``args`` (API names)."""
    validate_filters(session, args)
    span = window(kind, args.get("from"), args.get("to"), today or utcnow().date())
    filters = run_filters(args)
    run = PatternRun(
        kind=kind,
        status="queued",
        trigger=trigger,
        filters=filters,
        filter_key=filter_key(filters),
        requested_from=args.get("from"),
        requested_to=args.get("to"),
        data_from=span.data.first,
        data_to=span.data.last,
        previous_from=span.previous.first if span.previous else None,
        previous_to=span.previous.last if span.previous else None,
        summary={},
    )
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: int) -> PatternRun:
    run = session.get(PatternRun, run_id)
    if run is None:
        raise NotFound(f"No job {run_id}.", fields={"id": ["Unknown job."]})
    return run


def _matching(kind: str, args: Mapping[str, Any]) -> list[Any]:
    return [
        PatternRun.kind == kind,
        PatternRun.filter_key == filter_key(run_filters(args)),
        PatternRun.requested_from.is_(None)
        if args.get("from") is None
        else PatternRun.requested_from == args["from"],
        PatternRun.requested_to.is_(None)
        if args.get("to") is None
        else PatternRun.requested_to == args["to"],
    ]


def scope_of(args: Mapping[str, Any]) -> str:
    """The filters and range of a run as one string (the scope a refresh locks)."""
    return f"{filter_key(run_filters(args))}:{args.get('from')}:{args.get('to')}"


def latest_done_run(session: Session, kind: str, args: Mapping[str, Any]) -> PatternRun | None:
    """The newest finished run asked for with the same filters and range."""
    return session.scalars(
        select(PatternRun)
        .where(*_matching(kind, args), PatternRun.status == "done")
        .order_by(PatternRun.finished_at.desc(), PatternRun.id.desc())
        .limit(1)
    ).first()


def pending_run(session: Session, kind: str, args: Mapping[str, Any]) -> PatternRun | None:
    """A queued or running run for the same report, unless it has been stuck so
    long that waiting for it would keep the report away for good."""
    return session.scalars(
        select(PatternRun)
        .where(
            *_matching(kind, args),
            PatternRun.status.in_(("queued", "running")),
            PatternRun.created_at >= utcnow() - PENDING_PATIENCE,
        )
        .order_by(PatternRun.id.desc())
        .limit(1)
    ).first()


def responses_in_scope(session: Session, kind: str, args: Mapping[str, Any]) -> int:
    """How many responses a run would read (decides inline vs. queued)."""
    scope = validate_filters(session, args)
    span = window(kind, args.get("from"), args.get("to"), utcnow().date())
    first = span.previous.first if span.previous else span.data.first
    return loading.count_responses(session, scope, loading.DayRange(first, span.data.last))


def queued_run_ids(session: Session, older_than: dt.timedelta) -> list[int]:
    """Runs committed as queued but not picked up (the enqueue was lost)."""
    cutoff = utcnow() - older_than
    return list(
        session.scalars(
            select(PatternRun.id)
            .where(PatternRun.status == "queued", PatternRun.created_at < cutoff)
            .order_by(PatternRun.id)
        )
    )


def recent_scheduled_run(
    session: Session, kind: str, since: dt.datetime, data_to: dt.date
) -> PatternRun | None:
    """A default-window run of ``kind`` made since ``since`` that still counts."""
    return session.scalars(
        select(PatternRun)
        .where(
            *_matching(kind, {}),
            PatternRun.created_at >= since,
            PatternRun.data_to == data_to,
            PatternRun.status.in_(("queued", "running", "done")),
        )
        .limit(1)
    ).first()


# --- computing a run --------------------------------------------------------------


def start_run(session: Session, run: PatternRun) -> None:
    """Mark ``run`` running; a redelivered task starts over from no findings."""
    session.execute(delete(PatternFinding).where(PatternFinding.run_id == run.id))
    session.expire(run, ["findings"])
    run.status = "running"
    run.started_at = utcnow()
    run.error = None
    session.flush()


def compute_run(session: Session, run: PatternRun) -> list[dict[str, Any]]:
    """Compute ``run``, store its findings and mark it done.

    Returns the emerging themes (product gaps only) for the alerts.
    """
    scope = _scope(session, run.filters)
    data = loading.DayRange(run.data_from, run.data_to)
    emerging: list[dict[str, Any]] = []
    if run.kind == COMPLAINT_PATTERNS:
        assert run.previous_from is not None and run.previous_to is not None
        previous = loading.DayRange(run.previous_from, run.previous_to)
        rows, summary = _complaint_patterns(session, scope, data, previous)
    elif run.kind == PRODUCT_GAPS:
        rows, summary = _product_gaps(session, scope, data)
        emerging = [r[3] for r in rows if r[0] == "theme" and r[3]["emerging"]]
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


def fail_run(session: Session, run_id: int, error: str) -> None:
    run = session.get(PatternRun, run_id)
    if run is None:
        return
    run.status = "failed"
    run.error = error[:4000]
    run.finished_at = utcnow()
    session.flush()


FindingRow = tuple[str, str | None, str | None, dict[str, Any]]


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


def _pattern_row(f: AgentPattern, names: Mapping[str, str | None], why: str) -> dict[str, Any]:
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


def _product_gaps(
    session: Session, scope: loading.Scope, data: loading.DayRange
) -> tuple[list[FindingRow], dict[str, Any]]:
    inputs = loading.load_theme_inputs(session, scope, data)
    # The last bucket ends on the window's last day: it is the week to test.
    report: GapReport = find_product_gaps(
        inputs.comments, baseline=inputs.baseline, as_of=inputs.anchor_weeks[-1]
    )
    agents_by_theme: dict[str, Counter[str]] = defaultdict(Counter)
    counted: set[tuple[str, str]] = set()
    for comment, theme_id in zip(inputs.comments, report.assignments, strict=True):
        if theme_id and (theme_id, comment.comment_id) not in counted and comment.agent_id:
            counted.add((theme_id, comment.comment_id))
            agents_by_theme[theme_id][comment.agent_id] += 1
    names = loading.agent_names(session, sorted({a for c in agents_by_theme.values() for a in c}))
    pareto = {p.theme_id: (rank, p) for rank, p in enumerate(report.pareto, start=1)}
    rows: list[FindingRow] = []
    for t in report.themes:
        weekly = [
            {"week": inputs.real_week(w.week).isoformat(), "count": w.count} for w in t.weekly
        ]
        rank, p = pareto.get(t.theme_id, (None, None))
        affected = [
            {"agent": a, "agent_name": names.get(a), "comments": n}
            for a, n in sorted(agents_by_theme[t.theme_id].items(), key=lambda x: (-x[1], x[0]))
        ]
        rows.append(
            (
                "theme",
                None,
                t.theme_id,
                {
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
                        {"product": p, "comments": n}
                        for p, n in zip(t.products, t.product_counts, strict=True)
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
                },
            )
        )
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


# --- reading a run ----------------------------------------------------------------


def run_info(run: PatternRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "trigger": run.trigger,
        "filters": dict(run.filters),
        "from": run.data_from,
        "to": run.data_to,
        "previous_from": run.previous_from,
        "previous_to": run.previous_to,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "computed_at": run.finished_at if run.status == "done" else None,
        "finished_at": run.finished_at,
        "error": run.error,
    }


def _findings(session: Session, run: PatternRun, section: str) -> list[PatternFinding]:
    return list(
        session.scalars(
            select(PatternFinding)
            .where(PatternFinding.run_id == run.id, PatternFinding.section == section)
            .order_by(PatternFinding.position)
        )
    )


def complaint_report(session: Session, run: PatternRun, agent: str | None) -> dict[str, Any]:
    def keep(f: PatternFinding) -> bool:
        return agent is None or f.agent == agent

    return {
        "run": run_info(run),
        "summary": dict(run.summary),
        "items": [f.data for f in _findings(session, run, "pattern") if keep(f)],
        "adjusted_csat": [f.data for f in _findings(session, run, "adjusted_csat") if keep(f)],
    }


def gap_report(session: Session, run: PatternRun, agent: str | None) -> dict[str, Any]:
    items = []
    for f in _findings(session, run, "theme"):
        row = dict(f.data)
        affected: list[dict[str, Any]] = row.pop("affected_agents", [])
        if agent is not None and all(a["agent"] != agent for a in affected):
            continue
        row["top_agents"] = affected[:TOP_AGENTS]
        items.append(row)
    return {"run": run_info(run), "summary": dict(run.summary), "items": items}


# --- CSV rows (the JSON items, flattened) -----------------------------------------


def _join(values: Sequence[Any]) -> str:
    return "; ".join(str(v) for v in values)


def pattern_rows(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        row = {k: v for k, v in item.items() if k != "examples"}
        row["example_tickets"] = _join([e["ticket"] for e in item["examples"]])
        row["example_comments"] = " | ".join(e["sentence"] for e in item["examples"])
        rows.append(row)
    return rows


def theme_rows(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        row = {k: v for k, v in item.items() if k not in ("examples", "weekly", "top_agents")}
        row["key_phrases"] = _join(item["key_phrases"])
        row["products"] = _join(item["products"])
        row["product_counts"] = _join(
            [f"{p['product']} ({p['comments']})" for p in item.get("product_counts", [])]
        )
        row["weekly_counts"] = _join([w["count"] for w in item["weekly"]])
        row["top_agents"] = _join([a["agent"] for a in item["top_agents"]])
        row["example_tickets"] = _join([e["ticket"] for e in item["examples"]])
        row["example_comments"] = " | ".join(e["sentence"] for e in item["examples"])
        rows.append(row)
    return rows


# --- alerts -----------------------------------------------------------------------


def alert_emerging(session: Session, run: PatternRun, themes: Sequence[Mapping[str, Any]]) -> int:
    """Raise one alert per emerging theme and week; the alerts feature keeps it
    to one however many runs (hourly, filtered, refreshed) find the same burst."""
    week = run.data_to.isocalendar()
    scope = _scope(session, run.filters)
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
