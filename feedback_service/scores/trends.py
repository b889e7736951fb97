"""Trends: a metric per day, week or month with its interval, and a p-chart on
the metric's good share judged against the periods before it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import TypedDict

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


class MetricTrendItem(TrendPoint):
    """One period of a one-metric trend."""

    period: str
    end: str


class TrendItem(TypedDict):
    """One period of every metric's trend."""

    period: str
    end: str
    csat: TrendPoint
    nps: TrendPoint
    ces: TrendPoint
    fcr: TrendPoint


class Trend(TypedDict):
    metric: str
    interval: str
    good: str
    items: list[MetricTrendItem]


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


def _series(
    session: Session, f: Filters, metrics: list[str], interval: str, min_n: int
) -> list[tuple[str, str, dict[str, TrendPoint]]]:
    """Per period (its first and last day): each metric's score with n and
    interval, and a p-chart on its good share judged against the periods before."""
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
    out = []
    for i, start in enumerate(starts):
        end = min(next_period(start, interval), last + dt.timedelta(days=1))
        points = {m: _point(m, merged[i].get(m, {}), charts[m][i], min_n) for m in metrics}
        out.append((start.isoformat(), (end - dt.timedelta(days=1)).isoformat(), points))
    return out


def trend_series(session: Session, f: Filters, interval: str, min_n: int) -> list[TrendItem]:
    """Every metric's trend, one ``TrendPoint`` per metric and period."""
    return [
        {
            "period": period,
            "end": end,
            "csat": points["csat"],
            "nps": points["nps"],
            "ces": points["ces"],
            "fcr": points["fcr"],
        }
        for period, end, points in _series(session, f, list(METRICS), interval, min_n)
    ]


def metric_series(
    session: Session, f: Filters, metric: str, interval: str, min_n: int
) -> list[MetricTrendItem]:
    """One metric's trend, its ``TrendPoint`` keys beside the period's."""
    return [
        {"period": period, "end": end, **points[metric]}
        for period, end, points in _series(session, f, [metric], interval, min_n)
    ]


def trends(session: Session, f: Filters, metric: str, interval: str, min_n: int) -> Trend:
    return {
        "metric": metric,
        "interval": interval,
        "good": GOOD_LABEL[metric],
        "items": metric_series(session, f, metric, interval, min_n),
    }
