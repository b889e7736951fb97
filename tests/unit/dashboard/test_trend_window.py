"""Which weeks a dashboard trend draws, and how its points are marked."""

from __future__ import annotations

import datetime as dt

from feedback_service.dashboard.queries import MAX_TREND_WEEKS, trend_window, weekly_points

WEDNESDAY = dt.date(2026, 12, 2)


def test_the_current_week_is_drawn_not_dropped() -> None:
    first, last = trend_window(WEDNESDAY)
    assert last == WEDNESDAY
    assert first == dt.date(2026, 9, 7)  # the Monday 12 weeks before this week's
    assert first.weekday() == 0


def test_a_longer_view_draws_all_its_weeks_up_to_two_years() -> None:
    first, _ = trend_window(WEDNESDAY, start=dt.date(2026, 3, 4))
    assert first == dt.date(2026, 3, 2)
    earliest, _ = trend_window(WEDNESDAY, start=dt.date(2020, 1, 1))
    assert (WEDNESDAY - earliest).days // 7 == MAX_TREND_WEEKS - 1


def test_weekly_points_mark_few_answers_and_the_week_so_far() -> None:
    items = [
        {
            "period": "2026-11-23",
            "end": "2026-11-29",
            "csat": {"n": 40, "good_pct": 80.0, "low_sample": False},
        },
        {
            "period": "2026-11-30",
            "end": "2026-12-02",
            "csat": {"n": 2, "good_pct": 50.0, "low_sample": True},
        },
    ]
    full, partial = weekly_points(items, "csat")
    assert (full.low_sample, full.note) == (False, None)
    assert (partial.low_sample, partial.note) == (True, "week so far")
    assert partial.low is not None and partial.high is not None
    assert 0.0 <= partial.low < 50.0 < partial.high <= 100.0
