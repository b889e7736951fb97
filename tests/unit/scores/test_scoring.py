"""Scores against hand-checked numbers and against a brute-force recomputation
from the expanded list of answers."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from feedback_service.scores.scoring import (
    Interval,
    mean_interval,
    merge_histograms,
    score,
    wilson_interval,
)
from feedback_service.surveys.metrics import METRICS

Z95 = float(norm.ppf(0.975))
FAST = settings(max_examples=60, deadline=None)


def expand(hist: dict[int, int]) -> list[int]:
    return [value for value, count in sorted(hist.items()) for _ in range(count)]


def histograms(metric: str, min_size: int = 0) -> st.SearchStrategy[dict[int, int]]:
    spec = METRICS[metric]
    return st.dictionaries(
        st.integers(spec.low, spec.high), st.integers(0, 60), max_size=spec.high - spec.low + 1
    ).filter(lambda h: sum(h.values()) >= min_size)


def assert_wilson_bound_property(successes: int, n: int, interval: Interval) -> None:
    """Wilson bounds are the p where |p_hat - p| = z * sqrt(p(1-p)/n) (unless clipped)."""
    p_hat = successes / n
    for bound in (interval.low, interval.high):
        if 0.0 < bound < 1.0:
            lhs = (p_hat - bound) ** 2
            rhs = Z95**2 * bound * (1 - bound) / n
            assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-12)
    assert interval.low <= p_hat <= interval.high


# ------------------------------------------------------------ hand-checked


def test_wilson_8_of_10_matches_published_value() -> None:
    interval = wilson_interval(8, 10)
    assert interval.low == pytest.approx(0.4902, abs=1e-4)
    assert interval.high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_at_zero_and_all_keeps_width() -> None:
    zero = wilson_interval(0, 10)
    assert zero.low == 0.0
    assert zero.high == pytest.approx(0.2775, abs=1e-4)
    full = wilson_interval(10, 10)
    assert full.high == 1.0
    assert full.low == pytest.approx(0.7225, abs=1e-4)


def test_wilson_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(0, 0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_csat_top_two_box_with_mean() -> None:
    # 10 answers: three 5s, five 4s, one 3, one 2 -> 80% satisfied, mean 4.0
    result = score("csat", {5: 3, 4: 5, 3: 1, 2: 1})
    assert result.n == 10
    assert result.value == pytest.approx(80.0)
    assert result.interval is not None
    assert result.interval.low == pytest.approx(49.02, abs=0.01)
    assert result.interval.high == pytest.approx(94.33, abs=0.01)
    assert result.mean == pytest.approx(4.0)
    assert result.low_sample is True
    # The bounded interval is close to the textbook t interval where that one is
    # sane (t(0.975, 9) = 2.262157, sd = sqrt(8/9): 3.33 to 4.67), and on the scale.
    assert result.mean_interval is not None
    half = 2.262157 * math.sqrt(8 / 9) / math.sqrt(10)
    # Near the top of the scale it is asymmetric (3.30 to 4.42): there is less room above.
    assert result.mean_interval.low == pytest.approx(4.0 - half, abs=0.1)
    assert 4.0 + half - 0.3 < result.mean_interval.high < 4.0 + half


def test_nps_worked_example() -> None:
    # 70 promoters, 10 passives, 20 detractors out of 100 -> NPS 50
    # var = 0.7 + 0.2 - 0.5^2 = 0.65; SE = sqrt(0.0065) = 0.080623; half = 15.80 points
    result = score("nps", {10: 50, 9: 20, 8: 10, 5: 15, 0: 5})
    assert result.value == pytest.approx(50.0)
    assert (result.promoters, result.passives, result.detractors) == pytest.approx(
        (70.0, 10.0, 20.0)
    )
    # With 100 answers the Dirichlet interval is within two points of the normal
    # one (33.1 to 64.3: a little room is kept for the scale's other end).
    assert result.interval is not None
    assert result.interval.low == pytest.approx(34.198, abs=2.0)
    assert result.interval.high == pytest.approx(65.802, abs=2.0)
    assert result.low_sample is False


def test_nps_all_promoters_is_100_with_an_interval_below_it() -> None:
    result = score("nps", {10: 40})
    assert result.value == 100.0
    assert result.interval is not None
    assert 80.0 < result.interval.low < 100.0 == result.interval.high
    near_top = score("nps", {10: 39, 0: 1})
    assert near_top.interval is not None
    assert near_top.interval.high <= 100.0


def test_ces_mean_headline_and_agree_share() -> None:
    result = score("ces", {7: 4, 6: 2, 5: 1, 4: 2, 1: 1})
    assert result.value == pytest.approx((28 + 12 + 5 + 8 + 1) / 10)
    assert result.mean == result.value
    assert result.pct_agree == pytest.approx(70.0)
    assert result.pct_agree_interval is not None
    assert result.pct_agree_interval.low == pytest.approx(39.68, abs=0.01)


def test_fcr_percent_yes() -> None:
    result = score("fcr", {1: 8, 0: 2})
    assert result.value == pytest.approx(80.0)
    assert result.interval is not None
    assert result.interval.low == pytest.approx(49.02, abs=0.01)
    assert result.mean is None and result.promoters is None


@pytest.mark.parametrize("metric", ["csat", "nps", "ces", "fcr"])
def test_no_answers_gives_no_score(metric: str) -> None:
    result = score(metric, {})
    assert result.value is None
    assert result.interval is None
    assert result.n == 0
    assert result.low_sample is True
    zero_counts = score(metric, {METRICS[metric].low: 0})
    assert zero_counts.value is None


def test_one_answer_has_a_wide_interval_on_the_scale() -> None:
    assert mean_interval({3: 1}, range(1, 6)) is not None
    result = score("ces", {6: 1})
    assert result.value == 6.0
    assert result.interval is not None
    assert 1.0 <= result.interval.low < 4.0 and 6.0 < result.interval.high <= 7.0
    assert result.pct_agree_interval is not None


def test_two_ces_answers_far_apart_stay_on_the_scale() -> None:
    # Issue 19: a t interval gave "-6.71 to 18.71" for these two answers.
    interval = score("ces", {1: 1, 7: 1}).interval
    assert interval is not None
    assert 1.0 <= interval.low < 4.0 < interval.high <= 7.0


def test_identical_answers_have_a_narrow_but_nonzero_interval() -> None:
    interval = mean_interval({4: 12}, range(1, 6))
    assert interval is not None
    assert 3.3 < interval.low < 4.0 < interval.high < 4.7


@pytest.mark.parametrize(
    ("metric", "hist"),
    [("csat", {0: 1}), ("csat", {6: 1}), ("nps", {11: 2}), ("ces", {8: 1}), ("fcr", {2: 1})],
)
def test_values_outside_the_scale_are_rejected(metric: str, hist: dict[int, int]) -> None:
    with pytest.raises(ValueError, match="outside the scale"):
        score(metric, hist)


def test_negative_count_and_unknown_metric_are_rejected() -> None:
    with pytest.raises(ValueError):
        score("csat", {5: -1})
    with pytest.raises(ValueError):
        score("happiness", {5: 1})


def test_low_sample_threshold() -> None:
    assert score("fcr", {1: 29}).low_sample is True
    assert score("fcr", {1: 30}).low_sample is False
    assert score("fcr", {1: 5}, min_n=5).low_sample is False


def test_to_dict_is_plain_data() -> None:
    data = score("csat", {5: 1, 2: 1}).to_dict()
    assert data["metric"] == "csat"
    assert data["value"] == 50.0
    assert set(data["interval"]) == {"low", "high"}


def test_merge_histograms_adds_counts() -> None:
    assert merge_histograms({5: 2, 4: 1}, {5: 3, 1: 1}, {}) == {1: 1, 4: 1, 5: 5}
    with pytest.raises(ValueError):
        merge_histograms({5: -1})


# ----------------------------------------------------- brute-force properties


@FAST
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_bounds_solve_the_score_equation(pair: tuple[int, int]) -> None:
    successes, n = pair
    assert_wilson_bound_property(successes, n, wilson_interval(successes, n))


@FAST
@given(histograms("csat", min_size=1))
def test_csat_matches_brute_force(hist: dict[int, int]) -> None:
    answers = expand(hist)
    result = score("csat", hist)
    top = sum(1 for a in answers if a >= 4)
    assert result.n == len(answers)
    assert result.value == pytest.approx(100 * top / len(answers))
    assert result.mean == pytest.approx(statistics.fmean(answers))
    assert result.interval is not None
    assert_wilson_bound_property(
        top, len(answers), Interval(result.interval.low / 100, result.interval.high / 100)
    )
    assert result.mean_interval is not None
    assert 1.0 <= result.mean_interval.low <= result.mean <= result.mean_interval.high <= 5.0


@FAST
@given(histograms("nps", min_size=1))
def test_nps_matches_brute_force(hist: dict[int, int]) -> None:
    answers = expand(hist)
    n = len(answers)
    # NPS is the mean of +1 / 0 / -1 per answer; its SE is the population sd over sqrt(n).
    coded = [1 if a >= 9 else (-1 if a <= 6 else 0) for a in answers]
    result = score("nps", hist)
    assert result.value == pytest.approx(100 * statistics.fmean(coded))
    assert result.promoters is not None
    assert result.passives is not None
    assert result.detractors is not None
    assert result.promoters + result.passives + result.detractors == pytest.approx(100.0)
    assert result.interval is not None
    value = 100 * statistics.fmean(coded)
    assert -100.0 <= result.interval.low <= value <= result.interval.high <= 100.0
    assert result.interval.low < result.interval.high
    assert n >= 1


@FAST
@given(histograms("ces", min_size=1))
def test_ces_matches_brute_force(hist: dict[int, int]) -> None:
    answers = expand(hist)
    result = score("ces", hist)
    assert result.value == pytest.approx(statistics.fmean(answers))
    agree = sum(1 for a in answers if a >= 5)
    assert result.pct_agree == pytest.approx(100 * agree / len(answers))
    assert result.interval is not None
    assert 1.0 <= result.interval.low <= statistics.fmean(answers) <= result.interval.high <= 7.0


@FAST
@given(histograms("fcr", min_size=1))
def test_fcr_matches_brute_force(hist: dict[int, int]) -> None:
    answers = expand(hist)
    result = score("fcr", hist)
    assert result.value == pytest.approx(100 * answers.count(1) / len(answers))


@FAST
@given(histograms("csat"), histograms("csat"))
def test_scoring_merged_histograms_equals_scoring_all_answers(
    a: dict[int, int], b: dict[int, int]
) -> None:
    merged = score("csat", merge_histograms(a, b))
    together = expand(a) + expand(b)
    assert merged.n == len(together)
    if together:
        assert merged.value == pytest.approx(
            100 * sum(1 for x in together if x >= 4) / len(together)
        )
