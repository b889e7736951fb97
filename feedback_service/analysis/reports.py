"""The reports a CX manager opens first, computed from rollups and ticket data.

Survey scores come from ``score_rollups`` (exact histograms) through the pure
scoring and statistics modules; nothing here averages averages. Operational KPIs
come from the tickets closed in the range. Functions take a session and plain
filters and return plain dicts, so the routes only parse and serialise.

Dates: ``start``/``end`` are inclusive UTC calendar days. Survey scores count
responses by the day they were submitted; ticket KPIs count tickets by the day
they were closed; the response rate divides responses submitted in the range by
invitations sent in the range.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, and_, case, cast, delete, func, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.analysis import targets as targets_service
from feedback_service.analysis.models import CommentAnalysis
from feedback_service.analysis.scoring import (
    CES_AGREE,
    CSAT_TOP_BOX,
    FCR_YES,
    NPS_DETRACTORS,
    NPS_POINTS,
    NPS_PROMOTERS,
    Interval,
    score,
    wilson_interval,
)
from feedback_service.analysis.stats import (
    ShrunkEstimate,
    interpolate,
    locate_rank,
    median_and_p90,
    p_chart,
    percentile,
    percentile_positions,
    rank_with_evidence,
    shrink_histograms,
    shrink_proportions,
)
from feedback_service.analysis.waiting import unconfirmed_ratings
from feedback_service.db import utcnow
from feedback_service.errors import NotFound, ValidationError
from feedback_service.helpdesk.models import Agent, Team, Ticket
from feedback_service.helpdesk.service import CLOSE_SOURCES
from feedback_service.scores.models import (
    DURATION_KINDS,
    FCR_GAP_COUNTS,
    NO_ID,
    RESPONSES_METRIC,
    TICKET_COUNTS,
    AgentScoreRollup,
    DriverRun,
    FcrGapRollup,
    InvitationRollup,
    MonthlyAgentScoreRollup,
    MonthlyFcrGapRollup,
    MonthlyInvitationRollup,
    MonthlyScoreRollup,
    MonthlyTeamScoreRollup,
    MonthlyTicketDurationRollup,
    MonthlyTicketRollup,
    ScoreRollup,
    TeamScoreRollup,
    TicketDurationRollup,
    TicketRollup,
    operational_fcr,
)
from feedback_service.surveys.metrics import METRICS as METRIC_SPECS
from feedback_service.surveys.models import Invitation, Response, Survey

METRICS = ("csat", "nps", "ces", "fcr")
INTERVALS = ("day", "week", "month")
# The "good" share each trend's control chart watches: a p-chart needs a
# proportion, so NPS is charted by its promoters' share (the NPS itself is a
# difference of two shares and has no binomial limits), CES by % agree.
GOOD_VALUES: dict[str, frozenset[int]] = {
    "csat": CSAT_TOP_BOX,
    "nps": NPS_PROMOTERS,
    "ces": CES_AGREE,
    "fcr": frozenset({FCR_YES}),
}
GOOD_LABEL = {
    "csat": "top-2-box (4-5)",
    "nps": "promoters (9-10)",
    "ces": "agree (5-7)",
    "fcr": "yes",
}
# Drivers fit on the most recent answers in the filter: enough for stable
# coefficients, small enough to answer a request quickly at any data size.
DRIVER_SAMPLE = 20_000
DISSATISFIED_MAX_CSAT = 3
# The worker recomputes the unfiltered drivers report every 15 minutes (beat
# schedule); a run older than this is not served (the beat has stopped).
DRIVER_RUN_MAX_AGE = dt.timedelta(hours=1)
DRIVER_RUNS_KEPT = 5


# --- filters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Report filters resolved to our own ids (helpdesk ids are strings)."""

    start: dt.date | None = None
    end: dt.date | None = None
    team_id: int | None = None
    agent_id: int | None = None
    channel: str | None = None
    survey_id: int | None = None

    def start_time(self) -> dt.datetime | None:
        if self.start is None:
            return None
        return dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)

    def end_time(self) -> dt.datetime | None:
        """Exclusive upper bound: midnight after the last day."""
        if self.end is None:
            return None
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def resolve_filters(session: Session, args: dict[str, Any]) -> Filters:
    """Query arguments -> ``Filters``; 422 naming the field for unknown ids."""
    errors: dict[str, list[str]] = {}
    start, end = args.get("from"), args.get("to")
    if start is not None and end is not None and start > end:
        errors["from"] = [f"'from' ({start}) is after 'to' ({end})."]

    def lookup(field: str, column: Any, id_column: Any) -> int | None:
        value = args.get(field)
        if value is None:
            return None
        found = session.scalar(select(id_column).where(column == value))
        if found is None:
            errors[field] = [f"Unknown {field} '{value}'."]
        return found

    team_id = lookup("team", Team.external_id, Team.id)
    agent_id = lookup("agent", Agent.external_id, Agent.id)
    survey_id = lookup("survey", Survey.key, Survey.id)
    if errors:
        raise ValidationError("Invalid report filters: " + ", ".join(sorted(errors)), fields=errors)
    return Filters(start, end, team_id, agent_id, args.get("channel"), survey_id)


