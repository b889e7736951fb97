"""Trends: a metric per day, week or month with its interval, and a p-chart on
the metric's good share judged against the periods before it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Required, TypedDict, cast

from sqlalchemy.orm import Session

from feedback_service.scores.filters import METRICS, Filters
from feedback_service.scores.histograms import (
    Histogram,
    IntervalOut,
    histograms,
    interval_out,
    successes,
)
from feedback_service.scores.scoring import score
from feedback_service.scores.stats import PChartPoint, p_chart

INTERVALS = ("day", "week", "month")
GOOD_LABEL = {
    "csat": "top-2-box (4-5)",
    "nps": "promoters (9-10)",
    "ces": "agree (5-7)",
    "fcr": "yes",
}


class TrendPoint(TypedDict):
    """One metric in one period: its score and the p-chart of its good share."""

    value: float | None
    n: int
    interval: IntervalOut | None
    low_sample: bool
    mean: float | None
    good_pct: float | None
    centre_pct: float | None
    lower_pct: float | None
    upper_pct: float | None
    out_of_control: bool


class TrendItem(TypedDict, total=False):
    """One period: a one-metric series carries the ``TrendPoint`` keys at the top
    level, an every-metric series one ``TrendPoint`` per metric."""

    period: Required[str]
    end: Required[str]
    value: float | None
    n: int
    interval: IntervalOut | None
    low_sample: bool
    mean: float | None
    good_pct: float | None
    centre_pct: float | None
    lower_pct: float | None
    upper_pct: float | None
    out_of_control: bool
    csat: TrendPoint
    nps: TrendPoint
    ces: TrendPoint
    fcr: TrendPoint


class Trend(TypedDict):
    metric: str
    interval: str
    good: str
    items: list[TrendItem]


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


def _pct(p: float | None) -> float | None:
    return None if p is None else 100.0 * p


def _point(metric: str, hist: Histogram, chart: PChartPoint, min_n: int) -> TrendPoint:
    s = score(metric, hist, min_n)
    return {
        "value": s.value,
        "n": s.n,
        "interval": interval_out(s.interval),
        "low_sample": s.low_sample,
        "mean": s.mean,
        "good_pct": _pct(chart.p),
        "centre_pct": _pct(chart.centre),
        "lower_pct": _pct(chart.lower),
        "upper_pct": _pct(chart.upper),
        "out_of_control": chart.out_of_control,
    }


def trend_series(
    session: Session, f: Filters, metric: str | None, interval: str, min_n: int
) -> list[TrendItem]:
    """Per period: each metric's score (or one metric's) with n and interval, and
    a p-chart on the metric's good share judged against the periods before it."""
    metrics = [metric] if metric else list(METRICS)
    by_day = histograms(session, f, "day", metrics=metrics, daily=interval != "month")
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
            [successes(m, h.get(m, {})) for h in merged],
            [sum(h.get(m, {}).values()) for h in merged],
        )
        for m in metrics
    }
    items = []
    for i, start in enumerate(starts):
        end = min(next_period(start, interval), last + dt.timedelta(days=1))
        item: dict[str, object] = {
            "period": start.isoformat(),
            "end": (end - dt.timedelta(days=1)).isoformat(),
        }
        for m in metrics:
            entry = _point(m, merged[i].get(m, {}), charts[m][i], min_n)
            if metric:
                item.update(entry)
            else:
                item[m] = entry
        items.append(cast(TrendItem, item))
    return items


def trends(session: Session, f: Filters, metric: str, interval: str, min_n: int) -> Trend:
    return {
        "metric": metric,
        "interval": interval,
        "good": GOOD_LABEL[metric],
        "items": trend_series(session, f, metric, interval, min_n),
    }
