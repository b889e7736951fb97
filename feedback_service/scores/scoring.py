"""Headline scores of DESIGN.md section 2, computed exactly from answer histograms.

Pure arithmetic: no Flask, no SQLAlchemy. The database keeps rollups as exact
counts per answer value (``{value: count}``), so every score here is recomputed
from counts: merging two periods or two agents means adding their histograms
(:func:`merge_histograms`), never averaging two averages.

Conventions:

* ``Score.value`` and ``Score.interval`` are on the metric's reporting scale:
  percent 0..100 for CSAT and FCR, -100..100 for NPS, the 1..7 scale for CES.
* :func:`wilson_interval` returns proportions 0..1; the scores multiply by 100.
* ``n == 0`` gives ``value=None``, ``interval=None`` and ``low_sample=True``.
* Every interval lies on its scale for every ``n >= 1``: Wilson for the
  proportions, a Dirichlet posterior on the answer histogram for means and NPS
  (``scores/intervals.py`` says which and why).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

# scipy.special holds the same quantile function scipy.stats calls (ndtri is
# norm.ppf) and imports in a tenth of the time.
from scipy.special import ndtri

from feedback_service.scores.intervals import mean_interval_one
from feedback_service.surveys.metrics import METRICS

Histogram = Mapping[int, int]

DEFAULT_MIN_N = 30
DEFAULT_CONFIDENCE = 0.95

# Bucket boundaries of DESIGN.md section 2.
CSAT_TOP_BOX = frozenset({4, 5})
NPS_PROMOTERS = frozenset({9, 10})
NPS_DETRACTORS = frozenset(range(0, 7))
CES_AGREE = frozenset({5, 6, 7})
FCR_YES = 1


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Score:
    """One metric's headline score with its evidence.

    The metric-specific extras are optional fields rather than a free-form dict
    so that callers get them type-checked; fields that do not apply to the
    metric stay ``None``.
    """

    metric: str
    value: float | None
    n: int
    interval: Interval | None
    low_sample: bool
    # csat: mean of 1..5 and its interval; ces: same as value/interval.
    mean: float | None = None
    mean_interval: Interval | None = None
    # nps: shares of answers in percent (they sum to 100).
    promoters: float | None = None
    passives: float | None = None
    detractors: float | None = None
    # ces: percent of answers 5..7 and its Wilson interval in percent.
    pct_agree: float | None = None
    pct_agree_interval: Interval | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (intervals become ``{"low": .., "high": ..}``).

        The same as ``dataclasses.asdict`` (a test says so), written out because
        ``asdict`` deep-copies every field and a 200-agent table calls this 800 times.
        """
        out: dict[str, Any] = {}
        for name in _SCORE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, Interval):
                value = {"low": value.low, "high": value.high}
            out[name] = value
        return out


_SCORE_FIELDS = tuple(f.name for f in fields(Score))


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return normal_quantile(0.5 + confidence / 2.0)


@functools.lru_cache(maxsize=256)
def normal_quantile(p: float) -> float:
    """``norm.ppf(p)``, memoised: a report asks for the same few quantiles
    thousands of times, and each scipy call costs a fraction of a millisecond."""
    return float(ndtri(p))


def wilson_interval(successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE) -> Interval:
    """Wilson score interval for a binomial proportion, as proportions 0..1.

    Wilson rather than the textbook ``p +- z*se`` because it stays inside [0, 1]
    and does not collapse to a zero-width interval at 0% or 100%, which is
    exactly where small agent samples live.
    """
    if n <= 0:
        raise ValueError("wilson_interval needs n > 0")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    z = _z(confidence)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    # At 0 or n successes the bound is exactly 0 or 1; say so instead of
    # leaving float dust like 2.8e-17 that would put p_hat outside the interval.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high)


def _validated(metric_key: str, hist: Histogram) -> dict[int, int]:
    try:
        spec = METRICS[metric_key]
    except KeyError:
        raise ValueError(f"unknown metric {metric_key!r}") from None
    clean: dict[int, int] = {}
    for value, count in hist.items():
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int) or not spec.accepts(value):
            raise ValueError(
                f"{metric_key}: answer {value!r} is outside the scale {spec.low}..{spec.high}"
            )
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"{metric_key}: count for {value} must be a non-negative int")
        if count:
            clean[value] = clean.get(value, 0) + count
    return clean


def _count(hist: Mapping[int, int], values: frozenset[int] | set[int]) -> int:
    return sum(c for v, c in hist.items() if v in values)


def _n(hist: Mapping[int, int]) -> int:
    return sum(hist.values())


def merge_histograms(*hists: Histogram) -> dict[int, int]:
    """Add histograms value by value (e.g. days into a month, agents into a team)."""
    merged: dict[int, int] = {}
    for hist in hists:
        for value, count in hist.items():
            if count < 0:
                raise ValueError(f"negative count {count} for value {value}")
            merged[value] = merged.get(value, 0) + count
    return {v: c for v, c in sorted(merged.items()) if c}


def histogram_mean(hist: Histogram) -> float | None:
    """Exact mean of the answers in ``hist``; ``None`` when it is empty."""
    n = _n(hist)
    if n == 0:
        return None
    return sum(v * c for v, c in hist.items()) / n