RollupTable = type[ScoreRollup] | type[MonthlyScoreRollup]


def _rollup_conditions(
    table: Any, first: dt.date | None, last: dt.date | None, f: Filters, *, by_survey: bool = True
) -> list[ColumnElement[bool]]:
    """The range and filters over a rollup table (daily ``day`` or monthly ``month``);
    ``by_survey=False`` for the ticket rollups, which have no survey."""
    date = table.month if hasattr(table, "month") else table.day
    conditions: list[ColumnElement[bool]] = []
    if first is not None:
        conditions.append(date >= first)
    if last is not None:
        conditions.append(date <= last)
    if f.team_id is not None:
        conditions.append(table.team_id == f.team_id)
    if f.agent_id is not None:
        conditions.append(table.agent_id == f.agent_id)
    if f.channel is not None:
        conditions.append(table.channel == f.channel)
    if by_survey and f.survey_id is not None:
        conditions.append(table.survey_id == f.survey_id)
    return conditions


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def rollup_pieces(
    start: dt.date | None, end: dt.date | None
) -> list[tuple[RollupTable, dt.date | None, dt.date | None]]:
    """Cover ``[start, end]`` with whole months from the monthly table and the
    partial months at either end from the daily one (None is an open end)."""
    first_full = start if start is None or start.day == 1 else _next_month(start)
    if end is None:
        last_full: dt.date | None = None
    elif (end + dt.timedelta(days=1)).day == 1:
        last_full = end.replace(day=1)
    else:
        last_full = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if first_full is not None and last_full is not None and first_full > last_full:
        return [(ScoreRollup, start, end)]
    pieces: list[tuple[RollupTable, dt.date | None, dt.date | None]] = [
        (MonthlyScoreRollup, first_full, last_full)
    ]
    if start is not None and first_full is not None and start < first_full:
        pieces.append((ScoreRollup, start, first_full - dt.timedelta(days=1)))
    if end is not None and last_full is not None and end >= _next_month(last_full):
        pieces.append((ScoreRollup, _next_month(last_full), end))
    return pieces


def response_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """The confirmed responses under the report's filters (what every score reads)."""
    return [Response.status == "confirmed", *filter_conditions(f)]


def filter_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """The report's filters on responses, whatever their status."""
    conditions: list[ColumnElement[bool]] = []
    if f.start_time() is not None:
        conditions.append(Response.submitted_at >= f.start_time())
    if f.end_time() is not None:
        conditions.append(Response.submitted_at < f.end_time())
    if f.team_id is not None:
        conditions.append(Response.team_id == f.team_id)
    if f.agent_id is not None:
        conditions.append(Response.agent_id == f.agent_id)
    if f.channel is not None:
        conditions.append(Response.channel == f.channel)
    if f.survey_id is not None:
        conditions.append(Response.survey_id == f.survey_id)
    return conditions


def _ticket_conditions(f: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Ticket.closed_at.is_not(None)]
    if f.start_time() is not None:
        conditions.append(Ticket.closed_at >= f.start_time())
    if f.end_time() is not None:
        conditions.append(Ticket.closed_at < f.end_time())
    if f.team_id is not None:
        conditions.append(Ticket.team_id == f.team_id)
    if f.agent_id is not None:
        conditions.append(Ticket.agent_id == f.agent_id)
    if f.channel is not None:
        conditions.append(Ticket.channel == f.channel)
    if f.survey_id is not None:
        # Tickets have no survey; the filter means "tickets invited to it".
        conditions.append(
            Ticket.id.in_(select(Invitation.ticket_id).where(Invitation.survey_id == f.survey_id))
        )
    return conditions


# --- histograms -------------------------------------------------------------------

Histogram = dict[int, int]


def _histograms(
    session: Session,
    f: Filters,
    *group_by: str,
    metrics: Sequence[str] | None = None,
    daily: bool = False,
) -> dict[tuple[Any, ...], dict[str, Histogram]]:
    """``{(group values...): {metric: {value: count}}}`` summed over the filters.

    ``group_by`` names rollup columns ("agent_id", "day"); grouping by "day" with
    ``daily=False`` gives month starts, so only month trends may do that.
    """
    pieces: list[tuple[Any, dt.date | None, dt.date | None]] = (
        [(ScoreRollup, f.start, f.end)] if daily else list(rollup_pieces(f.start, f.end))
    )
    # The coarsest cells that still tell apart what is asked for hold the same counts.
    if f.agent_id is None and f.channel is None and set(group_by) <= {"day", "team_id"}:
        pieces = [
            (TeamScoreRollup if table is ScoreRollup else MonthlyTeamScoreRollup, first, last)
            for table, first, last in pieces
        ]
    elif f.channel is None and set(group_by) <= {"day", "agent_id", "team_id"}:
        pieces = [
            (AgentScoreRollup if table is ScoreRollup else MonthlyAgentScoreRollup, first, last)
            for table, first, last in pieces
        ]
    out: dict[tuple[Any, ...], dict[str, Histogram]] = defaultdict(lambda: defaultdict(dict))
    width = len(group_by)
    for table, first, last in pieces:
        # The monthly tables' date column answers to "day" too (a month start).
        columns = [
            getattr(table, "month" if hasattr(table, "month") and name == "day" else name)
            for name in group_by
        ]
        stmt = (
            select(*columns, table.metric, table.value, func.sum(table.count))
            .where(*_rollup_conditions(table, first, last, f))
            .group_by(*columns, table.metric, table.value)
        )
        if metrics is not None:
            stmt = stmt.where(table.metric.in_(metrics))
        for row in session.execute(stmt):
            count = int(row[-1] or 0)
            if count:
                hist = out[tuple(row[:width])][row[width]]
                value = int(row[width + 1])
                hist[value] = hist.get(value, 0) + count
    return out


