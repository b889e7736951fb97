"""The support floor's ticket KPIs per day, week or month: tickets closed,
first-response and resolution time (median and p90), escalation and reopen rates.

Tickets count in the period they were closed (UTC), under the report's filters,
as the summary's ``operations`` does for the whole range; a period with no
tickets is listed with zeros and nulls so a chart has no gaps. On PostgreSQL the
counts come from the daily ticket rollups and the exact percentiles band by band
(as the summary's); a filter the duration rollups do not carry (agent, channel,
survey) takes one ``GROUP BY`` with ``percentile_cont`` over the tickets. Both
interpolate linearly, as ``stats.percentile`` does where the tickets' durations
are read and sorted per period (SQLite).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sqlalchemy import Date, case, cast, func, select, text
from sqlalchemy.orm import Session

from feedback_service.helpdesk.models import Ticket
from feedback_service.scores import trigger_rollups
from feedback_service.scores.filters import Filters, rollup_conditions, ticket_conditions
from feedback_service.scores.histograms import Rate, rate
from feedback_service.scores.kpis import Spread, banded_percentiles, seconds_between, spread_of
from feedback_service.scores.models import TicketDurationRollup, TicketRollup
from feedback_service.scores.trends import next_period, period_start, periods

OPERATIONS = "operations"


class OperationsPoint(TypedDict):
    period: str
    end: str
    tickets: int
    first_response_seconds: Spread
    resolution_seconds: Spread
    escalation_rate: Rate
    reopen_rate: Rate


class OperationsTrend(TypedDict):
    metric: str
    interval: str
    items: list[OperationsPoint]


@dataclass
class _Period:
    """What one period's figures are made of."""

    tickets: int = 0
    escalated: tuple[int, int] = (0, 0)  # (escalated, tickets where it is known)
    reopened: tuple[int, int] = (0, 0)
    first: Spread = field(default_factory=lambda: spread_of([]))
    resolution: Spread = field(default_factory=lambda: spread_of([]))


def _counts() -> list[Any]:
    t = Ticket
    return [
        func.count(t.id),
        func.sum(case((t.escalated.is_(True), 1), else_=0)),
        func.count(t.escalated),
        func.sum(case((t.reopened.is_(True), 1), else_=0)),
        func.count(t.reopened),
    ]


def _from_postgres(session: Session, f: Filters, interval: str) -> dict[dt.date, _Period]:
    first = seconds_between(session, Ticket.first_response_at, Ticket.opened_at)
    resolution = seconds_between(session, Ticket.resolved_at, Ticket.opened_at)
    period = cast(func.date_trunc(interval, func.timezone("UTC", Ticket.closed_at)), Date)
    # Per-period sorts of a year of tickets need more than the 4 MB default.
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    stmt = (
        select(
            period,
            *_counts(),
            *(
                agg
                for seconds in (first, resolution)
                for agg in (
                    func.count(seconds),
                    func.percentile_cont(0.5).within_group(seconds),
                    func.percentile_cont(0.9).within_group(seconds),
                )
            ),
        )
        .where(*ticket_conditions(f))
        .group_by(period)
    )
    out: dict[dt.date, _Period] = {}
    for row in session.execute(stmt):
        out[row[0]] = _Period(
            tickets=int(row[1]),
            escalated=(int(row[2] or 0), int(row[3])),
            reopened=(int(row[4] or 0), int(row[5])),
            first={"n": int(row[6]), "median": row[7], "p90": row[8]},
            resolution={"n": int(row[9]), "median": row[10], "p90": row[11]},
        )
    return out


def _period_filters(f: Filters, start: dt.date, interval: str) -> Filters:
    last = next_period(start, interval) - dt.timedelta(days=1)
    return Filters(max(start, f.start or start), min(last, f.end or last), f.team_id)


