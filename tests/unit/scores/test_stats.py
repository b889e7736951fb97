"""Statistics for reports and patterns, checked against hand-computed numbers,
brute-force recomputations and seeded simulations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_service.scores.scoring import Interval
from feedback_service.scores.stats import (
    ShrunkEstimate,
    benjamini_hochberg,
    burst_pvalue,
    fisher_exact_greater,
    is_burst,
    median_and_p90,
    median_and_p90_from_histogram,
    p_chart,
    percentile,
    percentile_from_histogram,
    rank_with_evidence,
    rate_ratio,
    risk_difference,
    shrink_histograms,
    shrink_proportions,
)

FAST = settings(max_examples=60, deadline=None)

# ---------------------------------------------------------------- percentiles


def test_median_and_p90_by_linear_interpolation() -> None:
    assert median_and_p90(range(1, 11)) == pytest.approx((5.5, 9.1))
    assert median_and_p90([7.0]) == (7.0, 7.0)
    assert median_and_p90([]) is None
    assert median_and_p90_from_histogram({}) is None


def test_percentile_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


@FAST
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50),
    st.floats(0, 100),
)
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    expected = float(np.percentile(values, q))
    assert percentile(sorted(values), q) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@FAST
@given(
    st.dictionaries(st.integers(0, 500), st.integers(0, 20), min_size=1).filter(
        lambda h: sum(h.values()) > 0
    ),
    st.floats(0, 100),
)
def test_percentile_from_histogram_equals_expanded(hist: dict[int, int], q: float) -> None:
    expanded = sorted(v for v, c in hist.items() for _ in range(c))
    assert percentile_from_histogram(hist, q) == pytest.approx(percentile(expanded, q))


# ----------------------------------------------------------------- shrinkage


TEAM = [(3, 3), (184, 200), (170, 200), (160, 190), (150, 180), (120, 150)]


def test_three_of_three_never_outranks_184_of_200() -> None:
    estimates = shrink_proportions(TEAM)
    small, big = estimates[0], estimates[1]
    assert small.observed == 1.0
    assert big.observed == pytest.approx(0.92)
    # Pulled towards the team (~0.84) so far that it lands below the 92% agent...
    assert small.estimate < big.estimate
    assert small.estimate < 0.92
    # ...and with 3 answers it is not ranked at all.
    ranks = rank_with_evidence(estimates, min_n=30)
    assert ranks[0] is None
    assert ranks[1] == 1
    assert sorted(r for r in ranks if r is not None) == [1, 2, 3, 4, 5]


def test_two_agent_fallback_uses_pooled_rate_with_ten_answers_of_prior() -> None:
    estimates = shrink_proportions([(3, 3), (184, 200)])
    pooled = (187 + 0.5) / (203 + 1)
    assert estimates[0].estimate == pytest.approx((10 * pooled + 3) / 13)
    assert estimates[1].estimate == pytest.approx((10 * pooled + 184) / 210)
    # The evidence gate still keeps the 3-answer agent out of the ranking.
    assert rank_with_evidence(estimates, min_n=30) == [None, 1]


def test_zero_between_agent_variance_falls_back_and_shrinks_to_pooled() -> None:
    estimates = shrink_proportions([(90, 100)] * 4 + [(1, 1)])
    assert estimates[-1].estimate < 0.92
    for e in estimates:
        assert e.interval.low < e.estimate < e.interval.high


def test_whole_team_at_100_percent_still_has_proper_intervals() -> None:
    estimates = shrink_proportions([(20, 20), (5, 5), (40, 40)])
    for e in estimates:
        assert 0.9 < e.estimate < 1.0
        assert 0.0 < e.interval.low < e.interval.high <= 1.0


def test_agent_without_answers_gets_the_prior() -> None:
    estimates = shrink_proportions([(0, 0), *TEAM])
    assert estimates[0].observed is None
    assert 0.8 < estimates[0].estimate < 0.9
    assert rank_with_evidence(estimates, min_n=1)[0] is None


def test_shrinkage_beats_raw_rates_on_simulated_teams() -> None:
    """Across seeded teams, shrunk estimates are closer to the agents' true rates."""
    raw_error = shrunk_error = 0.0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        true_rates = rng.beta(40, 8, size=25)
        sizes = rng.integers(3, 150, size=25)
        hits = rng.binomial(sizes, true_rates)
        groups = [(int(x), int(n)) for x, n in zip(hits, sizes, strict=True)]
        for est, truth in zip(shrink_proportions(groups), true_rates, strict=True):
            assert est.observed is not None
            raw_error += (est.observed - truth) ** 2
            shrunk_error += (est.estimate - truth) ** 2
    assert shrunk_error < 0.8 * raw_error