def _interval(interval: Interval | None) -> dict[str, float] | None:
    return None if interval is None else {"low": interval.low, "high": interval.high}


def _rate(hits: int, n: int) -> dict[str, Any]:
    """A percentage with its Wilson interval (null when there is nothing to divide)."""
    if n <= 0:
        return {"value": None, "n": n, "interval": None}
    interval = _interval(wilson_interval(hits, n)) if 0 <= hits <= n else None
    if interval is not None:
        interval = {k: 100.0 * v for k, v in interval.items()}
    return {"value": 100.0 * hits / n, "n": n, "count": hits, "interval": interval}


# --- summary ----------------------------------------------------------------------


def _seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)


def _median_p90(values: list[float]) -> dict[str, Any]:
    pair = median_and_p90(values)
    return {"n": len(values), "median": pair[0] if pair else None, "p90": pair[1] if pair else None}


def _op_fcr() -> ColumnElement[bool]:
    return operational_fcr(Ticket.contacts, Ticket.reopened)


def _kpis(
    counts: Sequence[int], first: dict[str, Any], resolution: dict[str, Any]
) -> dict[str, Any]:
    volume, esc_n, esc, reo_n, reo, fcr_n, fcr = counts
    return {
        "tickets": volume,
        "first_response_seconds": first,
        "resolution_seconds": resolution,
        "escalation_rate": _rate(esc, esc_n),
        "reopen_rate": _rate(reo, reo_n),
        # One contact and not reopened, among tickets whose contacts are known.
        "operational_fcr": _rate(fcr, fcr_n),
    }


def operational_kpis(session: Session, f: Filters) -> dict[str, Any]:
    """KPIs of the tickets closed in the range (the helpdesk's own fields).

    Median and p90 use linear interpolation (``stats.percentile``'s definition).
    On PostgreSQL the counts come from the ticket rollups and the percentiles
    are exact order statistics read band by band (``_banded_percentiles``);
    filters the rollups do not carry fall back to the tickets themselves.
    """
    if session.get_bind().dialect.name != "postgresql" or f.survey_id is not None:
        kpis = _kpis_from_tickets(session, f)
    else:
        counts = _ticket_counts_from_rollups(session, f)
        if f.agent_id is None and f.channel is None:
            bands = _duration_bands(session, f)
            first = _banded_percentiles(session, f, "first_response", bands["first_response"])
            resolution = _banded_percentiles(session, f, "resolution", bands["resolution"])
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
        .where(*_ticket_conditions(f))
        .group_by(Ticket.closed_at_source)
    )
    for source, count in session.execute(stmt):
        out[source or "closed_at"] += int(count)
    return out