def _from_rollups(session: Session, f: Filters, interval: str) -> dict[dt.date, _Period]:
    """Per period: the counts from the daily ticket rollups, and exact medians and
    p90s read band by band (``kpis.banded_percentiles``) from each period's band
    counts, so only the few tickets at those ranks are read, never a whole sort."""
    counts: dict[dt.date, list[int]] = defaultdict(lambda: [0] * 5)
    t = TicketRollup
    stmt = (
        select(
            t.day,
            *(
                func.sum(c)
                for c in (t.tickets, t.escalated, t.escalated_known, t.reopened, t.reopened_known)
            ),
        )
        .where(*rollup_conditions(t, f.start, f.end, f, by_survey=False))
        .group_by(t.day)
    )
    for day, *values in session.execute(stmt):
        cell = counts[period_start(day, interval)]
        for i, v in enumerate(values):
            cell[i] += int(v or 0)
    bands: dict[tuple[dt.date, str], dict[int, int]] = defaultdict(dict)
    d = TicketDurationRollup
    stmt = (
        select(d.day, d.kind, d.bucket, func.sum(d.count))
        .where(*rollup_conditions(d, f.start, f.end, f, by_survey=False))
        .group_by(d.day, d.kind, d.bucket)
    )
    for day, kind, bucket, n in session.execute(stmt):
        hist = bands[(period_start(day, interval), kind)]
        hist[bucket] = hist.get(bucket, 0) + int(n or 0)
    out: dict[dt.date, _Period] = {}
    for start, (tickets, esc, esc_n, reo, reo_n) in counts.items():
        if not tickets:
            continue
        scope = _period_filters(f, start, interval)
        first, resolution = (
            banded_percentiles(session, scope, kind, bands.get((start, kind), {}))
            for kind in ("first_response", "resolution")
        )
        out[start] = _Period(tickets, (esc, esc_n), (reo, reo_n), first, resolution)
    return out


def _from_tickets(session: Session, f: Filters, interval: str) -> dict[dt.date, _Period]:
    t = Ticket
    stmt = select(
        t.closed_at,
        seconds_between(session, t.first_response_at, t.opened_at),
        seconds_between(session, t.resolved_at, t.opened_at),
        t.escalated,
        t.reopened,
    ).where(*ticket_conditions(f))
    grouped: dict[dt.date, list[Any]] = defaultdict(list)
    for row in session.execute(stmt):
        closed = row[0]
        assert closed is not None  # ``ticket_conditions`` asks for a close time
        grouped[period_start(closed.astimezone(dt.UTC).date(), interval)].append(row)
    out: dict[dt.date, _Period] = {}
    for start, rows in grouped.items():
        esc = [r[3] for r in rows if r[3] is not None]
        reo = [r[4] for r in rows if r[4] is not None]
        out[start] = _Period(
            tickets=len(rows),
            escalated=(sum(1 for e in esc if e), len(esc)),
            reopened=(sum(1 for r in reo if r), len(reo)),
            first=spread_of([float(r[1]) for r in rows if r[1] is not None]),
            resolution=spread_of([float(r[2]) for r in rows if r[2] is not None]),
        )
    return out


def operations_trend(session: Session, f: Filters, interval: str) -> OperationsTrend:
    """The ticket KPIs per period from the first to the last day of the range (or
    of the tickets closed, for an open end)."""
    # The duration rollups are kept per team only: other filters sort the tickets.
    banded = f.agent_id is None and f.channel is None and f.survey_id is None
    if banded and trigger_rollups.in_use(session):
        found = _from_rollups(session, f, interval)
    elif session.get_bind().dialect.name == "postgresql":
        found = _from_postgres(session, f, interval)
    else:
        found = _from_tickets(session, f, interval)
    items: list[OperationsPoint] = []
    if found or (f.start is not None and f.end is not None):
        first = f.start or min(found)
        last = f.end or max(next_period(s, interval) - dt.timedelta(days=1) for s in found)
        for start in periods(first, last, interval):
            p = found.get(start, _Period())
            end = min(next_period(start, interval), last + dt.timedelta(days=1))
            items.append(
                {
                    "period": start.isoformat(),
                    "end": (end - dt.timedelta(days=1)).isoformat(),
                    "tickets": p.tickets,
                    "first_response_seconds": p.first,
                    "resolution_seconds": p.resolution,
                    "escalation_rate": rate(*p.escalated),
                    "reopen_rate": rate(*p.reopened),
                }
            )
    return {"metric": OPERATIONS, "interval": interval, "items": items}
