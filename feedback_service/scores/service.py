"""The scores service: what other features and the HTTP layer call.

The reports a CX manager opens first, computed from rollups and ticket data,
each in the module of its concern (``filters``, ``kpis``, ``scorecards``,
``trends``, ``drivers``, ``csv_rows``, the floor's ``complaints``,
``operations`` and ``response_rates``, and ``comments`` for the comments behind
them); functions take a session and plain
filters and return typed results, so the routes only parse and serialise.
Callers outside ``scores/`` (alerts, patterns, the dashboard, workers) import
from here, never from those modules; the pure ``scoring`` and ``stats`` modules
are the exception, as plain arithmetic.
"""

from __future__ import annotations

from feedback_service.scores.comments import (
    COMPLAINT_ONLY,
    PER_PAGE,
    RATING_CHOICES,
    SENTIMENT_CHOICES,
    CategoryCount,
    CommentCoverage,
    CommentQuery,
    ExplorerRow,
    GapTheme,
    analysed_comments,
    explore_comments,
    finding_counts,
    product_themes,
    recent_comments,
    visible_response,
)
from feedback_service.scores.complaints import (
    AgentComplaints,
    Pareto,
    Per100,
    complaint_pareto,
)
from feedback_service.scores.csv_rows import (
    driver_rows,
    operations_rows,
    pareto_rows,
    response_rate_rows,
    scorecard_rows,
    summary_rows,
    trend_rows,
)
from feedback_service.scores.drivers import (
    DRIVER_RUN_MAX_AGE,
    Drivers,
    FcrGap,
    compute_drivers,
    drivers,
    fcr_gaps,
    latest_driver_run,
    store_driver_run,
)
from feedback_service.scores.filters import (
    METRICS,
    Filters,
    filter_conditions,
    resolve_filters,
    response_conditions,
    team_choices,
    team_id,
)
from feedback_service.scores.histograms import Rate
from feedback_service.scores.kpis import Kpis, Summary, invitations_sent, operational_kpis, summary
from feedback_service.scores.operations import OPERATIONS, OperationsTrend, operations_trend
from feedback_service.scores.response_rates import ResponseRates, response_rates
from feedback_service.scores.scorecards import (
    AgentReport,
    AgentRow,
    Scorecard,
    agent_report,
    agent_row,
    agent_rows,
    get_agent,
    scorecards,
)
from feedback_service.scores.targets import (
    TARGET_RANGES,
    TargetSet,
    list_targets,
    replace_targets,
)
from feedback_service.scores.targets import load as load_targets
from feedback_service.scores.trends import (
    INTERVALS,
    MetricTrendItem,
    Trend,
    TrendItem,
    metric_series,
    trend_series,
    trends,
)

__all__ = [
    "COMPLAINT_ONLY",
    "DRIVER_RUN_MAX_AGE",
    "INTERVALS",
    "METRICS",
    "OPERATIONS",
    "PER_PAGE",
    "RATING_CHOICES",
    "SENTIMENT_CHOICES",
    "TARGET_RANGES",
    "AgentComplaints",
    "AgentReport",
    "AgentRow",
    "CategoryCount",
    "CommentCoverage",
    "CommentQuery",
    "Drivers",
    "ExplorerRow",
    "FcrGap",
    "Filters",
    "GapTheme",
    "Kpis",
    "MetricTrendItem",
    "OperationsTrend",
    "Pareto",
    "Per100",
    "Rate",
    "ResponseRates",
    "Scorecard",
    "Summary",
    "TargetSet",
    "Trend",
    "TrendItem",
    "agent_report",
    "agent_row",
    "agent_rows",
    "analysed_comments",
    "complaint_pareto",
    "compute_drivers",
    "driver_rows",
    "drivers",
    "explore_comments",
    "fcr_gaps",
    "filter_conditions",
    "finding_counts",
    "get_agent",
    "invitations_sent",
    "latest_driver_run",
    "list_targets",
    "load_targets",
    "metric_series",
    "operational_kpis",
    "operations_rows",
    "operations_trend",
    "pareto_rows",
    "product_themes",
    "recent_comments",
    "replace_targets",
    "resolve_filters",
    "response_conditions",
    "response_rate_rows",
    "response_rates",
    "scorecard_rows",
    "scorecards",
    "store_driver_run",
    "summary",
    "summary_rows",
    "team_choices",
    "team_id",
    "trend_rows",
    "trend_series",
    "trends",
    "visible_response",
]