def _ticket_pieces(
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
    for table, first, last in _ticket_pieces(f):
        row = session.execute(
            select(*(func.sum(getattr(table, c)) for c in TICKET_COUNTS)).where(
                *_rollup_conditions(table, first, last, f, by_survey=False)
            )
        ).one()
        total = [t + int(v or 0) for t, v in zip(total, row, strict=True)]
    return total


def _duration_bands(session: Session, f: Filters) -> dict[str, dict[int, int]]:
    """Per duration kind, ``{band: tickets}`` over the range (and team)."""
    out: dict[str, dict[int, int]] = {kind: {} for kind in DURATION_KINDS}
    for counts_table, first, last in _ticket_pieces(f):
        table: Any = (
            TicketDurationRollup if counts_table is TicketRollup else MonthlyTicketDurationRollup
        )
        stmt = (
            select(table.kind, table.bucket, func.sum(table.count))
            .where(*_rollup_conditions(table, first, last, f, by_survey=False))
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


def _banded_percentiles(
    session: Session, f: Filters, kind: str, bands: dict[int, int]
) -> dict[str, Any]:
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
            .where(*_ticket_conditions(f), func.ticket_duration_bucket(seconds) == band)
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


def _percentiles_from_tickets(
    session: Session, f: Filters
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Median and p90 of both durations with ``percentile_cont`` (PostgreSQL)."""
    first = _seconds_between(session, Ticket.first_response_at, Ticket.opened_at)
    resolution = _seconds_between(session, Ticket.resolved_at, Ticket.opened_at)
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
        ).where(*_ticket_conditions(f))
    ).one()
    return (
        {"n": int(row[0]), "median": row[1], "p90": row[2]},
        {"n": int(row[3]), "median": row[4], "p90": row[5]},
    )


def _kpis_from_tickets(session: Session, f: Filters) -> dict[str, Any]:
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
    conditions = _ticket_conditions(f)
    row = session.execute(select(*counts).where(*conditions)).one()
    values = [int(v or 0) for v in row]
    if session.get_bind().dialect.name == "postgresql":
        first_stats, resolution_stats = _percentiles_from_tickets(session, f)
    else:
        first = _seconds_between(session, t.first_response_at, t.opened_at)
        resolution = _seconds_between(session, t.resolved_at, t.opened_at)
        durations = session.execute(select(first, resolution).where(*conditions)).all()
        first_stats = _median_p90([float(a) for a, _ in durations if a is not None])
        resolution_stats = _median_p90([float(b) for _, b in durations if b is not None])
    return _kpis(values, first_stats, resolution_stats)


def invitations_sent(session: Session, f: Filters) -> int:
    """Invitations sent in the range: from the invitation rollups on PostgreSQL,
    counted from the invitations elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        total = 0
        for table, first, last in _invitation_pieces(f):
            cells = _rollup_conditions(table, first, last, f)
            total += int(session.scalar(select(func.sum(table.sent)).where(*cells)) or 0)
        return total
    i = Invitation
    conditions: list[ColumnElement[bool]] = [i.sent_at.is_not(None)]
    if f.start_time() is not None:
        conditions.append(i.sent_at >= f.start_time())
    if f.end_time() is not None:
        conditions.append(i.sent_at < f.end_time())
    if f.team_id is not None:
        conditions.append(i.team_id == f.team_id)
    if f.agent_id is not None:
        conditions.append(i.agent_id == f.agent_id)
    if f.channel is not None:
        conditions.append(i.channel == f.channel)
    if f.survey_id is not None:
        conditions.append(i.survey_id == f.survey_id)
    return int(session.scalar(select(func.count()).select_from(i).where(*conditions)) or 0)


def summary(session: Session, f: Filters, min_n: int) -> dict[str, Any]:
    hists = _histograms(session, f).get((), {})
    answered = hists.get(RESPONSES_METRIC, {})
    responses = sum(answered.values())
    commented = answered.get(1, 0)
    sent = invitations_sent(session, f)
    return {
        "responses": responses,
        "invitations_sent": sent,
        "response_rate": _rate(responses, sent),
        "comment_rate": _rate(commented, responses),
        "metrics": {m: score(m, hists.get(m, {}), min_n).to_dict() for m in METRICS},
        "operations": operational_kpis(session, f),
        # One-click ratings no person has confirmed: in no score, but shown.
        "unconfirmed": unconfirmed_ratings(session, filter_conditions(f)),
    }


def summary_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary as CSV rows: one per figure, the same numbers as the JSON."""
    rows: list[dict[str, Any]] = []

    def add(
        name: str, value: Any, n: Any, interval: dict[str, float] | None = None, **extra: Any
    ) -> None:
        rows.append(
            {
                "figure": name,
                "value": value,
                "n": n,
                "low": interval["low"] if interval else None,
                "high": interval["high"] if interval else None,
                "low_sample": extra.get("low_sample"),
            }
        )

    for metric, s in report["metrics"].items():
        add(metric, s["value"], s["n"], s["interval"], low_sample=s["low_sample"])
    add("responses", report["responses"], None)
    add("invitations_sent", report["invitations_sent"], None)
    add("provisional_ratings_waiting", report["unconfirmed"]["provisional"], None)
    add("scanner_ratings_held", report["unconfirmed"]["scanner"], None)
    for name in ("response_rate", "comment_rate"):
        add(name, report[name]["value"], report[name]["n"], report[name]["interval"])
    ops = report["operations"]
    add("tickets", ops["tickets"], None)
    for name in ("first_response_seconds", "resolution_seconds"):
        add(f"{name}_median", ops[name]["median"], ops[name]["n"])
        add(f"{name}_p90", ops[name]["p90"], ops[name]["n"])
    for name in ("escalation_rate", "reopen_rate", "operational_fcr"):
        add(name, ops[name]["value"], ops[name]["n"], ops[name]["interval"])
    return rows


# --- agents -----------------------------------------------------------------------


def _successes(metric: str, hist: Histogram) -> int:
    return sum(c for v, c in hist.items() if v in GOOD_VALUES[metric])


def _shrink(metric: str, hists: Sequence[Histogram]) -> list[ShrunkEstimate | None]:
    """Empirical-Bayes estimates toward the group's answers, on the reporting scale.

    CSAT and FCR are proportions (beta-binomial); NPS (detractor -100, passive 0,
    promoter +100) and CES (1..7) are means of answer histograms under a
    Dirichlet prior (``stats.shrink_histograms``), bounded by their scales.
    """
    if not any(sum(h.values()) for h in hists):
        return [None] * len(hists)
    if metric in ("csat", "fcr"):
        raw = shrink_proportions([(_successes(metric, h), sum(h.values())) for h in hists])
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


def scorecards(
    session: Session, f: Filters, min_n: int, only_agent: int | None = None
) -> list[dict[str, Any]]:
    """One scorecard per agent with answers in the filter, ordered by agent id.

    Shrinkage pulls each agent toward their own team (the peers whose customers
    and work are most alike); ranks compare the shrunk estimates of all agents
    with at least ``min_n`` answers, so a few lucky answers never top the table.
    With ``only_agent``, every peer is still shrunk and ranked but only that
    agent's card is built and returned (one agent's report).
    """
    by_agent = _histograms(session, f, "agent_id")
    agent_ids = sorted(k[0] for k in by_agent if k[0] != NO_ID)
    if f.agent_id is not None and f.agent_id not in agent_ids:
        agent_ids = [f.agent_id]
    agents = {
        a.id: a
        for a in session.scalars(select(Agent).where(Agent.id.in_(agent_ids)))  # one query
    }
    team_ext = {k: v for k, v in session.execute(select(Team.id, Team.external_id))}
    goals = targets_service.load(session)
    cards: list[dict[str, Any]] = []
    for agent_id in agent_ids:
        agent = agents[agent_id]
        hists = by_agent.get((agent_id,), {})
        answered = hists.get(RESPONSES_METRIC, {})
        cards.append(
            {
                "agent": agent.external_id,
                "name": agent.name,
                "team": team_ext.get(agent.team_id) if agent.team_id else None,
                "responses": sum(answered.values()),
                "comments": answered.get(1, 0),
                "metrics": {},
                "_team_id": agent.team_id or NO_ID,
                "_agent_id": agent_id,
                "_hists": hists,
            }
        )
    for metric in METRICS:
        shrunk: list[ShrunkEstimate | None] = [None] * len(cards)
        by_team: dict[int, list[int]] = defaultdict(list)
        for i, card in enumerate(cards):
            by_team[card["_team_id"]].append(i)
        for members in by_team.values():
            estimates = _shrink(metric, [cards[i]["_hists"].get(metric, {}) for i in members])
            for i, e in zip(members, estimates, strict=True):
                shrunk[i] = e
        ranked = [i for i, e in enumerate(shrunk) if e is not None]
        ranks = rank_with_evidence([shrunk[i] for i in ranked], min_n=min_n)  # type: ignore[misc]
        rank_of = dict(zip(ranked, ranks, strict=True))
        ranked_among = sum(1 for r in ranks if r is not None)
        for i, card in enumerate(cards):
            if only_agent is not None and card["_agent_id"] != only_agent:
                continue
            s = score(metric, card["_hists"].get(metric, {}), min_n)
            target = goals.for_agent(metric, card["_agent_id"], card["_team_id"])
            e = shrunk[i]
            entry = s.to_dict()
            entry.update(
                target=target,
                gap=None if target is None or s.value is None else s.value - target,
                shrunk=None
                if e is None
                else {"estimate": e.estimate, "interval": _interval(e.interval)},
                rank=rank_of.get(i),
                ranked_among=ranked_among,
            )
            card["metrics"][metric] = entry
    if only_agent is not None:
        cards = [card for card in cards if card["_agent_id"] == only_agent]
    for card in cards:
        for key in ("_team_id", "_agent_id", "_hists"):
            card.pop(key)
    return cards


def scorecard_rows(cards: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for card in cards:
        for metric, m in card["metrics"].items():
            rows.append(
                {
                    "agent": card["agent"],
                    "name": card["name"],
                    "team": card["team"],
                    "metric": metric,
                    "value": m["value"],
                    "n": m["n"],
                    "low": m["interval"]["low"] if m["interval"] else None,
                    "high": m["interval"]["high"] if m["interval"] else None,
                    "low_sample": m["low_sample"],
                    "target": m["target"],
                    "gap": m["gap"],
                    "shrunk": m["shrunk"]["estimate"] if m["shrunk"] else None,
                    "rank": m["rank"],
                }
            )
    return rows


# --- one agent --------------------------------------------------------------------


def get_agent(session: Session, external_id: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.external_id == external_id))
    if agent is None:
        raise NotFound(f"No agent '{external_id}'.", fields={"agent": ["Unknown agent."]})
    return agent


def agent_report(
    session: Session, agent: Agent, f: Filters, min_n: int, page: int, per_page: int
) -> dict[str, Any]:
    """The agent's scorecard (shrunk and ranked among peers under the same
    filters, minus the agent filter), weekly trend and the comments about them."""
    peers = Filters(f.start, f.end, f.team_id, None, f.channel, f.survey_id)
    card = next(iter(scorecards(session, peers, min_n, only_agent=agent.id)), None)
    if card is None:
        card = scorecards(session, Filters(**{**peers.__dict__, "agent_id": agent.id}), min_n)[0]
    mine = Filters(f.start, f.end, f.team_id, agent.id, f.channel, f.survey_id)
    weekly = trend_series(session, mine, None, "week", min_n)
    comments, total = agent_comments(session, mine, page, per_page)
    return {
        "scorecard": card,
        "trend": weekly,
        "comments": {"items": comments, "page": page, "per_page": per_page, "total": total},
    }


def agent_comments(
    session: Session, f: Filters, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
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
    items = [
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


# --- trends -----------------------------------------------------------------------


def period_start(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    if interval == "month":
        return day.replace(day=1)
    return day


def next_period(start: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return start + dt.timedelta(days=7)
    if interval == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


def periods(first: dt.date, last: dt.date, interval: str) -> Iterator[dt.date]:
    current = period_start(first, interval)
    while current <= last:
        yield current
        current = next_period(current, interval)


def trend_series(
    session: Session, f: Filters, metric: str | None, interval: str, min_n: int
) -> list[dict[str, Any]]:
    """Per period: each metric's score (or one metric's) with n and interval, and
    a p-chart on the metric's good share judged against the periods before it."""
    metrics = [metric] if metric else list(METRICS)
    by_day = _histograms(session, f, "day", metrics=metrics, daily=interval != "month")
    days = [k[0] for k in by_day]
    if not days and (f.start is None or f.end is None):
        return []
    first = f.start or min(days)
    last = f.end or max(days)
    starts = list(periods(first, last, interval))
    index = {s: i for i, s in enumerate(starts)}
    merged: list[dict[str, Histogram]] = [defaultdict(dict) for _ in starts]
    for (day,), hists in by_day.items():
        slot = merged[index[period_start(day, interval)]]
        for m, hist in hists.items():
            for v, c in hist.items():
                slot[m][v] = slot[m].get(v, 0) + c
    charts = {
        m: p_chart(
            [_successes(m, h.get(m, {})) for h in merged],
            [sum(h.get(m, {}).values()) for h in merged],
        )
        for m in metrics
    }
    items = []
    for i, start in enumerate(starts):
        item: dict[str, Any] = {
            "period": start.isoformat(),
            "end": (
                min(next_period(start, interval), last + dt.timedelta(days=1))
                - dt.timedelta(days=1)
            ).isoformat(),
        }
        for m in metrics:
            s = score(m, merged[i].get(m, {}), min_n)
            point = charts[m][i]
            entry = {
                "value": s.value,
                "n": s.n,
                "interval": _interval(s.interval),
                "low_sample": s.low_sample,
                "mean": s.mean,
                "good_pct": None if point.p is None else 100.0 * point.p,
                "centre_pct": None if point.centre is None else 100.0 * point.centre,
                "lower_pct": None if point.lower is None else 100.0 * point.lower,
                "upper_pct": None if point.upper is None else 100.0 * point.upper,
                "out_of_control": point.out_of_control,
            }
            if metric:
                item.update(entry)
            else:
                item[m] = entry
        items.append(item)
    return items


