"""The Pareto arithmetic and the complaint shares per 100, without a database."""

from __future__ import annotations

import pytest
from scipy.stats import beta as beta_dist

from feedback_service.scores.complaints import per_100
from feedback_service.scores.pareto import pareto


def test_the_vital_few_are_the_shortest_head_reaching_80_percent() -> None:
    items = pareto([("c", 10), ("a", 50), ("d", 5), ("b", 30), ("e", 5), ("z", 0)])
    assert [i.key for i in items] == ["a", "b", "c", "d", "e"]  # no count: left out
    assert [i.vital for i in items] == [True, True, False, False, False]  # 50 + 30 = 80%
    assert [i.share for i in items] == pytest.approx([50, 30, 10, 5, 5])
    assert [i.cumulative for i in items] == pytest.approx([50, 80, 90, 95, 100])


def test_one_more_item_is_vital_when_the_head_falls_short_of_the_threshold() -> None:
    items = pareto([("a", 50), ("b", 29), ("c", 21)])
    assert [i.vital for i in items] == [True, True, True]  # 79% before c
    assert [i.vital for i in pareto([("a", 1)])] == [True]
    assert pareto([]) == [] and pareto([("a", 0)]) == []


def test_ties_are_ordered_by_key_so_the_report_is_stable() -> None:
    assert [i.key for i in pareto([("b", 3), ("a", 3), ("c", 3)])] == ["a", "b", "c"]
    with pytest.raises(ValueError):
        pareto([("a", 1)], threshold=0)


def test_per_100_is_the_share_with_a_beta_interval_on_0_to_100() -> None:
    rows = per_100([(3, 40), (0, 12), (0, 0), (5, 5)], min_n=30)
    assert rows[0]["value"] == pytest.approx(7.5) and not rows[0]["low_sample"]
    # Two points: the Dirichlet posterior with half a prior answer on each point is
    # Beta(k + 0.5, n - k + 0.5), read off directly.
    assert rows[0]["interval"] == pytest.approx(
        {
            "low": 100 * beta_dist.ppf(0.025, 3.5, 37.5),
            "high": 100 * beta_dist.ppf(0.975, 3.5, 37.5),
        }
    )
    assert rows[1]["value"] == 0.0 and rows[1]["interval"]["low"] == 0.0  # type: ignore[index]
    assert rows[1]["interval"]["high"] > 5 and rows[1]["low_sample"]  # type: ignore[index]
    assert rows[2] == {"value": None, "count": 0, "n": 0, "interval": None, "low_sample": True}
    assert rows[3]["value"] == 100.0 and rows[3]["interval"]["high"] == 100.0  # type: ignore[index]
