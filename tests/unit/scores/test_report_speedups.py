"""The report speed-ups compute exactly what the plain definitions compute.

Ranking by binary search, one vectorised beta quantile call per team, memoised
normal/t quantiles and the hand-written ``Score.to_dict`` must give the same
numbers as the brute-force versions they replaced.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta as beta_dist
from scipy.stats import norm

from feedback_service.scores.scoring import (
    Interval,
    normal_quantile,
    score,
)
from feedback_service.scores.stats import (
    ShrunkEstimate,
    _beta_prior,
    rank_with_evidence,
    shrink_proportions,
)


def _brute_ranks(
    estimates: list[ShrunkEstimate], min_n: int, higher_is_better: bool
) -> list[int | None]:
    eligible = [e.estimate for e in estimates if e.n >= min_n]
    out: list[int | None] = []
    for e in estimates:
        if e.n < min_n:
            out.append(None)
        elif higher_is_better:
            out.append(1 + sum(1 for o in eligible if o > e.estimate))
        else:
            out.append(1 + sum(1 for o in eligible if o < e.estimate))
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.1, 0.5, 0.5, 0.75, 0.9, 1.0]), st.integers(0, 60)),
        max_size=40,
    ),
    st.integers(0, 40),
    st.booleans(),
)
def test_rank_by_binary_search_equals_pairwise_count(
    pairs: list[tuple[float, int]], min_n: int, higher: bool
) -> None:
    estimates = [ShrunkEstimate(None, n, est, Interval(0.0, 1.0)) for est, n in pairs]
    assert rank_with_evidence(estimates, min_n, higher) == _brute_ranks(estimates, min_n, higher)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=12))
def test_vectorised_beta_intervals_equal_one_call_per_agent(raw: list[tuple[int, int]]) -> None:
    groups = [(min(x, n), n) for x, n in raw]
    if sum(n for _, n in groups) == 0:
        return
    a0, b0 = _beta_prior(groups)
    tail = (1.0 - 0.95) / 2.0  # what shrink_proportions computes (not exactly 0.025)
    for (x, n), e in zip(groups, shrink_proportions(groups), strict=True):
        a, b = a0 + x, b0 + (n - x)
        assert e.estimate == a / (a + b)
        assert e.interval.low == min(float(beta_dist.ppf(tail, a, b)), e.estimate)
        assert e.interval.high == max(float(beta_dist.ppf(1.0 - tail, a, b)), e.estimate)


def test_memoised_quantiles_equal_scipy() -> None:
    for p in (0.8, 0.9, 0.95, 0.975, 0.995):
        assert normal_quantile(p) == float(norm.ppf(p))


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["csat", "nps", "ces", "fcr"]),
    st.dictionaries(st.integers(0, 10), st.integers(0, 40), max_size=11),
)
def test_score_to_dict_equals_dataclasses_asdict(metric: str, raw: dict[int, int]) -> None:
    allowed = {"csat": range(1, 6), "nps": range(0, 11), "ces": range(1, 8), "fcr": range(0, 2)}
    hist = {v: c for v, c in raw.items() if v in allowed[metric]}
    s = score(metric, hist, 30)
    assert s.to_dict() == dataclasses.asdict(s)