def trends(session: Session, f: Filters, metric: str, interval: str, min_n: int) -> dict[str, Any]:
    return {
        "metric": metric,
        "interval": interval,
        "good": GOOD_LABEL[metric],
        "items": trend_series(session, f, metric, interval, min_n),
    }


def trend_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "period": item["period"],
            "end": item["end"],
            "value": item["value"],
            "n": item["n"],
            "low": item["interval"]["low"] if item["interval"] else None,
            "high": item["interval"]["high"] if item["interval"] else None,
            "low_sample": item["low_sample"],
            "good_pct": item["good_pct"],
            "centre_pct": item["centre_pct"],
            "lower_pct": item["lower_pct"],
            "upper_pct": item["upper_pct"],
            "out_of_control": item["out_of_control"],
        }
        for item in report["items"]
    ]


# --- drivers ----------------------------------------------------------------------

CONTINUOUS = ("resolution_hours", "first_response_hours", "contacts")
BINARY = ("escalated", "reopened")


@dataclass(frozen=True)
class DriverSample:
    """The drivers sample column-wise (one entry per answer, in no set order):
    missing times and contacts are NaN, a missing flag is false."""

    csat: NDArray[np.int64]
    channel: NDArray[np.str_]
    continuous: dict[str, NDArray[np.float64]]
    binary: dict[str, NDArray[np.bool_]]

    def __len__(self) -> int:
        return len(self.csat)


