"""The weekly trend of a theme (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from feedback_service.patterns.trend import weekly_trend


def test_directions() -> None:
    assert weekly_trend([10, 11, 9, 10, 10, 9, 11, 10]) == "steady"
    assert weekly_trend([5, 6, 5, 4, 12, 15, 14, 16]) == "rising"
    assert weekly_trend([16, 14, 15, 12, 4, 5, 6, 5]) == "falling"
    assert weekly_trend([0, 0, 0, 0, 0, 3, 8, 12]) == "new"
    assert weekly_trend([0] * 8) == "steady"
    assert weekly_trend([7]) == "steady"  # one week: nothing to compare


def test_short_windows_compare_halves() -> None:
    assert weekly_trend([2, 30]) == "rising"
    assert weekly_trend([30, 2]) == "falling"


def test_rarely_calls_a_trend_in_constant_noise() -> None:
    rng = np.random.default_rng(7)
    calls = [weekly_trend(rng.poisson(20, 12).tolist()) for _ in range(400)]
    # One-sided 5% each way, a discrete test: at most ~10% of steady themes move.
    assert sum(c != "steady" for c in calls) / len(calls) < 0.12


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        weekly_trend([1, -1])
