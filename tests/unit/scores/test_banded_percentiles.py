"""Exact percentiles from a banded histogram: locate each order statistic's band
and its place in it, read only that band, interpolate. Checked against numpy on
the values themselves, for bands of any width (including empty and negative ones)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_service.scores.stats import interpolate, locate_rank, percentile_positions


def banded_percentile(values: list[float], q: float, width: float) -> float:
    """The report's route: counts per band, then sort only the band that is read."""

    def band(v: float) -> int:
        return math.floor(math.copysign(math.log1p(abs(v)), v) / width)

    counts = Counter(band(v) for v in values)
    lo, hi, frac = percentile_positions(len(values), q)

    def order_statistic(k: int) -> float:
        which, offset = locate_rank(counts, k)
        return sorted(v for v in values if band(v) == which)[offset]

    return interpolate(order_statistic(lo), order_statistic(hi), frac)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e7, allow_nan=False) | st.integers(0, 50).map(float),
        min_size=1,
        max_size=300,
    ),
    q=st.sampled_from([0.0, 10.0, 50.0, 90.0, 99.0, 100.0]),
    width=st.sampled_from([0.01, math.log(1.05), 0.5, 3.0]),
)
def test_banded_percentile_equals_numpy(values: list[float], q: float, width: float) -> None:
    assert banded_percentile(values, q, width) == pytest.approx(
        float(np.percentile(values, q)), rel=1e-12, abs=1e-9
    )


def test_locate_rank_walks_the_bands_in_order() -> None:
    counts = {5: 2, -3: 1, 9: 0, 7: 3}
    assert [locate_rank(counts, k) for k in range(6)] == [
        (-3, 0),
        (5, 0),
        (5, 1),
        (7, 0),
        (7, 1),
        (7, 2),
    ]
    with pytest.raises(ValueError):
        locate_rank(counts, 6)
    with pytest.raises(ValueError):
        locate_rank({1: -1, 2: 3}, 0)


def test_percentile_positions_match_numpys_linear_definition() -> None:
    assert percentile_positions(1, 50.0) == (0, 0, 0.0)
    assert percentile_positions(4, 50.0) == (1, 2, 0.5)
    assert percentile_positions(11, 90.0) == (9, 10, 0.0)
    with pytest.raises(ValueError):
        percentile_positions(0, 50.0)