def _hours(seconds: Sequence[float | None]) -> NDArray[np.float64]:
    return np.array(seconds, dtype=float) / 3600  # None -> NaN


def _factors_on_responses(session: Session) -> bool:
    """Whether the ticket factors and FCR-gap counts are kept with the answers
    (PostgreSQL triggers, migration 0014); elsewhere they are joined live."""
    return session.get_bind().dialect.name == "postgresql"


def _driver_sample(session: Session, f: Filters) -> DriverSample:
    """The ``DRIVER_SAMPLE`` most recently submitted answers in the filter with
    their ticket's factors, in one query: on PostgreSQL from the factors kept on
    each answer (an index-only scan backwards from the range's end, no join);
    elsewhere joined to the tickets, and Python subtracts the times.
    The channel is the answer's (the one the channel filter selects on)."""
    r = Response
    if _factors_on_responses(session):
        sample = (
            select(
                r.csat,
                r.channel,
                r.ticket_contacts,
                r.ticket_escalated,
                r.ticket_reopened,
                r.ticket_resolution_seconds,
                r.ticket_first_response_seconds,
            )
            .where(*response_conditions(f), r.csat.is_not(None))
            .order_by(r.submitted_at.desc(), r.id.desc())
            .limit(DRIVER_SAMPLE)
            .subquery()
        )
        # One row of seven arrays: 20,000 rows as row objects cost more than the
        # index-only scan that finds them. Order inside the arrays does not matter
        # to the statistics.
        arrays = session.execute(select(*(func.array_agg(c) for c in sample.c))).one()
        columns: list[Sequence[Any]] = [a or [] for a in arrays]
        resolution, first_response = columns[5], columns[6]
    else:
        t = Ticket
        joined = session.execute(
            select(
                r.csat,
                r.channel,
                t.contacts,
                t.escalated,
                t.reopened,
                t.opened_at,
                t.first_response_at,
                t.resolved_at,
            )
            .join(t, t.id == r.ticket_id)
            .where(*response_conditions(f), r.csat.is_not(None))
            .order_by(r.submitted_at.desc(), r.id.desc())
            .limit(DRIVER_SAMPLE)
        ).all()
        columns = list(zip(*joined, strict=True)) if joined else [()] * 8

        def seconds(later: Sequence[Any], earlier: Sequence[Any]) -> list[float | None]:
            return [
                (b - a).total_seconds() if a and b else None
                for a, b in zip(earlier, later, strict=True)
            ]

        opened, first, resolved = columns[5:8]
        resolution, first_response = seconds(resolved, opened), seconds(first, opened)
    csat, channel, contacts, escalated, reopened = columns[:5]
    return DriverSample(
        csat=np.array(csat, dtype=np.int64),
        channel=np.array([c or "none" for c in channel], dtype=str),
        continuous={
            "resolution_hours": _hours(resolution),
            "first_response_hours": _hours(first_response),
            "contacts": np.array(contacts, dtype=float),
        },
        binary={
            "escalated": np.array([bool(v) for v in escalated], dtype=bool),
            "reopened": np.array([bool(v) for v in reopened], dtype=bool),
        },
    )


