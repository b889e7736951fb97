"""Pure statistics for reports and patterns: percentiles, shrinkage, control
charts, significance tests with multiple-comparison correction, burst detection.

No Flask, no SQLAlchemy: plain values in, plain dataclasses out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# betaincinv is the function scipy.stats.beta.ppf evaluates; scipy.special imports
# in a tenth of scipy.stats' time, which the web process would otherwise pay.
from scipy.special import betaincinv

from feedback_service.scores.intervals import shrunk_mean_intervals
from feedback_service.scores.scoring import Interval

# When the data cannot support a fitted prior (too few agents, or no spread
# between them), the prior counts as this many answers at the pooled rate: an
# agent with 3 answers moves a little, an agent with 200 barely notices it.
FALLBACK_PRIOR_STRENGTH = 10.0
MIN_GROUPS_FOR_FIT = 3
MIN_BASELINE_PERIODS = 3
BURST_LAMBDA_FLOOR = 0.5

# ``{value: count}``; Mapping is invariant in its key type, so spell out both.
CountHistogram = Mapping[int, int] | Mapping[float, int]

# ---------------------------------------------------------------- percentiles


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of already sorted values.

    Definition: linear interpolation between order statistics, numpy's default
    (``method="linear"``): with ``h = (n - 1) * q / 100`` the result is
    ``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``.
    So the median of an even count is the mean of the two middle values and
    ``q=100`` is the maximum.
    """
    lo, hi, frac = _ranks(len(sorted_values), q, "sequence")
    return float(sorted_values[lo] + frac * (sorted_values[hi] - sorted_values[lo]))


def _ranks(n: int, q: float, of: str) -> tuple[int, int, float]:
    """The two order statistics (0-based) the ``q``-th percentile of ``n`` values
    lies between, and how far it lies from the lower one."""
    if n == 0:
        raise ValueError(f"percentile of an empty {of}")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    h = (n - 1) * q / 100.0
    lo = math.floor(h)
    return lo, min(lo + 1, n - 1), h - lo


def percentile_from_histogram(hist: CountHistogram, q: float) -> float:
    """Same definition as :func:`percentile`, on ``{value: count}`` without expanding it."""
    items = sorted((v, c) for v, c in hist.items() if c)
    if any(c < 0 for _, c in items):
        raise ValueError("negative count in histogram")
    lo, hi, frac = _ranks(sum(c for _, c in items), q, "histogram")

    def order_statistic(k: int) -> float:
        seen = 0
        for value, count in items:
            seen += count
            if k < seen:
                return float(value)
        raise AssertionError("unreachable: k < n")

    x_lo = order_statistic(lo)
    x_hi = order_statistic(hi)
    return x_lo + frac * (x_hi - x_lo)


def median_and_p90(values: Iterable[float]) -> tuple[float, float] | None:
    """(median, 90th percentile) of ``values``; ``None`` when there are none.

    Response and resolution times are skewed: a median and a p90 describe them
    where a mean would be dragged by a few tickets left open for weeks.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    return percentile(ordered, 50.0), percentile(ordered, 90.0)


def median_and_p90_from_histogram(hist: CountHistogram) -> tuple[float, float] | None:
    """:func:`median_and_p90` for ``{value: count}``."""
    if sum(hist.values()) == 0:
        return None
    return percentile_from_histogram(hist, 50.0), percentile_from_histogram(hist, 90.0)


def percentile_positions(n: int, q: float) -> tuple[int, int, float]:
    """``(lo, hi, frac)`` of :func:`percentile`'s definition for ``n`` values: the
    result is ``x[lo] + frac * (x[hi] - x[lo])`` over the sorted values."""
    if n <= 0:
        raise ValueError("percentile of an empty sequence")
    h = (n - 1) * q / 100.0
    lo = math.floor(h)
    return lo, min(lo + 1, n - 1), h - lo


def locate_rank(band_counts: Mapping[int, int], k: int) -> tuple[int, int]:
    """``(band, offset)`` of the ``k``-th smallest value (0-based) when the values
    are counted per band and the bands are ordered like the values: the value is
    the ``offset``-th smallest of its band.

    This is how exact percentiles come from a banded histogram: only the band
    that holds an order statistic has to be read and sorted.
    """
    if k < 0:
        raise ValueError(f"rank must be >= 0, got {k}")
    seen = 0
    for band in sorted(band_counts):
        count = band_counts[band]
        if count < 0:
            raise ValueError("negative count in histogram")
        if k < seen + count:
            return band, k - seen
        seen += count
    raise ValueError(f"rank {k} is beyond the {seen} values counted")


def interpolate(x_lo: float, x_hi: float, frac: float) -> float:
    """:func:`percentile`'s interpolation between two order statistics."""
    return float(x_lo + frac * (x_hi - x_lo))


