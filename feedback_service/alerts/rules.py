"""Which answers raise an alert: pure rules, no Flask, no SQLAlchemy.

The defaults follow DESIGN.md section 2 at the bad end of each scale:

* NPS 0-6: a detractor, exactly as the NPS itself counts one.
* CSAT 1-2: dissatisfied or very dissatisfied (the bottom two boxes, the mirror of
  the top-2-box headline).
* CES 1-2: strongly disagrees or disagrees that the company made it easy.
* FCR: off. A "no" on its own is not a dissatisfied customer; set it to 0 to
  alert on every "not resolved".

A trigger is "an answer at or below this value"; null switches the metric off.
By default only answers that come with a comment alert: a manager can act on
what the customer wrote, and a bare low score reaches them in the reports.

An alert is about a fresh answer: one the customer last submitted (or amended)
longer ago than ``ALERT_MAX_AGE_HOURS`` never alerts when it is processed (a
bulk import, a backfill, a demo seed, a re-processing); it is in the reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from feedback_service import words
from feedback_service.surveys.metrics import METRICS

DEFAULT_TRIGGERS: dict[str, int | None] = {"nps": 6, "csat": 2, "ces": 2, "fcr": None}
# The highest value a trigger may take: below the top of the scale, or every
# answer would alert.
TRIGGER_RANGES: dict[str, tuple[int, int]] = {
    metric: (METRICS[metric].low, METRICS[metric].high - 1) for metric in DEFAULT_TRIGGERS
}


@dataclass(frozen=True)
class Reason:
    metric: str
    value: int
    threshold: int

    @property
    def label(self) -> str:
        """ "CSAT 2 (dissatisfied)": the value named by the one table in ``words``."""
        return words.answer_label(self.metric, self.value)


def has_comment(comment: str | None) -> bool:
    return bool(comment and comment.strip())


def alarming(
    answers: Mapping[str, int | None],
    comment: str | None,
    triggers: Mapping[str, int | None],
    require_comment: bool = True,
) -> list[Reason]:
    """The reasons this response raises an alert; empty when it does not."""
    if require_comment and not has_comment(comment):
        return []
    reasons = []
    for metric in DEFAULT_TRIGGERS:
        threshold = triggers.get(metric)
        value = answers.get(metric)
        if threshold is not None and value is not None and value <= threshold:
            reasons.append(Reason(metric, int(value), int(threshold)))
    return reasons


def fresh_since(now: dt.datetime, max_age_hours: int) -> dt.datetime | None:
    """The oldest last submission that may still alert at ``now``; None when
    ``max_age_hours`` is 0 (or less): no limit."""
    return None if max_age_hours <= 0 else now - dt.timedelta(hours=max_age_hours)


def is_fresh(last_submitted: dt.datetime, now: dt.datetime, max_age_hours: int) -> bool:
    """Whether an answer last submitted at ``last_submitted`` may still alert at ``now``."""
    since = fresh_since(now, max_age_hours)
    return since is None or last_submitted >= since