def _median(values: NDArray[np.float64]) -> float | None:
    """The median of the known (non-NaN) values, as ``stats.percentile`` defines it."""
    known = values[~np.isnan(values)]
    if known.size == 0:
        return None
    return percentile(np.sort(known).tolist(), 50.0)


def _plain_differences(sample: DriverSample) -> list[dict[str, Any]]:
    """CSAT top-2-box with the factor minus without it (percentage points).

    Continuous factors are split at their median (above vs at or below), binary
    ones true vs false, and each channel against all the others.
    """
    top = np.isin(sample.csat, list(CSAT_TOP_BOX))
    out = []
    for factor in CONTINUOUS:
        values = sample.continuous[factor]
        median = _median(values)
        if median is None:
            continue
        with np.errstate(invalid="ignore"):
            high, low = values > median, values <= median  # NaN is neither
        out.append(_difference(factor, f"above median ({median:.4g})", top, high, low))
    for factor in BINARY:
        yes = sample.binary[factor]
        out.append(_difference(factor, "true", top, yes, ~yes))
    for channel in sorted(set(sample.channel.tolist())):
        inside = sample.channel == channel
        out.append(_difference("channel", channel, top, inside, ~inside))
    return out


def _top2(top: NDArray[np.bool_], where: NDArray[np.bool_]) -> tuple[int, float | None]:
    n = int(where.sum())
    if n == 0:
        return 0, None
    return n, 100.0 * int(np.count_nonzero(top & where)) / n


def _difference(
    factor: str, level: str, top: NDArray[np.bool_], a: NDArray[np.bool_], b: NDArray[np.bool_]
) -> dict[str, Any]:
    (n_a, top_a), (n_b, top_b) = _top2(top, a), _top2(top, b)
    return {
        "factor": factor,
        "level": level,
        "n_level": n_a,
        "n_rest": n_b,
        "top2_level": top_a,
        "top2_rest": top_b,
        "top2_difference": None if top_a is None or top_b is None else top_a - top_b,
    }


def _logistic(sample: DriverSample) -> dict[str, Any]:
    """Standardised logistic regression of "dissatisfied" (CSAT <= 3) on the factors.

    Every column is standardised, so each odds ratio is per one standard
    deviation of its factor and the factors compare with one another. Missing
    times and contacts take the median (the row still informs the others).
    """
    from sklearn.linear_model import LogisticRegression

    channels, counts = np.unique(sample.channel, return_counts=True)  # sorted
    # The most common channel is the reference level the others compare with
    # (on a tie, the first in alphabetical order).
    reference = str(channels[int(np.argmax(counts))])
    others = [str(c) for c in channels if c != reference]
    names = [*CONTINUOUS, *BINARY, *(f"channel={c}" for c in others)]
    columns = []
    for factor in CONTINUOUS:
        values = sample.continuous[factor]
        median = _median(values)
        columns.append(np.where(np.isnan(values), 0.0 if median is None else median, values))
    columns += [sample.binary[b].astype(float) for b in BINARY]
    columns += [(sample.channel == c).astype(float) for c in others]
    x = np.column_stack(columns)
    y = (sample.csat <= DISSATISFIED_MAX_CSAT).astype(int)
    if len(sample) < 30 or y.min() == y.max():
        return {"n": len(sample), "reference_channel": reference, "coefficients": None}
    sd = x.std(axis=0)
    keep = sd > 0
    # Standardised as sklearn's StandardScaler does (population SD). Newton's
    # method with a Cholesky solve: a handful of columns and many rows is its
    # case; it converges to the maximum likelihood in a few steps where lbfgs
    # stopped at its looser gradient tolerance (third significant digit).
    scaled = (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]
    model = LogisticRegression(C=1e6, max_iter=1000, solver="newton-cholesky").fit(scaled, y)
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    coefficients: list[dict[str, Any]] = [
        {"factor": name, "coefficient": float(c), "odds_ratio_per_sd": float(math.exp(c))}
        for name, c in zip(kept, model.coef_[0], strict=True)
    ]
    coefficients.sort(key=lambda c: -abs(c["coefficient"]))
    return {
        "n": len(sample),
        "dissatisfied": int(y.sum()),
        "reference_channel": reference,
        "coefficients": coefficients,
    }


