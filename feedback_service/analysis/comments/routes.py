"""HTTP layer of comment analysis: read and correct comments, import labels, extend
the taxonomy, see and retrain models, re-score. Parse, call the service, serialise."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, request

from feedback_service.analysis.comments import labels, rescore, service, training
from feedback_service.analysis.comments.analyzer import active_version, model_dir, ready_version
from feedback_service.analysis.comments.schemas import (
    CategoryIn,
    CategoryOut,
    CommentCorrectionIn,
    CommentListOut,
    CommentOut,
    CommentQuery,
    ImportOut,
    ModelsOut,
    RescoreIn,
    RescoreRunOut,
    TaxonomyOut,
    TrainIn,
    TrainingRunOut,
)
from feedback_service.analysis.comments.tasks import (
    ADAPTATION_STALLED_AFTER,
    rescore_batch,
    train_model,
)
from feedback_service.api import api_blueprint, report_endpoint, requires_scope
from feedback_service.db import get_session, utcnow
from feedback_service.errors import Conflict, NotFound, ValidationError
from feedback_service.helpdesk.lookup import FilterLookup
from feedback_service.helpdesk.models import Agent, Team
from feedback_service.job_lock import lock_scope
from feedback_service.limits import body_limit
from feedback_service.privacy.spreadsheet import csv_response
from feedback_service.tasks import enqueue_after_commit

comments_blp = api_blueprint(
    "comments", __name__, "Comment analysis: comments, corrections, labels, taxonomy, models"
)

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class ModelNotReady(Conflict):
    code = "model_not_ready"


def caller_name() -> str:
    caller = g.get("caller")
    return f"api-key:{caller.name}#{caller.key_id}" if caller is not None else "unknown"


def _filters(args: dict[str, Any]) -> service.CommentFilters:
    session = get_session()
    lookup = FilterLookup(session, args)
    errors = lookup.errors
    start, end = args.get("from"), args.get("to")
    agent_id = lookup.id_of("agent", Agent.external_id, Agent.id)
    team_id = lookup.id_of("team", Team.external_id, Team.id)
    target, category = args.get("target"), args.get("category")
    if category is not None and "/" in category:
        named_target, category = category.split("/", 1)
        if target is not None and target != named_target:
            errors["category"] = [f"Names target '{named_target}' but target is '{target}'."]
        target = named_target
    if category is not None:
        tax = labels.taxonomy(session)
        targets = [target] if target is not None else list(tax.categories)
        if target is not None and target not in tax.categories:
            errors["category"] = [f"Unknown target '{target}'."]
        elif not any(category in tax.categories[t] for t in targets):
            errors["category"] = [f"Unknown category '{category}'."]
    if errors:
        raise ValidationError("Invalid filters: " + ", ".join(sorted(errors)), fields=errors)
    return service.CommentFilters(
        start=dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC) if start else None,
        end=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        if end
        else None,
        agent_id=agent_id,
        team_id=team_id,
        channel=args.get("channel"),
        target=target,
        category=category,
        sentiment=args.get("sentiment"),
        q=args.get("q"),
        corrected=args.get("corrected"),
    )


@report_endpoint(comments_blp, "/comments", CommentQuery, CommentListOut)
def list_comments(args: dict[str, Any]) -> Any:
    """Comments newest first with their analysis. Filters: ``agent``, ``team`` (helpdesk
    ids), ``channel``, ``from``/``to``, ``target``, ``category`` (``rude`` or
    ``agent/rude``), ``sentiment`` (or ``unsupported``), ``q`` (text, any case),
    ``corrected``. ``?format=csv`` gives the same rows as CSV."""
    page, per_page = args["page"], args["per_page"]
    items, total = service.list_comments(get_session(), _filters(args), page, per_page)
    if args["format"] == "csv":
        return csv_response(service.csv_rows(items), "comments")
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@comments_blp.route("/comments/<int:comment_id>", methods=["GET"])
@requires_scope("reports")
@comments_blp.response(200, CommentOut)
def get_comment(comment_id: int) -> Any:
    """One comment (by its response id) with its analysis."""
    item = service.get_comment(get_session(), comment_id)
    if item is None or not (item["comment"] or "").strip():
        raise NotFound(f"No comment with id {comment_id}.")
    return item


@comments_blp.route("/comments/<int:comment_id>", methods=["PATCH"])
@requires_scope("reports")
@comments_blp.arguments(CommentCorrectionIn)
@comments_blp.response(200, CommentOut)
def correct_comment(data: dict[str, Any], comment_id: int) -> Any:
    """Correct what the analysis says: the comment's ``sentiment``, and per finding
    (``index``, or ``sentence`` to add one) its ``target``, ``category``,
    ``sentiment``. Categories are checked against the taxonomy. The model's output
    stays visible as ``original``; the correction is training data from now on."""
    session = get_session()
    labels.correct_comment(session, comment_id, data, caller_name())
    session.commit()
    return service.get_comment(session, comment_id)


@comments_blp.route("/labels/import", methods=["POST"])
@requires_scope("reports")
@body_limit(MAX_IMPORT_BYTES + 64 * 1024)  # the file and its multipart envelope
@comments_blp.response(201, ImportOut)
@comments_blp.alt_response(200, schema=ImportOut, description="Every row was there already")
def import_labels() -> Any:
    """Import labelled comments from a CSV: a multipart upload (field ``file``) or the
    raw body with ``Content-Type: text/csv``. Columns: ``text`` (required),
    ``sentiment`` (positive/neutral/negative), ``target`` (agent/product/process/none),
    ``category`` (of the taxonomy, under its target); each row needs a sentiment or a
    target. Any invalid row -> 422 naming ``rows.<row>.<column>`` (the header is row
    1) and nothing is imported. A row identical to one imported before (same text,
    case and spacing aside, and same labels) is not stored again: ``imported`` counts
    the new rows, ``already_there`` the others; 200 when nothing was new."""
    if request.content_length is not None and request.content_length > MAX_IMPORT_BYTES:
        raise ValidationError("The file is too large.", fields={"file": ["At most 20 MB."]})
    upload = request.files.get("file")
    if upload is not None:
        raw = upload.read()
    elif request.mimetype in ("text/csv", "text/plain", "application/csv"):
        raw = request.get_data()
    else:
        raise ValidationError(
            "Send the CSV as a multipart field 'file' or as a text/csv body.",
            fields={"file": ["Missing data for required field."]},
        )
    session = get_session()
    result = labels.import_labels(session, raw, caller_name())
    session.commit()
    shown = {
        "import_id": result.import_id,
        "imported": result.imported,
        "already_there": result.already_there,
        "columns": list(labels.IMPORT_COLUMNS),
    }
    # A retried upload stores nothing: 200, as a repeated invitation does.
    return shown, 201 if result.imported else 200


@comments_blp.route("/analysis/categories", methods=["GET"])
@requires_scope("reports")
@comments_blp.response(200, TaxonomyOut)
def list_categories() -> Any:
    """The taxonomy: the shipped categories per target plus those managers added."""
    return labels.categories_view(get_session())


@comments_blp.route("/analysis/categories", methods=["POST"])
@requires_scope("reports")
@comments_blp.arguments(CategoryIn)
@comments_blp.response(201, CategoryOut)
def add_category(data: dict[str, Any]) -> Any:
    """Add a category under a target (``product``/``hardware``). Corrections and imported
    labels may use it at once; the model learns it at the next training."""
    session = get_session()
    name, created = labels.add_category(session, data["target"], data["name"], caller_name())
    session.commit()
    body = {"target": data["target"], "name": name, "created": created}
    return body, 201 if created else 200


@comments_blp.route("/analysis/models", methods=["GET"])
@requires_scope("reports")
@comments_blp.response(200, ModelsOut)
def list_models() -> Any:
    """Model versions, newest first, with their figures on the held-back split and which
    one is active; each says what started its training (``trigger``: ``api``, ``cli``,
    or ``ratings`` for the daily adaptation to the deployment's rated comments), how
    many rows labelled by customers' ratings it learnt from (``rating_rows``), and in
    ``training_run.reasons`` why it was or was not promoted."""
    directory = model_dir()
    return {
        "active_version": active_version(directory),
        "items": training.list_models(get_session(), directory),
    }


@comments_blp.route("/analysis/train", methods=["POST"])
@requires_scope("admin")
@comments_blp.arguments(TrainIn)
@comments_blp.response(202, TrainingRunOut)
@comments_blp.alt_response(
    200, schema=TrainingRunOut, description="The training already queued or running"
)
def start_training(data: dict[str, Any]) -> Any:
    """Retrain in the background from the seed data plus every label; promote only if no
    head's held-back macro-F1 is worse (by more than ``tolerance``, default 0). Answers
    the job at once (202); follow it at ``/analysis/train/<id>``. While a training is
    queued or running, that one is answered (200, its own tolerance) and no second
    one is queued."""
    session = get_session()
    lock_scope(session, "comment-model-training")
    pending = training.pending_run(session, utcnow() - ADAPTATION_STALLED_AFTER)
    if pending is not None:
        session.commit()
        return training.run_view(pending), 200
    run = training.new_run(session, "api", caller_name())
    enqueue_after_commit(session, train_model, run.id, data["tolerance"])
    session.commit()
    return training.run_view(training.get_run(session, run.id))


@comments_blp.route("/analysis/train/<int:run_id>", methods=["GET"])
@requires_scope("reports")
@comments_blp.response(200, TrainingRunOut)
def training_run(run_id: int) -> Any:
    """A training job: status, and when done its figures and whether it was promoted."""
    return training.run_view(training.get_run(get_session(), run_id))


@comments_blp.route("/analysis/rescore", methods=["POST"])
@requires_scope("admin")
@comments_blp.arguments(RescoreIn)
@comments_blp.response(202, RescoreRunOut)
def start_rescore(data: dict[str, Any]) -> Any:
    """Re-score every comment not yet at the active model, in batches, in the background."""
    session = get_session()
    version = ready_version()
    if version is None:
        # Set-up builds the model (`flask analysis build`); training it here would hold
        # this web worker past its timeout.
        raise ModelNotReady(
            "No comment model is ready yet: run `flask analysis build` (bin/setup and the "
            "Docker image do). Retry when GET /api/v1/analysis/models lists a promoted model.",
            headers={"Retry-After": "60"},
        )
    run = rescore.start_run(session, version, caller_name(), data["batch_size"])
    enqueue_after_commit(session, rescore_batch, run.id, 0)
    session.commit()
    return rescore.run_view(rescore.get_run(session, run.id))


@comments_blp.route("/analysis/rescore/<int:run_id>", methods=["GET"])
@requires_scope("reports")
@comments_blp.response(200, RescoreRunOut)
def rescore_run(run_id: int) -> Any:
    """A re-scoring pass: rows scanned and re-scored so far, its cursor, its status."""
    return rescore.run_view(rescore.get_run(get_session(), run_id))