def test_credible_interval_covers_true_rate_about_95_percent() -> None:
    covered = total = 0
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        true_rates = rng.beta(30, 6, size=30)
        sizes = rng.integers(5, 120, size=30)
        hits = rng.binomial(sizes, true_rates)
        groups = [(int(x), int(n)) for x, n in zip(hits, sizes, strict=True)]
        for est, truth in zip(shrink_proportions(groups), true_rates, strict=True):
            covered += est.interval.low <= truth <= est.interval.high
            total += 1
    assert 0.90 <= covered / total <= 0.99


def test_shrink_proportions_rejects_bad_groups() -> None:
    with pytest.raises(ValueError):
        shrink_proportions([(5, 3)])
    assert shrink_proportions([]) == []


CES_POINTS = range(1, 8)


def test_shrink_histograms_small_sample_high_mean_does_not_outrank_solid_agent() -> None:
    # CES team around 5.5; one agent with 2 answers at 7, one with 150 around 6.2.
    groups = [
        [0, 0, 0, 0, 0, 0, 2],
        [0, 0, 3, 6, 21, 45, 75],
        [2, 4, 10, 12, 30, 32, 30],
        [3, 5, 12, 14, 36, 40, 30],
        [3, 3, 8, 10, 22, 24, 20],
    ]
    estimates = shrink_histograms(groups, CES_POINTS)
    assert estimates[0].estimate < estimates[1].estimate
    assert estimates[1].estimate == pytest.approx(estimates[1].observed, abs=0.1)
    assert rank_with_evidence(estimates, min_n=30) == [None, 1, 2, 3, 4]
    for e in estimates:
        assert 1.0 <= e.interval.low < e.estimate < e.interval.high <= 7.0


def test_shrink_histograms_one_answer_each_is_never_certain() -> None:
    # The case of issue 19: every agent of the team has one CES answer, all 2.
    estimates = shrink_histograms([[0, 1, 0, 0, 0, 0, 0]] * 4, CES_POINTS)
    for e in estimates:
        assert e.observed == 2.0
        assert 1.0 <= e.interval.low < e.interval.high <= 7.0
        assert e.interval.high - e.interval.low > 0.5


def test_shrink_histograms_fallback_prior_pulls_a_pair_halfway_by_its_weight() -> None:
    # Two agents (no fit): the prior is worth FALLBACK_PRIOR_STRENGTH answers at the
    # team's shares, so 10 answers each move halfway towards the team mean.
    estimates = shrink_histograms([[0, 0, 0, 0, 0, 10, 0], [0, 0, 0, 10, 0, 0, 0]], CES_POINTS)
    team_mean = (6 * 10 + 4 * 10 + 1.0 * 4) / 21  # shares include the even prior answer
    assert estimates[0].estimate == pytest.approx((60 + 10 * team_mean) / 20)
    assert estimates[1].estimate == pytest.approx((40 + 10 * team_mean) / 20)


def test_rank_with_evidence_ties_and_direction() -> None:
    estimates = [
        ShrunkEstimate(observed=0.5, n=50, estimate=e, interval=Interval(e - 0.1, e + 0.1))
        for e in (0.9, 0.8, 0.9, 0.7)
    ]
    assert rank_with_evidence(estimates, min_n=30) == [1, 3, 1, 4]
    assert rank_with_evidence(estimates, min_n=30, higher_is_better=False) == [3, 2, 3, 1]
    assert rank_with_evidence(estimates, min_n=51) == [None, None, None, None]


# ------------------------------------------------------------------- p-chart


def test_p_chart_limits_from_previous_periods_only() -> None:
    points = p_chart([80, 80, 80, 60, 80], [100, 100, 100, 100, 100])
    assert all(p.centre is None and not p.out_of_control for p in points[:3])
    # Baseline 240/300 = 0.8; sigma = sqrt(0.8 * 0.2 / 100) = 0.04 -> 0.68 .. 0.92.
    fourth = points[3]
    assert fourth.centre == pytest.approx(0.8)
    assert fourth.lower == pytest.approx(0.68)
    assert fourth.upper == pytest.approx(0.92)
    assert fourth.out_of_control is True
    # The shifted period then enters the baseline for the next one: 300/400.
    assert points[4].centre == pytest.approx(0.75)
    assert points[4].out_of_control is False


def test_p_chart_flags_a_planted_shift() -> None:
    rng = np.random.default_rng(42)
    sizes = [int(n) for n in rng.integers(150, 250, size=25)]
    hits = [int(rng.binomial(n, 0.85)) for n in sizes[:20]]
    hits += [int(rng.binomial(n, 0.70)) for n in sizes[20:]]
    points = p_chart(hits, sizes)
    assert not any(p.out_of_control for p in points[:20])
    assert points[20].out_of_control is True
    assert points[20].p is not None and points[20].lower is not None
    assert points[20].p < points[20].lower


