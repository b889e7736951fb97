"""The drivers report: which operational factors go with low CSAT (plain
differences and a standardised logistic regression), and per agent the gap
between customer-perceived and operational FCR."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import Session

from feedback_service.db import utcnow
from feedback_service.helpdesk.models import Agent, Ticket
from feedback_service.scores import trigger_rollups
from feedback_service.scores.filters import (
    Filters,
    response_conditions,
    rollup_conditions,
    rollup_pieces,
)
from feedback_service.scores.histograms import Rate, rate
from feedback_service.scores.models import (
    FCR_GAP_COUNTS,
    NO_ID,
    DriverRun,
    FcrGapRollup,
    MonthlyFcrGapRollup,
    ScoreRollup,
    operational_fcr,
)
from feedback_service.scores.scoring import CSAT_TOP_BOX, FCR_YES
from feedback_service.scores.stats import percentile
from feedback_service.surveys.models import Response

# Drivers fit on the most recent answers in the filter: enough for stable
# coefficients, small enough to answer a request quickly at any data size.
DRIVER_SAMPLE = 20_000
DISSATISFIED_MAX_CSAT = 3
# The worker recomputes the unfiltered drivers report every 15 minutes (beat
# schedule); a run older than this is not served (the beat has stopped).
DRIVER_RUN_MAX_AGE = dt.timedelta(hours=1)
DRIVER_RUNS_KEPT = 5
CONTINUOUS = ("resolution_hours", "first_response_hours", "contacts")
BINARY = ("escalated", "reopened")


class Difference(TypedDict):
    factor: str
    level: str
    n_level: int
    n_rest: int
    top2_level: float | None
    top2_rest: float | None
    top2_difference: float | None


class Coefficient(TypedDict):
    factor: str
    coefficient: float
    odds_ratio_per_sd: float


class Logistic(TypedDict):
    n: int
    dissatisfied: NotRequired[int]
    reference_channel: str
    coefficients: list[Coefficient] | None


class FcrGap(TypedDict):
    agent: str
    name: str | None
    answered: int
    customer_fcr: float
    operational_fcr: float
    gap: float
    desk_fcr_not_resolved: Rate


class DriverSampleSize(TypedDict):
    responses: int
    limit: int


class Drivers(TypedDict):
    sample: DriverSampleSize
    differences: list[Difference]
    logistic: Logistic | None
    fcr_gap: list[FcrGap]
    computed_at: NotRequired[dt.datetime | None]


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


def _sample_columns_kept(session: Session, f: Filters) -> list[Sequence[Any]]:
    """The sample from the factors kept on each answer: an index-only scan
    backwards from the range's end, no join (PostgreSQL)."""
    r = Response
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
    return [a or [] for a in arrays]


def _sample_columns_joined(session: Session, f: Filters) -> list[Sequence[Any]]:
    """The sample joined to the tickets; Python subtracts the times. Columns as
    ``_sample_columns_kept`` gives them."""
    r, t = Response, Ticket
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
    columns: list[Sequence[Any]] = list(zip(*joined, strict=True)) if joined else [()] * 8

    def seconds(later: Sequence[Any], earlier: Sequence[Any]) -> list[float | None]:
        return [
            (b - a).total_seconds() if a and b else None
            for a, b in zip(earlier, later, strict=True)
        ]

    opened, first, resolved = columns[5:8]
    return [*columns[:5], seconds(resolved, opened), seconds(first, opened)]


def _driver_sample(session: Session, f: Filters) -> DriverSample:
    """The ``DRIVER_SAMPLE`` most recently submitted answers in the filter with
    their ticket's factors, in one query. The channel is the answer's (the one
    the channel filter selects on)."""
    # The ticket factors and FCR-gap counts kept with the answers (triggers, 0014).
    if trigger_rollups.in_use(session):
        columns = _sample_columns_kept(session, f)
    else:
        columns = _sample_columns_joined(session, f)
    csat, channel, contacts, escalated, reopened, resolution, first_response = columns
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


def _plain_differences(sample: DriverSample) -> list[Difference]:
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
) -> Difference:
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


def _logistic(sample: DriverSample) -> Logistic:
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
    coefficients: list[Coefficient] = [
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
    # The ticket factors and FCR-gap counts kept with the answers (triggers, 0014).
    if trigger_rollups.in_use(session):
        for piece, first, last in rollup_pieces(f.start, f.end):
            table: Any = FcrGapRollup if piece is ScoreRollup else MonthlyFcrGapRollup
            rows = session.execute(
                select(table.agent_id, *(func.sum(getattr(table, c)) for c in FCR_GAP_COUNTS))
                .where(*rollup_conditions(table, first, last, f), table.agent_id != NO_ID)
                .group_by(table.agent_id)
            )
            for agent_id, *counts in rows:
                total = out.setdefault(agent_id, [0] * len(FCR_GAP_COUNTS))
                for i, v in enumerate(counts):
                    total[i] += int(v or 0)
        return out
    t = Ticket
    op_fcr = operational_fcr(t.contacts, t.reopened)
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


def fcr_gaps(session: Session, f: Filters) -> list[FcrGap]:
    """Per agent: customers saying "not resolved" on tickets the desk counted as
    first-contact resolutions (one contact, not reopened), and both FCR rates on
    the same answered tickets."""
    counts = {a: c for a, c in _fcr_gap_counts(session, f).items() if c[0]}
    names = {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(list(counts))))}
    out: list[FcrGap] = []
    for agent_id, (n, said_yes, desk_yes, desk_yes_said_no) in counts.items():
        out.append(
            {
                "agent": names[agent_id].external_id,
                "name": names[agent_id].name,
                "answered": n,
                "customer_fcr": 100.0 * said_yes / n,
                "operational_fcr": 100.0 * desk_yes / n,
                "gap": 100.0 * (desk_yes - said_yes) / n,
                "desk_fcr_not_resolved": rate(desk_yes_said_no, desk_yes),
            }
        )
    out.sort(key=lambda r: r["agent"])
    return out


def drivers(session: Session, f: Filters) -> Drivers:
    """The drivers report: unfiltered, the latest worker run while it is fresh
    (``computed_at`` says when); filtered, or with no fresh run, computed now
    (``computed_at`` null)."""
    if f == Filters():
        run = latest_driver_run(session)
        if run is not None and utcnow() - run.computed_at <= DRIVER_RUN_MAX_AGE:
            return cast(Drivers, {**run.report, "computed_at": run.computed_at})
    return {**compute_drivers(session, f), "computed_at": None}


def compute_drivers(session: Session, f: Filters) -> Drivers:
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
