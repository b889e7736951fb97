"""The scanner rule on its own: several different ratings within the window and no
page of them seen."""

from __future__ import annotations

import datetime as dt

from feedback_service.surveys.clicks import _looks_like_a_scanner
from feedback_service.surveys.models import RatingClick

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


def click(csat: int, seen: bool = False) -> RatingClick:
    return RatingClick(
        answers={"csat": csat}, method="get", clicked_at=NOW, seen_at=NOW if seen else None
    )


def test_one_rating_or_a_double_click_is_not_a_scanner() -> None:
    assert not _looks_like_a_scanner([click(4)])
    assert not _looks_like_a_scanner([click(4), click(4)])


def test_different_ratings_unseen_are_a_scanner() -> None:
    assert _looks_like_a_scanner([click(1), click(2)])
    assert _looks_like_a_scanner([click(v) for v in range(1, 6)])


def test_a_page_seen_among_them_is_a_person() -> None:
    assert not _looks_like_a_scanner([click(2, seen=True), click(4)])