def test_p_chart_stays_quiet_on_stable_data() -> None:
    flagged = periods = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        sizes = [int(n) for n in rng.integers(50, 300, size=40)]
        hits = [int(rng.binomial(n, 0.8)) for n in sizes]
        points = p_chart(hits, sizes)
        flagged += sum(p.out_of_control for p in points)
        periods += sum(p.lower is not None for p in points)
    # 3-sigma limits: about 0.3% false alarms per period when stable.
    assert flagged / periods < 0.01


def test_p_chart_skips_empty_periods_and_checks_lengths() -> None:
    points = p_chart([8, 0, 8, 8, 8, 0], [10, 0, 10, 10, 10, 0])
    assert points[1].p is None
    assert points[3].centre is None  # only two periods with answers before it
    assert points[4].centre == pytest.approx(0.8)
    assert points[5].out_of_control is False and points[5].lower is None
    with pytest.raises(ValueError):
        p_chart([1, 2], [10])


# ------------------------------------------------------ comparisons, effects


def test_fisher_exact_greater_matches_hypergeometric_tail() -> None:
    # 8/10 vs 2/10: P(X >= 8), X ~ hypergeometric(N=20, K=10 hits, 10 draws)
    expected = sum(math.comb(10, k) * math.comb(10, 10 - k) for k in range(8, 11)) / math.comb(
        20, 10
    )
    assert expected == pytest.approx(0.011507, abs=1e-6)
    assert fisher_exact_greater(8, 10, 2, 10) == pytest.approx(expected)
    assert fisher_exact_greater(2, 10, 8, 10) > 0.99
    with pytest.raises(ValueError):
        fisher_exact_greater(11, 10, 0, 10)


def test_benjamini_hochberg_hand_computed() -> None:
    pvalues = [0.041, 0.001, 0.205, 0.039, 0.008, 0.06, 0.042, 0.074]
    # sorted p * 8 / rank: .008 .032 .104 .082 .0672 .08 .592/7 .205, then running min from the top
    expected = [0.0672, 0.008, 0.205, 0.0672, 0.032, 0.08, 0.0672, 0.592 / 7]
    assert benjamini_hochberg(pvalues) == pytest.approx(expected)
    assert benjamini_hochberg([]) == []
    assert benjamini_hochberg([0.9, 0.95]) == pytest.approx([0.95, 0.95])


@FAST
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_benjamini_hochberg_properties(pvalues: list[float]) -> None:
    qvalues = benjamini_hochberg(pvalues)
    assert all(p <= q + 1e-12 <= 1.0 + 1e-12 for p, q in zip(pvalues, qvalues, strict=True))
    by_p = [q for _, q in sorted(zip(pvalues, qvalues, strict=True))]
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(by_p))


def test_effect_sizes() -> None:
    assert risk_difference(3, 10, 0, 10) == pytest.approx(0.3)
    assert rate_ratio(3, 10, 0, 10) == pytest.approx(7.0)
    assert rate_ratio(5, 10, 5, 10) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        risk_difference(1, 0, 1, 1)


# --------------------------------------------------------------------- burst


def test_burst_pvalue_hand_computed() -> None:
    def upper_tail(k: int, lam: float) -> float:
        return 1.0 - sum(math.exp(-lam) * lam**i / math.factorial(i) for i in range(k))

    assert burst_pvalue(8, [0, 0, 0]) == pytest.approx(upper_tail(8, 0.5))
    assert burst_pvalue(1, []) == pytest.approx(1 - math.exp(-0.5))
    assert burst_pvalue(12, [4, 6, 5, 5]) == pytest.approx(upper_tail(12, 5.0))
    assert burst_pvalue(0, [3, 3]) == 1.0


def test_first_mention_is_not_a_burst_but_a_jump_is() -> None:
    assert is_burst(1, []) is False
    assert is_burst(1, [0, 0, 0, 0]) is False
    assert is_burst(8, [0, 0, 1, 0, 0]) is True
    assert is_burst(4, [0, 0, 0]) is False  # below min_count, however unusual
    assert is_burst(25, [5, 6, 4, 5, 7, 5]) is True
    assert is_burst(8, [5, 6, 4, 5, 7, 5]) is False


@pytest.mark.parametrize("rate", [1.0, 3.0, 6.0, 15.0])
def test_stable_poisson_noise_rarely_flags(rate: float) -> None:
    rng = np.random.default_rng(int(rate * 10))
    trials = 2000
    flags = sum(
        is_burst(int(rng.poisson(rate)), [int(x) for x in rng.poisson(rate, size=12)])
        for _ in range(trials)
    )
    # alpha = 0.01; lambda is estimated from 12 periods, so allow a little slack.
    assert flags / trials <= 0.02