# ----------------------------------------------------------------- shrinkage


@dataclass(frozen=True)
class ShrunkEstimate:
    """An agent's raw figure and its empirical-Bayes estimate.

    ``observed`` is the raw proportion or mean (``None`` with no answers);
    ``estimate`` is the posterior mean, pulled towards the team in proportion
    to how little evidence the agent has; ``interval`` is a 95% credible
    interval on the same scale.
    """

    observed: float | None
    n: int
    estimate: float
    interval: Interval


def _beta_prior(groups: Sequence[tuple[int, int]]) -> tuple[float, float]:
    """Method-of-moments Beta(alpha, beta) prior across the agents of a team.

    The spread of raw agent rates is partly real and partly binomial noise; the
    noise part, ``mu(1 - mu) * mean(1/n_i)``, is subtracted to leave the
    between-agent variance ``tau2``. For a Beta prior ``tau2 = mu(1-mu)/(M+1)``
    with ``M = alpha + beta`` the prior strength in answers.
    """
    observed = [(x, n) for x, n in groups if n > 0]
    total_x = sum(x for x, _ in observed)
    total_n = sum(n for _, n in observed)
    # Half a pseudo-answer each way keeps the prior proper when the whole team
    # is at 0% or 100% (a Beta with a zero parameter has no quantiles).
    mu = (total_x + 0.5) / (total_n + 1.0)
    strength = FALLBACK_PRIOR_STRENGTH
    if len(observed) >= MIN_GROUPS_FOR_FIT:
        rates = [x / n for x, n in observed]
        mean_rate = sum(rates) / len(rates)
        var_rates = sum((r - mean_rate) ** 2 for r in rates) / (len(rates) - 1)
        noise = mu * (1.0 - mu) * sum(1.0 / n for _, n in observed) / len(observed)
        tau2 = var_rates - noise
        if tau2 > 0:
            fitted = mu * (1.0 - mu) / tau2 - 1.0
            if fitted > 0:
                strength = fitted
    return mu * strength, (1.0 - mu) * strength


def shrink_proportions(
    groups: Sequence[tuple[int, int]], confidence: float = 0.95
) -> list[ShrunkEstimate]:
    """Beta-binomial empirical-Bayes estimates for ``(successes, n)`` per agent.

    Why: an agent with 3 answers at 100% is not better than one with 200 at
    92%; the posterior mean ``(alpha + x) / (alpha + beta + n)`` says so by
    pulling small samples towards the team. The prior is fitted across the
    agents given (one team), falling back to the pooled rate with a prior of
    ``FALLBACK_PRIOR_STRENGTH`` answers when there are fewer than three agents
    with answers or no between-agent variance beyond noise.
    """
    for x, n in groups:
        if n < 0 or not 0 <= x <= n:
            raise ValueError(f"invalid group (successes={x}, n={n})")
    if not groups:
        return []
    a0, b0 = _beta_prior(groups)
    tail = (1.0 - confidence) / 2.0
    alphas = [a0 + x for x, _ in groups]
    betas = [b0 + (n - x) for x, n in groups]
    # One vectorised call per bound (the same ufunc, element by element, as a
    # scalar call per agent, at a fraction of the per-call overhead).
    lows = betaincinv(alphas, betas, tail)
    highs = betaincinv(alphas, betas, 1.0 - tail)
    out = []
    for (x, n), a, b, low, high in zip(groups, alphas, betas, lows, highs, strict=True):
        estimate = a / (a + b)
        # A very lopsided Beta (a team at 0% or 100%) can put its mean beyond its
        # own 2.5% or 97.5% quantile; the interval is widened to hold the estimate.
        out.append(
            ShrunkEstimate(
                observed=x / n if n else None,
                n=n,
                estimate=estimate,
                interval=Interval(min(float(low), estimate), max(float(high), estimate)),
            )
        )
    return out


