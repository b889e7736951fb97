"""How a report range is split between monthly and daily rollups: every day of the
range is read exactly once, from the monthly table wherever a whole month fits."""

from __future__ import annotations

import datetime as dt
import random

from feedback_service.scores.filters import rollup_pieces
from feedback_service.scores.models import MonthlyScoreRollup, ScoreRollup

LOW, HIGH = dt.date(2025, 1, 1), dt.date(2027, 12, 31)


def covered_days(start: dt.date | None, end: dt.date | None) -> list[dt.date]:
    days = []
    for table, first, last in rollup_pieces(start, end):
        day, stop = first or LOW, last or HIGH
        if table is MonthlyScoreRollup:
            assert day.day == 1
            # A monthly piece stands for whole months: first day .. end of last month.
            stop = (stop.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            stop -= dt.timedelta(days=1)
        else:
            assert table is ScoreRollup
        while day <= stop:
            days.append(day)
            day += dt.timedelta(days=1)
    return sorted(days)


def test_every_day_of_a_range_is_read_exactly_once() -> None:
    rng = random.Random(3)
    span = (HIGH - LOW).days
    for _ in range(500):
        a = LOW + dt.timedelta(days=rng.randint(0, span))
        b = a + dt.timedelta(days=rng.randint(0, 120))
        start = None if rng.random() < 0.1 else a
        end = None if rng.random() < 0.1 or b > HIGH else b
        expected_first, expected_last = start or LOW, end or HIGH
        days = covered_days(start, end)
        assert len(days) == len(set(days))
        assert days[0] == expected_first and days[-1] == expected_last
        assert len(days) == (expected_last - expected_first).days + 1


def test_whole_months_come_from_the_monthly_table() -> None:
    pieces = rollup_pieces(dt.date(2026, 9, 10), dt.date(2026, 11, 30))
    assert (MonthlyScoreRollup, dt.date(2026, 10, 1), dt.date(2026, 11, 1)) in pieces
    assert (ScoreRollup, dt.date(2026, 9, 10), dt.date(2026, 9, 30)) in pieces
    assert len(pieces) == 2
    assert rollup_pieces(dt.date(2026, 9, 2), dt.date(2026, 9, 29)) == [
        (ScoreRollup, dt.date(2026, 9, 2), dt.date(2026, 9, 29))
    ]
    assert rollup_pieces(None, None) == [(MonthlyScoreRollup, None, None)]
