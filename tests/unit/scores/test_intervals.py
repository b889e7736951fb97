"""Every interval lies inside its scale, for every sample size from one answer,
and the 95% intervals cover the true value in about 95% of simulated samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_service.scores.intervals import (
    mean_interval_one,
    mean_intervals,
    shrunk_mean_intervals,
)
from feedback_service.scores.scorecards import _shrink
from feedback_service.scores.scoring import NPS_POINTS, score, wilson_interval
from feedback_service.surveys.metrics import METRICS

SCALE = {"csat": (0.0, 100.0), "nps": (-100.0, 100.0), "ces": (1.0, 7.0), "fcr": (0.0, 100.0)}
MEAN_SCALE = {"csat": (1.0, 5.0), "ces": (1.0, 7.0)}


def histograms(metric: str) -> st.SearchStrategy[dict[int, int]]:
    """Random answer histograms with at least one answer (n = 1 comes up often)."""
    spec = METRICS[metric]
    return st.dictionaries(
        st.integers(spec.low, spec.high), st.integers(0, 6) | st.integers(0, 400), max_size=11
    ).filter(lambda h: sum(h.values()) >= 1)


def inside(interval: dict[str, float] | None, lo: float, hi: float, value: float | None) -> None:
    assert interval is not None
    assert lo <= interval["low"] < interval["high"] <= hi, interval
    if value is not None:
        assert interval["low"] <= value <= interval["high"]


@pytest.mark.parametrize("metric", sorted(METRICS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_score_interval_is_inside_its_scale_and_holds_its_value(
    metric: str, data: st.DataObject
) -> None:
    hist = data.draw(histograms(metric))
    s = score(metric, hist).to_dict()
    lo, hi = SCALE[metric]
    assert lo <= s["value"] <= hi
    inside(s["interval"], lo, hi, s["value"])
    if metric in MEAN_SCALE:
        inside(s["mean_interval"], *MEAN_SCALE[metric], s["mean"])
    if metric == "ces":
        inside(s["pct_agree_interval"], 0.0, 100.0, s["pct_agree"])


@pytest.mark.parametrize("metric", sorted(METRICS))
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_every_shrunk_interval_is_inside_its_scale(metric: str, data: st.DataObject) -> None:
    """Scorecard shrinkage over a random team: any sizes, one answer each included."""
    team = data.draw(st.lists(histograms(metric) | st.just({}), min_size=1, max_size=8))
    lo, hi = SCALE[metric]
    for hist, e in zip(team, _shrink(metric, team), strict=True):
        if not any(sum(h.values()) for h in team):
            assert e is None
            continue
        assert e is not None
        assert lo <= e.interval.low <= e.estimate <= e.interval.high <= hi
        assert e.interval.low < e.interval.high
        if sum(hist.values()):
            assert e.observed is not None and lo <= e.observed <= hi


def test_a_team_where_every_agent_has_one_identical_answer_is_not_certain() -> None:
    # Issue 19: shrunk CES "2.0 with a [2.0, 2.0] interval".
    for e in _shrink("ces", [{2: 1}] * 5):
        assert e is not None
        assert e.interval.high - e.interval.low > 1.0


# ------------------------------------------------------------------- coverage

# True answer distributions of the shapes support surveys produce: skewed to the
# top, spread out, bimodal (love it or hate it).
TRUE_SHARES: dict[str, list[tuple[float, ...]]] = {
    "csat": [(0.05, 0.05, 0.1, 0.3, 0.5), (0.15, 0.15, 0.2, 0.25, 0.25), (0.02,) * 3 + (0.14, 0.8)],
    "ces": [(0.05, 0.05, 0.1, 0.1, 0.2, 0.25, 0.25), (0.3, 0.05, 0.05, 0.05, 0.05, 0.1, 0.4)],
    "nps": [(0.25, 0.3, 0.45), (0.1, 0.2, 0.7)],
}
POINTS = {"csat": tuple(range(1, 6)), "ces": tuple(range(1, 8)), "nps": NPS_POINTS}
DRAWS = 4000
# With 4,000 draws the standard error of a coverage near 95% is 0.34 points, so
# 93-97% is six standard errors wide: a real miss fails, noise does not.
TOLERANCE = {30: (0.93, 0.97), 100: (0.93, 0.97), 10: (0.90, 0.98), 5: (0.88, 0.99)}


@pytest.mark.parametrize("n", sorted(TOLERANCE))
@pytest.mark.parametrize("metric", sorted(TRUE_SHARES))
def test_mean_intervals_cover_the_true_value_about_95_percent(metric: str, n: int) -> None:
    rng = np.random.default_rng(19)  # seeded: the test gives the same answer every run
    points = np.asarray(POINTS[metric], dtype=float)
    low_ok, high_ok = TOLERANCE[n]
    for shares in TRUE_SHARES[metric]:
        p = np.asarray(shares) / sum(shares)
        truth = float(p @ points)
        counts = rng.multinomial(n, p, size=DRAWS)
        b = mean_intervals(counts, points)
        coverage = float(np.mean((b.low <= truth) & (truth <= b.high)))
        assert low_ok <= coverage <= high_ok, (metric, shares, n, coverage)


@pytest.mark.parametrize("n", [10, 30, 100])
def test_wilson_covers_the_true_proportion_about_95_percent(n: int) -> None:
    rng = np.random.default_rng(19)
    for truth in (0.5, 0.8, 0.9):
        hits = rng.binomial(n, truth, size=DRAWS)
        covered = 0
        for x in hits:
            interval = wilson_interval(int(x), n)
            covered += interval.low <= truth <= interval.high
        assert 0.92 <= covered / DRAWS <= 0.98, (n, truth, covered / DRAWS)


def test_shrunk_intervals_cover_agents_drawn_from_the_team() -> None:
    """Agents whose true CES shares vary around the team's: the empirical-Bayes
    intervals cover each agent's true mean in about 95% of cases."""
    rng = np.random.default_rng(19)
    points = np.arange(1, 8, dtype=float)
    team = np.array([0.05, 0.05, 0.1, 0.1, 0.2, 0.25, 0.25])
    covered = total = 0
    for _ in range(300):
        shares = rng.dirichlet(team * 40, size=12)
        sizes = rng.integers(3, 60, size=12)
        counts = np.array([rng.multinomial(k, s) for k, s in zip(sizes, shares, strict=True)])
        b = shrunk_mean_intervals(counts, points)
        truth = shares @ points
        covered += int(np.sum((b.low <= truth) & (truth <= b.high)))
        total += len(truth)
    assert 0.92 <= covered / total <= 0.98, covered / total