def shrink_histograms(
    groups: Sequence[Sequence[int]], points: Sequence[float], confidence: float = 0.95
) -> list[ShrunkEstimate]:
    """Empirical-Bayes means for answer histograms (one row of counts per agent,
    one column per point of the scale), e.g. CES on 1..7 or NPS on -100/0/+100.

    A Dirichlet prior centred on the team's answers, its strength fitted from the
    spread of the agents' means (``intervals.shrunk_mean_intervals``): estimates
    and intervals stay on the scale, and one answer never gives a zero-width
    interval, even when every agent of the team has just one.
    """
    if not groups:
        return []
    counts = np.asarray(groups, dtype=float)
    n = counts.sum(axis=1)
    if n.sum() == 0:
        raise ValueError("shrink_histograms needs at least one agent with answers")
    pts = np.asarray(points, dtype=float)
    bounded = shrunk_mean_intervals(counts, points, confidence)
    out = []
    for row, total, est, low, high in zip(
        counts, n, bounded.estimate, bounded.low, bounded.high, strict=True
    ):
        out.append(
            ShrunkEstimate(
                observed=float(row @ pts / total) if total else None,
                n=int(total),
                estimate=float(est),
                interval=Interval(float(low), float(high)),
            )
        )
    return out


def rank_with_evidence(
    estimates: Sequence[ShrunkEstimate], min_n: int = 30, higher_is_better: bool = True
) -> list[int | None]:
    """Rank (1 = best) by shrunk estimate, in input order; ``None`` when ``n < min_n``.

    Agents without enough answers are shown but never ranked (DESIGN.md: a
    score on too few answers is never ranked as if it were solid). Ties share
    a rank and the next rank is skipped ("1, 2, 2, 4").
    """
    # Sorted once, then each agent's "how many are strictly better" is a binary
    # search (numpy, vectorised): O(n log n) for the table instead of O(n^2).
    eligible = np.sort(np.array([e.estimate for e in estimates if e.n >= min_n], dtype=float))
    values = np.array([e.estimate for e in estimates], dtype=float)
    if higher_is_better:
        better = len(eligible) - np.searchsorted(eligible, values, side="right")
    else:
        better = np.searchsorted(eligible, values, side="left")
    return [None if e.n < min_n else int(b) + 1 for e, b in zip(estimates, better, strict=True)]


# ------------------------------------------------------------------- p-chart


@dataclass(frozen=True)
class PChartPoint:
    """One period of a p-chart; limits are ``None`` until there is a baseline."""

    successes: int
    n: int
    p: float | None
    centre: float | None
    lower: float | None
    upper: float | None
    out_of_control: bool


def p_chart(successes_by_period: Sequence[int], n_by_period: Sequence[int]) -> list[PChartPoint]:
    """Shewhart p-chart where each period is judged against the periods before it.

    The centre line is the pooled proportion of all previous periods, so a
    shift in the current period cannot hide itself by moving its own baseline.
    Limits are ``centre +- 3 * sqrt(centre(1-centre)/n)`` clipped to [0, 1];
    they need at least ``MIN_BASELINE_PERIODS`` previous periods with answers.
    A period without answers gets no p and is never flagged.
    """
    if len(successes_by_period) != len(n_by_period):
        raise ValueError("successes_by_period and n_by_period differ in length")
    points = []
    base_x = 0
    base_n = 0
    base_periods = 0
    for x, n in zip(successes_by_period, n_by_period, strict=True):
        if n < 0 or not 0 <= x <= n:
            raise ValueError(f"invalid period (successes={x}, n={n})")
        p = x / n if n else None
        centre = lower = upper = None
        flagged = False
        if base_periods >= MIN_BASELINE_PERIODS and base_n > 0:
            centre = base_x / base_n
            if n:
                sigma = math.sqrt(centre * (1.0 - centre) / n)
                lower = max(0.0, centre - 3.0 * sigma)
                upper = min(1.0, centre + 3.0 * sigma)
                flagged = p is not None and (p < lower or p > upper)
        points.append(PChartPoint(x, n, p, centre, lower, upper, flagged))
        if n:
            base_x += x
            base_n += n
            base_periods += 1
    return points


