"""What the dashboard pages read: the viewer's scope turned into report filters,
metric tiles against their targets, and trend points, all from the feature
services (scores, its comments, the dashboard's own notes). No SQL here.

Every service takes the viewer's ``Scope`` (or filters derived from it) and
filters with it in SQL, so a page cannot show more than its viewer may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from feedback_service.auth.models import User
from feedback_service.auth.users import Scope
from feedback_service.dashboard.charts import TrendPoint
from feedback_service.dashboard.notes import NOTE_MAX as NOTE_MAX
from feedback_service.dashboard.notes import add_note as add_note
from feedback_service.dashboard.notes import explore_comments as explore_comments
from feedback_service.scores import service as reports
from feedback_service.scores.models import NO_ID
from feedback_service.scores.scoring import wilson_interval
from feedback_service.scores.service import COMPLAINT_ONLY as COMPLAINT_ONLY
from feedback_service.scores.service import PER_PAGE as PER_PAGE
from feedback_service.scores.service import RATING_CHOICES as RATING_CHOICES
from feedback_service.scores.service import SENTIMENT_CHOICES as SENTIMENT_CHOICES
from feedback_service.scores.service import CategoryCount as CategoryCount
from feedback_service.scores.service import CommentQuery as CommentQuery
from feedback_service.scores.service import agent_row as agent_row
from feedback_service.scores.service import analysed_comments as analysed_comments
from feedback_service.scores.service import finding_counts as finding_counts
from feedback_service.scores.service import product_themes as product_themes
from feedback_service.scores.service import recent_comments as recent_comments
from feedback_service.scores.service import team_choices
from feedback_service.scores.service import team_id as team_id_of
from feedback_service.scores.service import visible_response as visible_response

# --- the period, the viewer's filters ---------------------------------------------

PERIODS = (30, 90, 180, 365)
DEFAULT_PERIOD = 90


@dataclass(frozen=True)
class View:
    """What a page shows: the period, and the report filters the viewer's scope
    allows (a team lead picks one of their teams; an agent is pinned to self)."""

    days: int
    start: dt.date
    end: dt.date
    filters: reports.Filters
    teams: list[tuple[str, str]]  # (external id, name) the viewer may pick
    team: str | None  # the picked team's external id
    empty: bool  # the viewer may see nothing (an agent account with no agent)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def resolve_view(
    session: Session, user: User, scope: Scope, days: int | None, team: str | None
) -> View:
    days = days if days in PERIODS else DEFAULT_PERIOD
    end = today()
    start = end - dt.timedelta(days=days - 1)
    teams = team_choices(session, None if scope.everything else scope.team_ids)
    picked: int | None = None
    agent_id: int | None = None
    empty = False
    if user.role == "agent":
        teams, team = [], None
        agent_id = next(iter(scope.agent_ids), None)
        empty = agent_id is None
    else:
        if team not in {t for t, _ in teams}:
            # A lead always looks at one of their teams; a manager at everyone.
            team = None if scope.everything else (teams[0][0] if teams else None)
        if team is not None:
            picked = team_id_of(session, team)
        empty = not scope.everything and picked is None
    return View(
        days=days,
        start=start,
        end=end,
        filters=reports.Filters(start=start, end=end, team_id=picked, agent_id=agent_id),
        teams=teams,
        team=team,
        empty=empty,
    )


# --- metrics with their targets -----------------------------------------------------

METRIC_LABELS = {"csat": "CSAT", "nps": "NPS", "ces": "CES", "fcr": "FCR"}
METRIC_HELP = {
    "csat": "% satisfied (4-5 of 5)",
    "nps": "promoters minus detractors",
    "ces": "mean effort score (1-7, higher is easier)",
    "fcr": "% resolved first time (customer says)",
}


@dataclass(frozen=True)
class MetricTile:
    metric: str
    label: str
    help: str
    value: float | None
    n: int
    low: float | None
    high: float | None
    low_sample: bool
    target: float | None
    gap: float | None
    status: str  # "on-target", "below", "unclear", "none"

    def fmt(self, value: float | None) -> str:
        return format_metric(self.metric, value)


def format_metric(metric: str, value: float | None) -> str:
    if value is None:
        return "\u2013"
    if metric == "ces":
        return f"{value:.2f}"
    if metric == "nps":
        return f"{value:+.0f}"
    return f"{value:.1f}%"


def format_gap(metric: str, gap: float | None) -> str:
    if gap is None:
        return "\u2013"
    if metric == "ces":
        return f"{gap:+.2f}"
    return f"{gap:+.1f}" + ("" if metric == "nps" else " pts")


def gap_status(
    value: float | None, target: float | None, low: float | None, high: float | None
) -> str:
    """On target; below it with the whole interval under it; or not clear yet."""
    if value is None or target is None:
        return "none"
    if value >= target:
        return "on-target"
    if high is not None and high < target:
        return "below"
    return "unclear"


def target_for(goals: reports.TargetSet, metric: str, f: reports.Filters) -> float | None:
    if f.agent_id is not None:
        team_id = f.team_id
        return goals.for_agent(metric, f.agent_id, team_id)
    if f.team_id is not None and (metric, f.team_id, NO_ID) in goals.by_key:
        return goals.by_key[(metric, f.team_id, NO_ID)]
    return goals.by_key.get((metric, NO_ID, NO_ID))


def metric_tiles(
    metrics: dict[str, dict[str, Any]], goals: reports.TargetSet, f: reports.Filters
) -> list[MetricTile]:
    tiles = []
    for metric in reports.METRICS:
        m = metrics[metric]
        interval = m.get("interval") or {}
        target = target_for(goals, metric, f)
        value = m.get("value")
        low, high = interval.get("low"), interval.get("high")
        tiles.append(
            MetricTile(
                metric=metric,
                label=METRIC_LABELS[metric],
                help=METRIC_HELP[metric],
                value=value,
                n=m.get("n") or 0,
                low=low,
                high=high,
                low_sample=bool(m.get("low_sample")),
                target=target,
                gap=None if value is None or target is None else value - target,
                status=gap_status(value, target, low, high),
            )
        )
    return tiles


# --- trends -----------------------------------------------------------------------

TREND_WEEKS = 13
# A view over a longer period draws all its weeks, up to two years of them.
MAX_TREND_WEEKS = 104


def trend_window(
    end: dt.date, weeks: int = TREND_WEEKS, start: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The weeks a trend chart draws: at least ``weeks`` ISO weeks up to and
    including ``end``'s own (partial) week, reaching back to ``start``'s week
    when the view begins earlier. The current week is drawn, not dropped: answers
    a card counts never vanish from its chart (the chart marks it "so far")."""
    this_monday = end - dt.timedelta(days=end.weekday())
    first_monday = this_monday - dt.timedelta(days=7 * (weeks - 1))
    if start is not None and start < first_monday:
        earliest = this_monday - dt.timedelta(days=7 * (MAX_TREND_WEEKS - 1))
        first_monday = max(start - dt.timedelta(days=start.weekday()), earliest)
    return first_monday, end