def test_beta_matching_agrees_with_the_exact_dirichlet_posterior() -> None:
    """The interval reads quantiles of a Beta matched to the posterior's moments;
    against 200,000 draws of the posterior itself they differ by little."""
    rng = np.random.default_rng(19)
    points = np.arange(1, 8, dtype=float)
    for counts in ([0, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1], [2, 1, 0, 3, 5, 9, 12]):
        alpha = np.asarray(counts, dtype=float) + 1.0 / 7
        draws = rng.dirichlet(alpha, size=200_000) @ points
        exact = np.quantile(draws, [0.025, 0.975])
        b = mean_intervals([counts], points)
        observed = float(np.dot(counts, points) / sum(counts))
        # The end correction may only widen the interval towards the observed mean.
        assert b.low[0] == pytest.approx(min(exact[0], observed), abs=0.2)
        assert b.high[0] == pytest.approx(max(exact[1], observed), abs=0.2)


def test_no_answers_give_no_interval() -> None:
    b = mean_intervals([[0, 0, 0]], NPS_POINTS)
    assert np.isnan(b.estimate[0]) and np.isnan(b.low[0]) and np.isnan(b.high[0])
    with pytest.raises(ValueError):
        mean_intervals([[1, -1, 0]], NPS_POINTS)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6) | st.integers(0, 500), min_size=7, max_size=7))
def test_one_histogram_at_a_time_equals_the_vectorised_interval(counts: list[int]) -> None:
    points = tuple(float(v) for v in range(1, 8))
    one = mean_interval_one(tuple(counts), points)
    batch = mean_intervals([counts], points)
    if sum(counts) == 0:
        assert one is None
        return
    assert one is not None
    assert one[0] == pytest.approx(float(batch.low[0]), abs=1e-9)
    assert one[1] == pytest.approx(float(batch.high[0]), abs=1e-9)