# ------------------------------------------------------ comparisons, effects


def _check_counts(hits: int, n: int) -> None:
    if n < 0 or not 0 <= hits <= n:
        raise ValueError(f"invalid counts (hits={hits}, n={n})")


def fisher_exact_greater(a_hits: int, a_n: int, b_hits: int, b_n: int) -> float:
    """One-sided Fisher exact p-value that group A's rate is greater than B's.

    Exact rather than chi-square because per-agent complaint counts are small.
    """
    _check_counts(a_hits, a_n)
    _check_counts(b_hits, b_n)
    from scipy.stats import fisher_exact  # seconds to import; only pattern runs get here

    table = [[a_hits, a_n - a_hits], [b_hits, b_n - b_hits]]
    result = fisher_exact(table, alternative="greater")
    return float(result[1])


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg q-values, in input order, monotone and capped at 1.

    ``q_(i) = min over j >= i of p_(j) * m / j`` for p-values sorted ascending.
    Report a finding when its q-value is below the false discovery rate.
    """
    m = len(pvalues)
    for p in pvalues:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p-value out of range: {p}")
    order = sorted(range(m), key=lambda i: pvalues[i])
    qvalues = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        qvalues[i] = running
    return qvalues


def risk_difference(a_hits: int, a_n: int, b_hits: int, b_n: int) -> float:
    """A's rate minus B's rate (proportions); both groups need answers."""
    _check_counts(a_hits, a_n)
    _check_counts(b_hits, b_n)
    if a_n == 0 or b_n == 0:
        raise ValueError("risk_difference needs answers in both groups")
    return a_hits / a_n - b_hits / b_n


def rate_ratio(a_hits: int, a_n: int, b_hits: int, b_n: int) -> float:
    """A's rate over B's rate with the Haldane correction (0.5 added to every cell).

    The correction keeps the ratio finite when B has no hits, which is common
    when one agent is compared with a quiet peer group.
    """
    _check_counts(a_hits, a_n)
    _check_counts(b_hits, b_n)
    return ((a_hits + 0.5) / (a_n + 1.0)) / ((b_hits + 0.5) / (b_n + 1.0))


# --------------------------------------------------------------------- burst


def burst_pvalue(
    current_count: int, history_counts: Sequence[int], floor: float = BURST_LAMBDA_FLOOR
) -> float:
    """Poisson upper tail ``P(X >= current_count)`` with ``lambda = mean(history)``.

    The floor on lambda means a theme never seen before is not "infinitely
    surprising": 1 mention from nothing has p ~ 0.39, 8 mentions ~ 1e-6.
    """
    if current_count < 0 or any(c < 0 for c in history_counts):
        raise ValueError("counts must be non-negative")
    mean = sum(history_counts) / len(history_counts) if history_counts else 0.0
    lam = max(mean, floor)
    if current_count == 0:
        return 1.0
    from scipy.stats import poisson

    return float(poisson.sf(current_count - 1, lam))


def is_burst(current: int, history: Sequence[int], alpha: float = 0.01, min_count: int = 5) -> bool:
    """A theme is emerging when it has at least ``min_count`` mentions now and
    that many would be improbable (p < ``alpha``) at its usual rate."""
    return current >= min_count and burst_pvalue(current, history) < alpha
