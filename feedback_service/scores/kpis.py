"""The summary report: every survey score, response and comment rates, and the
operational KPIs of the tickets closed in the range (the helpdesk's own fields).

Median and p90 use linear interpolation (``stats.percentile``'s definition).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Float, case, cast, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.helpdesk.models import Ticket
from feedback_service.helpdesk.service import CLOSE_SOURCES
from feedback_service.scores import trigger_rollups
from feedback_service.scores.filters import (
    METRICS,
    Filters,
    column_conditions,
    filter_conditions,
    rollup_conditions,
    rollup_pieces,
    ticket_conditions,
)
from feedback_service.scores.histograms import Rate, histograms, rate
from feedback_service.scores.models import (
    DURATION_KINDS,
    RESPONSES_METRIC,
    TICKET_COUNTS,
    InvitationRollup,
    MonthlyInvitationRollup,
    MonthlyTicketDurationRollup,
    MonthlyTicketRollup,
    ScoreRollup,
    TicketDurationRollup,
    TicketRollup,
    operational_fcr,
)
from feedback_service.scores.scoring import score
from feedback_service.scores.stats import (
    interpolate,
    locate_rank,
    median_and_p90,
    percentile_positions,
)
from feedback_service.scores.waiting import unconfirmed_ratings
from feedback_service.surveys.models import Invitation


class Spread(TypedDict):
    n: int
    median: float | None
    p90: float | None


class Kpis(TypedDict):
    tickets: int
    first_response_seconds: Spread
    resolution_seconds: Spread
    escalation_rate: Rate
    reopen_rate: Rate
    operational_fcr: Rate
    closed_by: NotRequired[dict[str, int]]


class Summary(TypedDict):
    responses: int
    invitations_sent: int
    response_rate: Rate
    comment_rate: Rate
    metrics: dict[str, dict[str, Any]]  # metric -> ``scoring.Score.to_dict()``
    operations: Kpis
    unconfirmed: dict[str, int]


def seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)


def spread_of(values: list[float]) -> Spread:
    pair = median_and_p90(values)
    return {"n": len(values), "median": pair[0] if pair else None, "p90": pair[1] if pair else None}


def _op_fcr() -> ColumnElement[bool]:
    return operational_fcr(Ticket.contacts, Ticket.reopened)


def _kpis(counts: Sequence[int], first: Spread, resolution: Spread) -> Kpis:
    volume, esc_n, esc, reo_n, reo, fcr_n, fcr = counts
    return {
        "tickets": volume,
        "first_response_seconds": first,
        "resolution_seconds": resolution,
        "escalation_rate": rate(esc, esc_n),
        "reopen_rate": rate(reo, reo_n),
        # One contact and not reopened, among tickets whose contacts are known.
        "operational_fcr": rate(fcr, fcr_n),
    }


def operational_kpis(session: Session, f: Filters) -> Kpis:
    """KPIs of the tickets closed in the range.

    On PostgreSQL the counts come from the ticket rollups and the percentiles
    are exact order statistics read band by band (``banded_percentiles``);
    filters the rollups do not carry fall back to the tickets themselves.
    """
    if not trigger_rollups.in_use(session) or f.survey_id is not None:
        kpis = _kpis_from_tickets(session, f)
    else:
        counts = _ticket_counts_from_rollups(session, f)
        if f.agent_id is None and f.channel is None:
            bands = _duration_bands(session, f)
            first = banded_percentiles(session, f, "first_response", bands["first_response"])
            resolution = banded_percentiles(session, f, "resolution", bands["resolution"])
        else:
            first, resolution = _percentiles_from_tickets(session, f)
        kpis = _kpis(counts, first, resolution)
    kpis["closed_by"] = closed_by(session, f)
    return kpis


def closed_by(session: Session, f: Filters) -> dict[str, int]:
    """How many of the tickets closed in the range count as closed by which time:
    ``closed_at`` (the helpdesk's close time), ``resolved_at`` (its resolve time;
    it sent no close time) or ``dispatch`` (neither: when it asked for the survey).
    Rows from before the source was kept count as ``closed_at``."""
    out = {source: 0 for source in CLOSE_SOURCES}
    stmt = (
        select(Ticket.closed_at_source, func.count(Ticket.id))
        .where(*ticket_conditions(f))
        .group_by(Ticket.closed_at_source)
    )
    for source, count in session.execute(stmt):
        out[source or "closed_at"] += int(count)
    return out


def ticket_pieces(
    f: Filters,
) -> list[tuple[type[TicketRollup] | type[MonthlyTicketRollup], dt.date | None, dt.date | None]]:
    return [
        (TicketRollup if table is ScoreRollup else MonthlyTicketRollup, first, last)
        for table, first, last in rollup_pieces(f.start, f.end)
    ]


def _invitation_pieces(f: Filters) -> list[tuple[Any, dt.date | None, dt.date | None]]:
    return [
        (InvitationRollup if table is ScoreRollup else MonthlyInvitationRollup, first, last)
        for table, first, last in rollup_pieces(f.start, f.end)
    ]


def _ticket_counts_from_rollups(session: Session, f: Filters) -> list[int]:
    """The seven counts (``TICKET_COUNTS`` order) of the tickets closed in the range."""
    total = [0] * len(TICKET_COUNTS)
    for table, first, last in ticket_pieces(f):
        row = session.execute(
            select(*(func.sum(getattr(table, c)) for c in TICKET_COUNTS)).where(
                *rollup_conditions(table, first, last, f, by_survey=False)
            )
        ).one()
        total = [t + int(v or 0) for t, v in zip(total, row, strict=True)]
    return total


def _duration_bands(session: Session, f: Filters) -> dict[str, dict[int, int]]:
    """Per duration kind, ``{band: tickets}`` over the range (and team)."""
    out: dict[str, dict[int, int]] = {kind: {} for kind in DURATION_KINDS}
    for counts_table, first, last in ticket_pieces(f):
        table: Any = (
            TicketDurationRollup if counts_table is TicketRollup else MonthlyTicketDurationRollup
        )
        stmt = (
            select(table.kind, table.bucket, func.sum(table.count))
            .where(*rollup_conditions(table, first, last, f, by_survey=False))
            .group_by(table.kind, table.bucket)
        )
        for kind, bucket, count in session.execute(stmt):
            if count:
                hist = out[kind]
                hist[bucket] = hist.get(bucket, 0) + int(count)
    return out


def _duration_column(kind: str) -> Any:
    later = Ticket.first_response_at if kind == "first_response" else Ticket.resolved_at
    # The SQL function the rollup triggers and the band indexes use, so a band
    # here is exactly the band the counts were kept under.
    return func.ticket_seconds(later, Ticket.opened_at)


def banded_percentiles(session: Session, f: Filters, kind: str, bands: dict[int, int]) -> Spread:
    """Exact median and p90: the rollup's band counts say which band holds each
    needed order statistic and where in it; only that band's tickets are read,
    in order, through the band index."""
    n = sum(c for c in bands.values() if c > 0)
    if n == 0:
        return {"n": 0, "median": None, "p90": None}
    positions = {q: percentile_positions(n, q) for q in (50.0, 90.0)}
    wanted: dict[int, dict[int, int]] = defaultdict(dict)  # band -> {offset: rank}
    for lo, hi, _ in positions.values():
        for rank in (lo, hi):
            band, offset = locate_rank(bands, rank)
            wanted[band][offset] = rank
    seconds = _duration_column(kind)
    values: dict[int, float] = {}
    for band, offsets in wanted.items():
        first = min(offsets)
        rows = session.scalars(
            select(seconds)
            .where(*ticket_conditions(f), func.ticket_duration_bucket(seconds) == band)
            .order_by(seconds)
            .offset(first)
            .limit(max(offsets) - first + 1)
        ).all()
        for offset, rank in offsets.items():
            if offset - first >= len(rows):
                raise RuntimeError(
                    f"ticket rollups disagree with the tickets ({kind} band {band}); "
                    "run `flask scores rebuild`"
                )
            values[rank] = float(rows[offset - first])
    median, p90 = (interpolate(values[lo], values[hi], frac) for lo, hi, frac in positions.values())
    return {"n": n, "median": median, "p90": p90}


def _percentiles_from_tickets(session: Session, f: Filters) -> tuple[Spread, Spread]:
    """Median and p90 of both durations with ``percentile_cont`` (PostgreSQL)."""
    first = seconds_between(session, Ticket.first_response_at, Ticket.opened_at)
    resolution = seconds_between(session, Ticket.resolved_at, Ticket.opened_at)
    # Two in-memory sorts of a year of tickets need more than the 4 MB default.
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    row = session.execute(
        select(
            func.count(first),
            func.percentile_cont(0.5).within_group(first),
            func.percentile_cont(0.9).within_group(first),
            func.count(resolution),
            func.percentile_cont(0.5).within_group(resolution),
            func.percentile_cont(0.9).within_group(resolution),
        ).where(*ticket_conditions(f))
    ).one()
    return (
        {"n": int(row[0]), "median": row[1], "p90": row[2]},
        {"n": int(row[3]), "median": row[4], "p90": row[5]},
    )


def _kpis_from_tickets(session: Session, f: Filters) -> Kpis:
    """Every KPI computed from the tickets closed in the range."""
    t = Ticket
    counts = [
        func.count(),
        func.count(t.escalated),
        func.sum(case((t.escalated.is_(True), 1), else_=0)),
        func.count(t.reopened),
        func.sum(case((t.reopened.is_(True), 1), else_=0)),
        func.count(t.contacts),
        func.sum(case((_op_fcr(), 1), else_=0)),
    ]
    conditions = ticket_conditions(f)
    row = session.execute(select(*counts).where(*conditions)).one()
    values = [int(v or 0) for v in row]
    if session.get_bind().dialect.name == "postgresql":
        first_stats, resolution_stats = _percentiles_from_tickets(session, f)
    else:
        first = seconds_between(session, t.first_response_at, t.opened_at)
        resolution = seconds_between(session, t.resolved_at, t.opened_at)
        durations = session.execute(select(first, resolution).where(*conditions)).all()
        first_stats = spread_of([float(a) for a, _ in durations if a is not None])
        resolution_stats = spread_of([float(b) for _, b in durations if b is not None])
    return _kpis(values, first_stats, resolution_stats)


def invitations_sent(session: Session, f: Filters) -> int:
    """Invitations sent in the range: from the invitation rollups on PostgreSQL,
    counted from the invitations elsewhere."""
    if trigger_rollups.in_use(session):
        total = 0
        for table, first, last in _invitation_pieces(f):
            cells = rollup_conditions(table, first, last, f)
            total += int(session.scalar(select(func.sum(table.sent)).where(*cells)) or 0)
        return total
    i = Invitation
    conditions = [
        i.sent_at.is_not(None),
        *column_conditions(f, i.sent_at, i.team_id, i.agent_id, i.channel, i.survey_id),
    ]
    return int(session.scalar(select(func.count()).select_from(i).where(*conditions)) or 0)


def summary(session: Session, f: Filters, min_n: int) -> Summary:
    hists = histograms(session, f).get((), {})
    answered = hists.get(RESPONSES_METRIC, {})
    responses = sum(answered.values())
    commented = answered.get(1, 0)
    sent = invitations_sent(session, f)
    return {
        "responses": responses,
        "invitations_sent": sent,
        "response_rate": rate(responses, sent),
        "comment_rate": rate(commented, responses),
        "metrics": {m: score(m, hists.get(m, {}), min_n).to_dict() for m in METRICS},
        "operations": operational_kpis(session, f),
        # One-click ratings no person has confirmed: in no score, but shown.
        "unconfirmed": unconfirmed_ratings(session, filter_conditions(f)),
    }