def weekly_points(items: Sequence[Mapping[str, Any]], metric: str) -> list[TrendPoint]:
    """The metric's "good" share per week (what the p-chart watches) with its
    Wilson interval, control limits and low-sample flag, as chart points. Every
    week with answers is a point, however few; a week that ends before its
    Sunday is marked "week so far"."""
    points = []
    for item in items:
        entry = item.get(metric, item)
        n = int(entry.get("n") or 0)
        good = entry.get("good_pct")
        low = high = None
        if good is not None and n:
            interval = wilson_interval(round(good * n / 100), n)
            low, high = 100 * interval.low, 100 * interval.high
        start = dt.date.fromisoformat(item["period"])
        partial = dt.date.fromisoformat(item["end"]) < start + dt.timedelta(days=6)
        points.append(
            TrendPoint(
                label=start.strftime("%d %b"),
                value=good,
                low=low,
                high=high,
                limit_low=entry.get("lower_pct"),
                limit_high=entry.get("upper_pct"),
                out_of_control=bool(entry.get("out_of_control")),
                n=n,
                low_sample=bool(n and entry.get("low_sample")),
                note="week so far" if partial else None,
            )
        )
    return points


TREND_TITLES = {
    "csat": "CSAT: % satisfied (4-5) by week",
    "nps": "NPS survey: % promoters (9-10) by week",
    "ces": "CES: % agreeing it was easy (5-7) by week",
    "fcr": "FCR: % saying resolved first time, by week",
}


def trend_series(
    session: Session, f: reports.Filters, min_n: int, weeks: int = TREND_WEEKS
) -> list[reports.TrendItem]:
    first, last = trend_window(f.end or today(), weeks, f.start)
    window = reports.Filters(first, last, f.team_id, f.agent_id, f.channel, f.survey_id)
    return reports.trend_series(session, window, "week", min_n)
