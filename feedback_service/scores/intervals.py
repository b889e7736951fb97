"""Intervals that stay inside their scale: means of 1-5 / 1-7 answers, NPS, and
the shrunk (empirical-Bayes) estimates of the agent scorecards.

Pure arithmetic: numpy and scipy.special in, plain values out.

Why a Dirichlet posterior on the answer histogram and not a t interval or a
bootstrap. A t interval is ``mean +- t * sd / sqrt(n)``: nothing keeps it on the
scale (two CES answers 1 and 7 give -6.7 to 14.7 on a 1-7 scale) and one answer,
or identical answers, give no interval or a zero-width one. A bootstrap stays on
the scale but is zero-width for one answer or identical answers, and its random
resamples make a report change between two requests. The answers of a survey
question are counts on a few fixed points, so we model exactly that: the share of
each point has a Dirichlet posterior (a weak prior worth ``PRIOR_ANSWERS`` answer
spread evenly over the points, plus the counts), and the mean is a weighted sum
of the points. Every draw of that posterior is a mean between the lowest and the
highest point, so the interval is on the scale by construction. Its exact
distribution has no closed form; we match a Beta on ``[low, high]`` to its exact
posterior mean and variance (exact when there are two points: the Bernoulli
case) and read the Beta's quantiles. Deterministic, vectorised, bounded.

One answer gives a wide interval; a hundred identical answers a narrow one that
still admits the next answer might differ. With a few answers the prior pulls
the interval towards the middle of the scale; where that would leave the
observed mean outside its own interval (every answer at the top of the scale),
the interval is widened to reach it, the same end correction Brown, Cai and
DasGupta (2001) give the Jeffreys interval for a proportion.

Coverage (tests/unit/analysis/test_intervals.py simulates it): with 30 or more
answers the 95% interval covers the true mean in 93-97% of draws for the
distributions support answers take; proportions keep Wilson's interval.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# betaincinv is what scipy.stats.beta.ppf evaluates, at a tenth of the import time.
from scipy.special import betaincinv

# The Dirichlet prior's total weight, in answers, spread evenly over the points of
# the scale: enough to give one answer an honest width, too little to move a
# figure with a few dozen answers.
PRIOR_ANSWERS = 1.0
# The empirical-Bayes prior's weight when the peers cannot support a fitted one
# (fewer than three with answers, or no spread beyond noise), as in stats.py.
FALLBACK_PRIOR_STRENGTH = 10.0
MIN_GROUPS_FOR_FIT = 3


@dataclass(frozen=True)
class Bounded:
    """A figure's centre and its interval on the scale, per row of a batch."""

    estimate: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