def _fcr_gap_counts(session: Session, f: Filters) -> dict[int, list[int]]:
    """Per agent id: answered, said yes, desk FCR, desk FCR said no."""
    out: dict[int, list[int]] = {}
    if _factors_on_responses(session):
        for piece, first, last in rollup_pieces(f.start, f.end):
            table: Any = FcrGapRollup if piece is ScoreRollup else MonthlyFcrGapRollup
            rows = session.execute(
                select(table.agent_id, *(func.sum(getattr(table, c)) for c in FCR_GAP_COUNTS))
                .where(*_rollup_conditions(table, first, last, f), table.agent_id != NO_ID)
                .group_by(table.agent_id)
            )
            for agent_id, *counts in rows:
                total = out.setdefault(agent_id, [0] * len(FCR_GAP_COUNTS))
                for i, v in enumerate(counts):
                    total[i] += int(v or 0)
        return out
    t = Ticket
    op_fcr = and_(t.contacts <= 1, or_(t.reopened.is_(None), t.reopened.is_(False)))
    rows = session.execute(
        select(
            Response.agent_id,
            func.count(),
            func.sum(case((Response.fcr == FCR_YES, 1), else_=0)),
            func.sum(case((op_fcr, 1), else_=0)),
            func.sum(case((and_(op_fcr, Response.fcr != FCR_YES), 1), else_=0)),
        )
        .join(t, t.id == Response.ticket_id)
        .where(
            *response_conditions(f),
            Response.fcr.is_not(None),
            t.contacts.is_not(None),
            Response.agent_id.is_not(None),
        )
        .group_by(Response.agent_id)
    )
    for agent_id, *counts in rows:
        out[agent_id] = [int(v or 0) for v in counts]
    return out


def fcr_gaps(session: Session, f: Filters) -> list[dict[str, Any]]:
    """Per agent: customers saying "not resolved" on tickets the desk counted as
    first-contact resolutions (one contact, not reopened), and both FCR rates on
    the same answered tickets."""
    counts = {a: c for a, c in _fcr_gap_counts(session, f).items() if c[0]}
    names = {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(list(counts))))}
    out: list[dict[str, Any]] = []
    for agent_id, (n, said_yes, desk_yes, desk_yes_said_no) in counts.items():
        out.append(
            {
                "agent": names[agent_id].external_id,
                "name": names[agent_id].name,
                "answered": n,
                "customer_fcr": 100.0 * said_yes / n,
                "operational_fcr": 100.0 * desk_yes / n,
                "gap": 100.0 * (desk_yes - said_yes) / n,
                "desk_fcr_not_resolved": _rate(desk_yes_said_no, desk_yes),
            }
        )
    out.sort(key=lambda r: r["agent"])
    return out


def drivers(session: Session, f: Filters) -> dict[str, Any]:
    """The drivers report: unfiltered, the latest worker run while it is fresh
    (``computed_at`` says when); filtered, or with no fresh run, computed now
    (``computed_at`` null)."""
    if f == Filters():
        run = latest_driver_run(session)
        if run is not None and utcnow() - run.computed_at <= DRIVER_RUN_MAX_AGE:
            return {**run.report, "computed_at": run.computed_at}
    return {**compute_drivers(session, f), "computed_at": None}


def compute_drivers(session: Session, f: Filters) -> dict[str, Any]:
    sample = _driver_sample(session, f)
    return {
        "sample": {"responses": len(sample), "limit": DRIVER_SAMPLE},
        "differences": _plain_differences(sample),
        "logistic": _logistic(sample) if len(sample) else None,
        "fcr_gap": fcr_gaps(session, f),
    }


def latest_driver_run(session: Session) -> DriverRun | None:
    return session.scalar(select(DriverRun).order_by(DriverRun.computed_at.desc()).limit(1))


def store_driver_run(session: Session) -> DriverRun:
    """Compute the unfiltered drivers report and keep it (the beat's task); older
    runs than the last few are dropped."""
    started = time.perf_counter()
    report = compute_drivers(session, Filters())
    run = DriverRun(computed_at=utcnow(), seconds=time.perf_counter() - started, report=report)
    session.add(run)
    session.flush()
    keep = select(DriverRun.id).order_by(DriverRun.computed_at.desc()).limit(DRIVER_RUNS_KEPT)
    session.execute(delete(DriverRun).where(DriverRun.id.not_in(keep)))
    session.flush()
    return run


def driver_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    odds = {
        c["factor"]: c["odds_ratio_per_sd"]
        for c in ((report["logistic"] or {}).get("coefficients") or [])
    }
    rows = []
    for d in report["differences"]:
        key = d["factor"] if d["factor"] != "channel" else f"channel={d['level']}"
        rows.append({**d, "odds_ratio_per_sd": odds.get(key)})
    return rows