def mean_interval(
    hist: Histogram, points: range | tuple[int, ...], confidence: float = DEFAULT_CONFIDENCE
) -> Interval | None:
    """Interval for the mean of the answers in ``hist`` on the scale ``points``
    (``range(1, 6)`` for CSAT, ``range(1, 8)`` for CES); ``None`` when empty.

    Never outside ``points``' range and never zero-width, even for one answer or
    identical answers (``intervals.mean_intervals``: a Dirichlet posterior).
    """
    n = _n(hist)
    if n == 0:
        return None
    counts = tuple(hist.get(v, 0) for v in points)
    if sum(counts) != n:
        raise ValueError(f"answers outside the scale {points[0]}..{points[-1]}")
    bounds = mean_interval_one(counts, tuple(float(v) for v in points), confidence)
    assert bounds is not None  # n > 0
    return Interval(*bounds)


def _pct(interval: Interval) -> Interval:
    return Interval(interval.low * 100.0, interval.high * 100.0)


def _histogram(metric_key: str, hist: Histogram) -> tuple[dict[int, int], int]:
    """The checked histogram and its number of answers."""
    h = _validated(metric_key, hist)
    return h, _n(h)


def _share(metric_key: str, k: int, n: int, min_n: int, **more: Any) -> Score:
    """A score that is the percent of answers counted in ``k``, Wilson interval."""
    return Score(
        metric=metric_key,
        value=100.0 * k / n,
        n=n,
        interval=_pct(wilson_interval(k, n)),
        low_sample=n < min_n,
        **more,
    )


def _empty(metric_key: str) -> Score:
    return Score(metric=metric_key, value=None, n=0, interval=None, low_sample=True)


def score_csat(hist: Histogram, min_n: int = DEFAULT_MIN_N) -> Score:
    """CSAT: percent of answers 4 or 5 (Wilson interval); the mean is shown too."""
    h, n = _histogram("csat", hist)
    if n == 0:
        return _empty("csat")
    return _share(
        "csat",
        _count(h, CSAT_TOP_BOX),
        n,
        min_n,
        mean=histogram_mean(h),
        mean_interval=mean_interval(h, METRICS["csat"].values),
    )


# NPS as the mean of a detractor / passive / promoter point on its own scale.
NPS_POINTS = (-100.0, 0.0, 100.0)


def nps_interval(
    promoters: int, detractors: int, n: int, confidence: float = DEFAULT_CONFIDENCE
) -> Interval:
    """Interval for NPS (-100..100): the mean of -100 (detractor), 0 (passive)
    and +100 (promoter) under a Dirichlet posterior on the three shares, so it
    stays within -100..100 and is never zero-width (``intervals.py``)."""
    if n <= 0:
        raise ValueError("nps_interval needs n > 0")
    if promoters < 0 or detractors < 0 or promoters + detractors > n:
        raise ValueError(f"invalid NPS counts (promoters={promoters}, detractors={detractors})")
    counts = (detractors, n - promoters - detractors, promoters)
    bounds = mean_interval_one(counts, NPS_POINTS, confidence)
    assert bounds is not None  # n > 0
    return Interval(*bounds)


def score_nps(hist: Histogram, min_n: int = DEFAULT_MIN_N) -> Score:
    """NPS: percent promoters (9-10) minus percent detractors (0-6)."""
    h, n = _histogram("nps", hist)
    if n == 0:
        return _empty("nps")
    pro = _count(h, NPS_PROMOTERS)
    det = _count(h, NPS_DETRACTORS)
    return Score(
        metric="nps",
        value=100.0 * (pro - det) / n,
        n=n,
        interval=nps_interval(pro, det, n),
        low_sample=n < min_n,
        promoters=100.0 * pro / n,
        passives=100.0 * (n - pro - det) / n,
        detractors=100.0 * det / n,
    )


def score_ces(hist: Histogram, min_n: int = DEFAULT_MIN_N) -> Score:
    """CES: the mean of 1..7 is the headline (bounded interval); percent agree (5-7) too."""
    h, n = _histogram("ces", hist)
    if n == 0:
        return _empty("ces")
    agree = _count(h, CES_AGREE)
    mean = histogram_mean(h)
    interval = mean_interval(h, METRICS["ces"].values)
    return Score(
        metric="ces",
        value=mean,
        n=n,
        interval=interval,
        low_sample=n < min_n,
        mean=mean,
        mean_interval=interval,
        pct_agree=100.0 * agree / n,
        pct_agree_interval=_pct(wilson_interval(agree, n)),
    )


def score_fcr(hist: Histogram, min_n: int = DEFAULT_MIN_N) -> Score:
    """Customer-perceived FCR: percent of answers 1 (yes), Wilson interval."""
    h, n = _histogram("fcr", hist)
    if n == 0:
        return _empty("fcr")
    return _share("fcr", h.get(FCR_YES, 0), n, min_n)


_SCORERS = {"csat": score_csat, "nps": score_nps, "ces": score_ces, "fcr": score_fcr}


def score(metric_key: str, hist: Histogram, min_n: int = DEFAULT_MIN_N) -> Score:
    """Headline score of ``metric_key`` ("csat", "nps", "ces", "fcr") for ``hist``."""
    try:
        scorer = _SCORERS[metric_key]
    except KeyError:
        raise ValueError(f"unknown metric {metric_key!r}") from None
    return scorer(hist, min_n)