def _posterior_moments(
    alpha: NDArray[np.float64], points: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact mean and variance of ``sum_k p_k * points_k`` when ``p ~ Dirichlet(alpha)``."""
    total = alpha.sum(axis=1)
    share = alpha / total[:, None]
    mean = share @ points
    second = share @ (points * points)
    variance = np.maximum(second - mean * mean, 0.0) / (total + 1.0)
    return mean, variance


def _beta_quantiles(
    mean: NDArray[np.float64],
    variance: NDArray[np.float64],
    lo: float,
    hi: float,
    confidence: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Quantiles of the Beta on ``[lo, hi]`` with the given mean and variance."""
    width = hi - lo
    u = np.clip((mean - lo) / width, 1e-12, 1.0 - 1e-12)
    s2 = np.maximum(variance / (width * width), 1e-300)
    # For any distribution on [0, 1], variance <= u(1-u); a Dirichlet-weighted mean
    # has variance <= u(1-u)/(A+1), so ``strength`` is at least the posterior weight.
    strength = np.maximum(u * (1.0 - u) / s2 - 1.0, 1e-9)
    a, b = u * strength, (1.0 - u) * strength
    tail = (1.0 - confidence) / 2.0
    low = lo + width * betaincinv(a, b, tail)
    high = lo + width * betaincinv(a, b, 1.0 - tail)
    return np.clip(low, lo, hi), np.clip(high, lo, hi)


def _as_counts(counts: ArrayLike, size: int) -> NDArray[np.float64]:
    matrix = np.atleast_2d(np.asarray(counts, dtype=float))
    if matrix.shape[1] != size:
        raise ValueError(f"expected {size} counts per row, got {matrix.shape[1]}")
    if (matrix < 0).any():
        raise ValueError("negative count in histogram")
    return matrix


def mean_intervals(counts: ArrayLike, points: Sequence[float], confidence: float = 0.95) -> Bounded:
    """Observed mean and its 95% interval per row of ``counts`` (answers per point).

    ``points`` are the scale's values in order (``1..7`` for CES, ``-100, 0, 100``
    for NPS's detractor/passive/promoter). A row without answers gets NaN.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    pts = np.asarray(points, dtype=float)
    matrix = _as_counts(counts, len(pts))
    n = matrix.sum(axis=1)
    lo, hi = float(pts.min()), float(pts.max())
    alpha = matrix + PRIOR_ANSWERS / len(pts)
    post_mean, post_var = _posterior_moments(alpha, pts)
    low, high = _beta_quantiles(post_mean, post_var, lo, hi, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (matrix @ pts) / n
    # The end correction: the interval always reaches the observed mean.
    low = np.minimum(low, observed)
    high = np.maximum(high, observed)
    empty = n == 0
    observed[empty] = low[empty] = high[empty] = np.nan
    return Bounded(observed, low, high)


@functools.lru_cache(maxsize=65_536)
def mean_interval_one(
    counts: tuple[int, ...], points: tuple[float, ...], confidence: float = 0.95
) -> tuple[float, float] | None:
    """:func:`mean_intervals` for one histogram, in plain Python floats.

    The same arithmetic (a test checks they agree) without numpy's per-call
    overhead: a scorecard scores hundreds of agents one at a time, and weekly
    trends repeat the same small histograms, hence the cache.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if len(counts) != len(points):
        raise ValueError(f"expected {len(points)} counts, got {len(counts)}")
    if any(c < 0 for c in counts):
        raise ValueError("negative count in histogram")
    n = sum(counts)
    if n == 0:
        return None
    prior = PRIOR_ANSWERS / len(points)
    total = n + PRIOR_ANSWERS
    mean = sum((c + prior) * v for c, v in zip(counts, points, strict=True)) / total
    second = sum((c + prior) * v * v for c, v in zip(counts, points, strict=True)) / total
    variance = max(second - mean * mean, 0.0) / (total + 1.0)
    lo, hi = min(points), max(points)
    width = hi - lo
    u = min(max((mean - lo) / width, 1e-12), 1.0 - 1e-12)
    s2 = max(variance / (width * width), 1e-300)
    strength = max(u * (1.0 - u) / s2 - 1.0, 1e-9)
    a, b = u * strength, (1.0 - u) * strength
    tail = (1.0 - confidence) / 2.0
    low = min(max(lo + width * float(betaincinv(a, b, tail)), lo), hi)
    high = min(max(lo + width * float(betaincinv(a, b, 1.0 - tail)), lo), hi)
    observed = sum(c * v for c, v in zip(counts, points, strict=True)) / n
    return min(low, observed), max(high, observed)


def shrunk_mean_intervals(
    counts: ArrayLike, points: Sequence[float], confidence: float = 0.95
) -> Bounded:
    """Empirical-Bayes means for a group of peers (rows: agents, columns: points).

    The prior is a Dirichlet centred on the peers' pooled answer shares (plus the
    weak even prior, so it is never certain of one point) with a strength in
    answers fitted by the method of moments: the spread of the agents' means
    beyond what their sample sizes explain. Each agent's posterior is that prior
    plus their own counts, so an agent with one answer sits near the team with a
    wide interval, and an agent with 200 answers near their own mean. Estimate and
    interval are on the scale whatever the counts (no zero-width interval either:
    the prior always keeps mass on more than one point).
    """
    pts = np.asarray(points, dtype=float)
    matrix = _as_counts(counts, len(pts))
    n = matrix.sum(axis=1)
    total = matrix.sum(axis=0)
    team_share = (total + PRIOR_ANSWERS / len(pts)) / (total.sum() + PRIOR_ANSWERS)
    team_mean = float(team_share @ pts)
    team_var = float(team_share @ (pts * pts)) - team_mean * team_mean
    strength = FALLBACK_PRIOR_STRENGTH
    answered = n > 0
    if answered.sum() >= MIN_GROUPS_FOR_FIT and team_var > 0:
        means = (matrix[answered] @ pts) / n[answered]
        noise = team_var * float(np.mean(1.0 / n[answered]))
        tau2 = float(np.var(means, ddof=1)) - noise
        # A Dirichlet prior of strength M puts var(agent mean) at team_var / (M + 1).
        if tau2 > 0 and team_var / tau2 - 1.0 > 0:
            # Capped at the median agent's answers: a between-agent variance fitted
            # from a dozen agents is noisy, and a prior fitted too strong would
            # make every agent's interval too narrow (measured: 89-95% coverage
            # uncapped, 92-97% capped; test_intervals.py).
            strength = min(team_var / tau2 - 1.0, max(float(np.median(n[answered])), 1.0))
    alpha = matrix + strength * team_share
    estimate, variance = _posterior_moments(alpha, pts)
    low, high = _beta_quantiles(estimate, variance, float(pts.min()), float(pts.max()), confidence)
    return Bounded(estimate, np.minimum(low, estimate), np.maximum(high, estimate))
