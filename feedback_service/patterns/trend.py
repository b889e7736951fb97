"""The direction of a theme's weekly counts (pure).

A theme's ``trend`` compares its recent weeks with the weeks before them. If
the weekly rate never changed, the recent weeks' share of the window's total
is binomial with ``p = recent weeks / all weeks`` (the same conditional
argument as the burst test in ``gaps.py``, over several weeks
instead of one); a one-sided tail below ``alpha`` either way is ``rising`` or
``falling``, anything else ``steady``. A theme absent before its recent weeks
is ``new``. Descriptive: not corrected across themes, unlike ``emerging``.
"""

from __future__ import annotations

from collections.abc import Sequence

RECENT_WEEKS = 4


def weekly_trend(
    counts: Sequence[int], recent_weeks: int = RECENT_WEEKS, alpha: float = 0.05
) -> str:
    if any(c < 0 for c in counts):
        raise ValueError("weekly counts must be non-negative")
    weeks = len(counts)
    recent_n = min(recent_weeks, weeks // 2)
    if recent_n < 1:
        return "steady"
    recent = sum(counts[weeks - recent_n :])
    earlier = sum(counts[: weeks - recent_n])
    if recent == 0 and earlier == 0:
        return "steady"
    if earlier == 0:
        return "new"
    from scipy.stats import binom  # imported here: only pattern runs (workers) use it

    total = recent + earlier
    share = recent_n / weeks
    if binom.sf(recent - 1, total, share) < alpha:
        return "rising"
    if binom.cdf(recent, total, share) < alpha:
        return "falling"
    return "steady"
