"""Answer histograms summed from the rollups, and the small JSON shapes every
report shares (an interval, a rate with its Wilson interval).

Survey scores come from ``score_rollups`` (exact histograms) through the pure
scoring and statistics modules; nothing here averages averages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.scores.filters import Filters, rollup_conditions, rollup_pieces
from feedback_service.scores.models import (
    AgentScoreRollup,
    MonthlyAgentScoreRollup,
    MonthlyTeamScoreRollup,
    ScoreRollup,
    TeamScoreRollup,
)
from feedback_service.scores.scoring import (
    CES_AGREE,
    CSAT_TOP_BOX,
    FCR_YES,
    NPS_PROMOTERS,
    Interval,
    wilson_interval,
)

Histogram = dict[int, int]

# The "good" share each trend's control chart watches: a p-chart needs a
# proportion, so NPS is charted by its promoters' share (the NPS itself is a
# difference of two shares and has no binomial limits), CES by % agree.
GOOD_VALUES: dict[str, frozenset[int]] = {
    "csat": CSAT_TOP_BOX,
    "nps": NPS_PROMOTERS,
    "ces": CES_AGREE,
    "fcr": frozenset({FCR_YES}),
}


class IntervalOut(TypedDict):
    low: float
    high: float


class Rate(TypedDict):
    """A percentage with its n; ``count`` and the interval only when n > 0."""

    value: float | None
    n: int
    count: NotRequired[int]
    interval: IntervalOut | None


def interval_out(interval: Interval | None) -> IntervalOut | None:
    return None if interval is None else {"low": interval.low, "high": interval.high}


def rate(hits: int, n: int) -> Rate:
    """A percentage with its Wilson interval (null when there is nothing to divide)."""
    if n <= 0:
        return {"value": None, "n": n, "interval": None}
    interval = interval_out(wilson_interval(hits, n)) if 0 <= hits <= n else None
    if interval is not None:
        interval = {"low": 100.0 * interval["low"], "high": 100.0 * interval["high"]}
    return {"value": 100.0 * hits / n, "n": n, "count": hits, "interval": interval}


def successes(metric: str, hist: Histogram) -> int:
    """Answers in the metric's "good" values (``GOOD_VALUES``)."""
    return sum(c for v, c in hist.items() if v in GOOD_VALUES[metric])


def histograms(
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
            .where(*rollup_conditions(table, first, last, f))
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
