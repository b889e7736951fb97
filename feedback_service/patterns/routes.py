"""HTTP layer of the pattern reports: parse, find or compute the run, serialise.

A report answers from the latest finished run asked for with the same filters
and range. Without one, a small scope is computed on the spot (the task's body,
run inline) and a large one is queued: ``202`` with the job to poll, so a
request never holds a web worker for minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, url_for
from marshmallow import RAISE, Schema

from feedback_service.api import api_blueprint, report_endpoint, requires_scope
from feedback_service.db import get_session, utcnow
from feedback_service.errors import FeedbackError
from feedback_service.job_lock import lock_scope
from feedback_service.patterns import service, tasks
from feedback_service.patterns.models import PatternRun
from feedback_service.patterns.schemas import (
    ComplaintPatternsOut,
    ComplaintPatternsQuery,
    JobOut,
    ProductGapsOut,
    ProductGapsQuery,
    RefreshIn,
)
from feedback_service.privacy.spreadsheet import csv_response
from feedback_service.tasks import enqueue_after_commit

patterns_blp = api_blueprint(
    "patterns", __name__, "Complaint patterns per representative and recurring product gaps"
)

REPORT_ENDPOINTS = {
    service.COMPLAINT_PATTERNS: "patterns.complaint_patterns",
    service.PRODUCT_GAPS: "patterns.product_gaps",
}


class ReportFailed(FeedbackError):
    status = 500
    code = "report_failed"


class Job(service.RunInfo):
    report_url: str | None


def _job(run: PatternRun, status: int) -> Response:
    body: Job = {
        **service.run_info(run),
        "report_url": (
            url_for(REPORT_ENDPOINTS[run.kind], **_report_query(run))
            if run.status == "done"
            else None
        ),
    }
    answer = jsonify(JobOut().dump(body))
    answer.status_code = status
    answer.headers["Location"] = url_for("patterns.job", run_id=run.id)
    return answer


def _report_query(run: PatternRun) -> dict[str, Any]:
    query: dict[str, Any] = dict(run.filters)
    if run.requested_from is not None:
        query["from"] = run.requested_from.isoformat()
    if run.requested_to is not None:
        query["to"] = run.requested_to.isoformat()
    return query


def _pattern_report(
    path: str, query: type[Schema], out: type[Schema]
) -> Callable[[Callable[..., Any]], Any]:
    """A pattern report (see ``report_endpoint``) that answers 202 with the job to
    poll while the report for these filters is not computed yet."""

    def wrap(fn: Callable[..., Any]) -> Any:
        fn = patterns_blp.alt_response(
            202, schema=JobOut, description="Not computed yet: the job to poll"
        )(fn)
        return report_endpoint(patterns_blp, path, query, out)(fn)

    return wrap


def _refresh_endpoint(path: str) -> Callable[[Callable[..., Any]], Any]:
    """``POST path`` (scope ``reports``), optional filters in the body: 202 with the
    new job, or 200 with the one already queued or running for the same filters."""

    def wrap(fn: Callable[..., Any]) -> Any:
        fn = patterns_blp.alt_response(
            200, schema=JobOut, description="The same job, already queued or running"
        )(fn)
        fn = patterns_blp.response(202, JobOut)(fn)
        fn = patterns_blp.arguments(RefreshIn, location="json", required=False, unknown=RAISE)(fn)
        fn = requires_scope("reports")(fn)
        return patterns_blp.route(path, methods=["POST"])(fn)

    return wrap


def _latest_or_compute(kind: str, args: dict[str, Any]) -> PatternRun | Response:
    session = get_session()
    service.validate_filters(session, args)
    service.window(kind, args.get("from"), args.get("to"), utcnow().date())
    run = service.latest_done_run(session, kind, args)
    if run is not None:
        return run
    pending = service.pending_run(session, kind, args)
    if pending is not None:
        return _job(pending, 202)
    size = service.responses_in_scope(session, kind, args)
    run = service.create_run(session, kind, args)
    if size > int(current_app.config["PATTERNS_INLINE_MAX_RESPONSES"]):
        enqueue_after_commit(session, tasks.compute_pattern_run, run.id)
        session.commit()
        return _job(run, 202)
    session.commit()
    tasks.compute_pattern_run(run.id)  # the task's body, here and now
    session.refresh(run)
    if run.status != "done":
        raise ReportFailed(f"Computing the report failed (job {run.id}): {run.error}")
    return run


@_pattern_report("/reports/complaint-patterns", ComplaintPatternsQuery, ComplaintPatternsOut)
def complaint_patterns(args: dict[str, Any]) -> Any:
    """Agents whose complaint (or praise) rate in a category stands out against
    their team peers after correction, and each agent's CSAT with product- and
    process-directed dissatisfaction taken out."""
    found = _latest_or_compute(service.COMPLAINT_PATTERNS, args)
    if isinstance(found, Response):
        return found
    report = service.complaint_report(get_session(), found, args.get("agent"))
    if args["format"] == "csv":
        if args["table"] == "adjusted-csat":
            return csv_response(report["adjusted_csat"], "adjusted-csat")
        return csv_response(service.pattern_rows(report["items"]), "complaint-patterns")
    return report


@_pattern_report("/reports/product-gaps", ProductGapsQuery, ProductGapsOut)
def product_gaps(args: dict[str, Any]) -> Any:
    """Themes of product- and process-directed complaints: volume, trend, agents
    and products affected, CSAT effect, product-gap, emerging and Pareto flags."""
    found = _latest_or_compute(service.PRODUCT_GAPS, args)
    if isinstance(found, Response):
        return found
    report = service.gap_report(get_session(), found, args.get("agent"))
    if args["format"] == "csv":
        return csv_response(service.theme_rows(report["items"]), "product-gaps")
    return report


SAME_JOB = "The same job, already queued or running"


def _refresh(kind: str, args: dict[str, Any]) -> Response:
    """202 with a new job, or 200 with the one already queued or running for the
    same report, filters and range (``job_lock``): a refresh cannot flood."""
    session = get_session()
    service.validate_filters(session, args)
    lock_scope(session, f"pattern-refresh:{kind}:{service.scope_of(args)}")
    pending = service.pending_run(session, kind, args)
    if pending is not None:
        session.commit()
        return _job(pending, 200)
    run = service.create_run(session, kind, args)
    enqueue_after_commit(session, tasks.compute_pattern_run, run.id)
    session.commit()
    session.refresh(run)
    return _job(run, 202)


@_refresh_endpoint("/reports/complaint-patterns/refresh")
def refresh_complaint_patterns(args: dict[str, Any]) -> Any:
    """Queue a new computation of the complaint patterns; poll the job it returns.
    While one for the same filters and range is queued or running, that job is
    returned (200) instead of a second one."""
    return _refresh(service.COMPLAINT_PATTERNS, args or {})


@_refresh_endpoint("/reports/product-gaps/refresh")
def refresh_product_gaps(args: dict[str, Any]) -> Any:
    """Queue a new computation of the product gaps; poll the job it returns. While
    one for the same filters and range is queued or running, that job is returned
    (200) instead of a second one."""
    return _refresh(service.PRODUCT_GAPS, args or {})


@patterns_blp.route("/reports/jobs/<int:run_id>", methods=["GET"])
@requires_scope("reports")
@patterns_blp.response(200, JobOut)
def job(run_id: int) -> Any:
    """A pattern job: queued, running, done (with the report's URL) or failed
    (with the error)."""
    return _job(service.get_run(get_session(), run_id), 200)


def init_app(app: Flask) -> None:
    from feedback_service.api import api

    api.register_blueprint(patterns_blp)
