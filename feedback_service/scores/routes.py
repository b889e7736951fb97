"""HTTP layer of the reports and targets: parse, call the service, serialise.

Every report takes the shared filters and ``?format=csv``; the CSV rows are built
from the same report the JSON is, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

from feedback_service.api import api_blueprint, report_endpoint, requires_scope
from feedback_service.db import get_session
from feedback_service.privacy.spreadsheet import csv_response
from feedback_service.scores import service as scores
from feedback_service.scores.attribution import (
    attribution_json,
    attribution_report,
    attribution_rows,
)
from feedback_service.scores.questions import question_json, question_report, question_rows
from feedback_service.scores.schemas import (
    AgentReportOut,
    AttributionOut,
    DriversOut,
    PagedReportQuery,
    ParetoOut,
    QuestionReportOut,
    ReportQuery,
    ResponseRatesOut,
    ScorecardPageOut,
    SummaryOut,
    TargetsIn,
    TargetsOut,
    TrendOut,
    TrendQuery,
)

R = TypeVar("R")
Row = dict[str, Any]

reports_blp = api_blueprint("reports", __name__, "Scores, scorecards and targets")


def _min_n() -> int:
    return int(current_app.config["MIN_SAMPLE"])


def _filters(args: dict[str, Any]) -> scores.Filters:
    return scores.resolve_filters(get_session(), args)


def _answer(args: dict[str, Any], report: R, rows: Callable[[R], list[Row]], name: str) -> Any:
    """The report as JSON, or with ``?format=csv`` its rows as ``<name>.csv``."""
    return csv_response(rows(report), name) if args["format"] == "csv" else report


@report_endpoint(reports_blp, "/reports/summary", ReportQuery, SummaryOut)
def summary(args: dict[str, Any]) -> Any:
    """Every metric with n and 95% interval, response and comment rates, and the
    operational KPIs of the tickets closed in the range."""
    report = scores.summary(get_session(), _filters(args), _min_n())
    if args["format"] == "csv":
        return csv_response(scores.summary_rows(report), "summary")
    return report


@report_endpoint(reports_blp, "/reports/agents", PagedReportQuery, ScorecardPageOut)
def agents(args: dict[str, Any]) -> Any:
    """One scorecard per agent: scores, targets and gaps, shrunk estimates, a rank
    among peers only for agents with enough answers, and complaints (count, per
    100 answered surveys, per 100 tickets closed, with intervals)."""
    cards = scores.scorecards(get_session(), _filters(args), _min_n())
    page, per_page = args["page"], args["per_page"]
    items = cards[(page - 1) * per_page : page * per_page]
    if args["format"] == "csv":
        return csv_response(scores.scorecard_rows(items), "agents")
    return {"items": items, "page": page, "per_page": per_page, "total": len(cards)}


@report_endpoint(reports_blp, "/reports/agents/<agent_id>", PagedReportQuery, AgentReportOut)
def agent(args: dict[str, Any], agent_id: str) -> Any:
    """One agent: scorecard, weekly trend, and the comments about them (paginated;
    the CSV export is the comments page)."""
    session = get_session()
    found = scores.get_agent(session, agent_id)
    report = scores.agent_report(
        session, found, _filters(args), _min_n(), args["page"], args["per_page"]
    )
    if args["format"] == "csv":
        return csv_response(report["comments"]["items"], f"agent-{found.id}-comments")
    return report


@report_endpoint(reports_blp, "/reports/trends", TrendQuery, TrendOut)
def trends(args: dict[str, Any]) -> Any:
    """A metric per day, week or month with intervals, flagged where a period is
    out of statistical control against the periods before it (p-chart); or, with
    ``metric=operations``, the tickets closed per period with their first-response
    and resolution times (median, p90) and escalation and reopen rates."""
    if args["metric"] == scores.OPERATIONS:
        ops = scores.operations_trend(get_session(), _filters(args), args["interval"])
        return _answer(args, ops, scores.operations_rows, "trend-operations")
    report = scores.trends(
        get_session(), _filters(args), args["metric"], args["interval"], _min_n()
    )
    if args["format"] == "csv":
        return csv_response(scores.trend_rows(report), f"trend-{args['metric']}")
    return report


@report_endpoint(reports_blp, "/reports/pareto", ReportQuery, ParetoOut)
def pareto(args: dict[str, Any]) -> Any:
    """The few agents and complaint causes behind 80% of the complaints: each with
    its complaints, share and cumulative share, ``vital`` for the few."""
    report = scores.complaint_pareto(get_session(), _filters(args))
    return _answer(args, report, scores.pareto_rows, "pareto")


@report_endpoint(reports_blp, "/reports/response-rates", ReportQuery, ResponseRatesOut)
def response_rates(args: dict[str, Any]) -> Any:
    """Response rate of the invitations sent in the range, by delivery (email,
    link), before and after the reminder, and the answers' share by way (email
    button, page, widget)."""
    report = scores.response_rates(get_session(), _filters(args))
    return _answer(args, report, scores.response_rate_rows, "response-rates")


@report_endpoint(reports_blp, "/reports/drivers", ReportQuery, DriversOut)
def drivers(args: dict[str, Any]) -> Any:
    """Which operational factors go with low CSAT (odds ratios and plain
    differences), and per agent the gap between customer and desk FCR."""
    report = scores.drivers(get_session(), _filters(args))
    if args["format"] == "csv":
        return csv_response(scores.driver_rows(report), "drivers")
    return report


@reports_blp.route("/targets", methods=["GET"])
@requires_scope("reports")  # read with the reports; only an admin key changes them
@reports_blp.response(200, TargetsOut)
def list_targets() -> Any:
    """Every target: per metric for everyone, a team or an agent."""
    return {"items": scores.list_targets(get_session())}


@reports_blp.route("/targets", methods=["PUT"])
@requires_scope("admin")
@reports_blp.arguments(TargetsIn)
@reports_blp.response(200, TargetsOut)
def put_targets(data: dict[str, Any]) -> Any:
    """Replace the whole set of targets (the most specific one wins per agent)."""
    session = get_session()
    scores.replace_targets(session, data["items"])
    session.commit()
    return {"items": scores.list_targets(session)}


@report_endpoint(reports_blp, "/reports/questions/<key>", ReportQuery, QuestionReportOut)
def question(args: dict[str, Any], key: str) -> Any:
    """One of a survey's own questions: its answers' distribution (counts, shares
    with 95% intervals), and by agent and team for rating and choice questions.
    ``survey`` is needed only when several surveys ask a question of that key."""
    report = question_report(get_session(), _filters(args), key, _min_n())
    if args["format"] == "csv":
        return csv_response(question_rows(report), f"question-{key}")
    return question_json(report)


@report_endpoint(reports_blp, "/reports/attribution", ReportQuery, AttributionOut)
def attribution(args: dict[str, Any]) -> Any:
    """Who the customer says the problem was (a choice question mapped to the target)
    beside who the comment model says, overall and per agent: the stated x inferred
    table, the agreement rate and the "customer says product, model says agent" rate
    with 95% intervals."""
    report = attribution_report(get_session(), _filters(args), _min_n())
    if args["format"] == "csv":
        return csv_response(attribution_rows(report), "attribution")
    return attribution_json(report)


def init_app(app: Flask) -> None:
    """Register the reports API and the ``flask scores`` commands."""
    from feedback_service.api import api
    from feedback_service.scores.cli import scores_cli

    api.register_blueprint(reports_blp)
    app.cli.add_command(scores_cli)
