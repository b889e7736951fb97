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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypedDict

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from feedback_service.db import utcnow
from feedback_service.errors import NotFound, ValidationError
from feedback_service.patterns import loading
from feedback_service.patterns.models import PatternFinding, PatternRun
from feedback_service.scores.service import resolve_filters

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


def fail_run(session: Session, run_id: int, error: str) -> None:
    run = session.get(PatternRun, run_id)
    if run is None:
        return
    run.status = "failed"
    run.error = error[:4000]
    run.finished_at = utcnow()
    session.flush()


# --- reading a run ----------------------------------------------------------------


# "from" is a keyword: the functional form names it.
RunInfo = TypedDict(
    "RunInfo",
    {
        "id": int,
        "kind": str,
        "status": str,
        "trigger": str,
        "filters": dict[str, Any],
        "from": dt.date,
        "to": dt.date,
        "previous_from": dt.date | None,
        "previous_to": dt.date | None,
        "created_at": dt.datetime,
        "started_at": dt.datetime | None,
        "computed_at": dt.datetime | None,
        "finished_at": dt.datetime | None,
        "error": str | None,
    },
)


def run_info(run: PatternRun) -> RunInfo:
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


# The items are the rows a run stored (``compute.PatternRow``, ``compute.ThemeRow``) read
# back from JSON: a run stored by an older release may lack a newer key, so they stay
# plain dicts here.


class ComplaintReport(TypedDict):
    run: RunInfo
    summary: dict[str, Any]
    items: list[dict[str, Any]]
    adjusted_csat: list[dict[str, Any]]


class GapReport(TypedDict):
    run: RunInfo
    summary: dict[str, Any]
    items: list[dict[str, Any]]


def complaint_report(session: Session, run: PatternRun, agent: str | None) -> ComplaintReport:
    def keep(f: PatternFinding) -> bool:
        return agent is None or f.agent == agent

    return {
        "run": run_info(run),
        "summary": dict(run.summary),
        "items": [f.data for f in _findings(session, run, "pattern") if keep(f)],
        "adjusted_csat": [f.data for f in _findings(session, run, "adjusted_csat") if keep(f)],
    }


def gap_report(session: Session, run: PatternRun, agent: str | None) -> GapReport:
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
