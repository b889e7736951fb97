"""The 80/20 view: which few agents or causes carry most of the complaints.

Pure arithmetic: counts in, shares out. Items are ordered by count, most first
(ties by key, so a report does not reshuffle between two requests); an item is in
the *vital few* when the items before it do not yet reach the threshold, so the
vital few are the shortest head of the list whose cumulative share reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

PARETO_THRESHOLD = 80.0

K = TypeVar("K")


@dataclass(frozen=True)
class ParetoItem(Generic[K]):
    key: K
    count: int
    share: float  # percent of the total
    cumulative: float  # percent of the total, this item and every one before it
    vital: bool


def pareto(
    counts: Iterable[tuple[K, int]], threshold: float = PARETO_THRESHOLD
) -> list[ParetoItem[K]]:
    """``(key, count)`` pairs -> the Pareto list, most first (ties by ``str`` of the
    key); items with no count are left out."""
    if not 0.0 < threshold <= 100.0:
        raise ValueError(f"threshold must be in (0, 100], got {threshold}")
    kept = sorted(((k, c) for k, c in counts if c > 0), key=lambda kc: (-kc[1], str(kc[0])))
    total = sum(c for _, c in kept)
    out: list[ParetoItem[K]] = []
    running = 0
    for key, count in kept:
        before = 100.0 * running / total
        running += count
        out.append(
            ParetoItem(
                key=key,
                count=count,
                share=100.0 * count / total,
                cumulative=100.0 * running / total,
                vital=before < threshold,
            )
        )
    return out
