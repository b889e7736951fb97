"""Retraining the comment model from the seed sentences plus every label, and the
list of model versions with their figures.

The rule that decides promotion is text/store.py's ``train_and_maybe_promote``:
candidate and active model are measured on the same held-back split (a hash of
each text, so a sentence stays on its side as labels are added) and the
candidate is promoted only if no head's macro-F1 is worse (beyond ``tolerance``).

Every training also fits a domain adapter (text/adapt.py) on the deployment's
own rows: people's labels (corrections, imports) and, once the deployment holds
``RATING_ADAPTATION_MIN_COMMENTS`` rated comments, those comments labelled by the
customer's own rating (data.py ``rating_distribution``). Its stacking with the
seed-trained model is cross-validated inside those rows, per language; held-back rows (by text
hash) are never trained on, so promotion is still decided on what people
labelled. Comments whose customer chose a reason in a question mapped to the
target (``"maps_to": "target"``) teach the target head, at half a person's weight
(``stated_rows``). A daily beat task (``schedule_rating_adaptation``) starts a run,
trigger ``ratings``, when enough rated comments came in since the last one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments import labels
from feedback_service.analysis.comments.analyzer import active_version
from feedback_service.analysis.models import CommentAnalysis, TrainingRun
from feedback_service.analysis.text import (
    LabelledSentence,
    PromotionReport,
    Taxonomy,
    list_versions,
    seed_sentences,
    train_and_maybe_promote,
)
from feedback_service.analysis.text.data import RatedComment, normalise, rating_distribution
from feedback_service.db import utcnow
from feedback_service.errors import NotFound
from feedback_service.surveys import answers, questions
from feedback_service.surveys.models import Response

RATINGS_TRIGGER = "ratings"
# A stated reason counts half a person's label: customers pick "product" for a rude
# reply now and then (bench/README-comments-teaching.md).
STATED_WEIGHT = 0.5
MAX_STATED = 20_000
PENDING = ("queued", "running")


def pending_run(session: Session, since: dt.datetime) -> TrainingRun | None:
    """The newest training queued or running that started after ``since`` (an older
    one lost its message or its worker; waiting for it would wait for good)."""
    return session.scalars(
        select(TrainingRun)
        .where(TrainingRun.status.in_(PENDING), TrainingRun.created_at >= since)
        .order_by(TrainingRun.id.desc())
        .limit(1)
    ).first()


def new_run(session: Session, trigger: str, who: str) -> TrainingRun:
    run = TrainingRun(status="queued", trigger=trigger, requested_by=who)
    session.add(run)
    session.flush()
    return run


@dataclass(frozen=True)
class TrainingData:
    seed: list[LabelledSentence]
    labels: list[LabelledSentence]
    taxonomy: Taxonomy
    # The deployment's comments labelled by their rating (empty below the threshold),
    # and the highest response id read for them.
    rated: list[RatedComment] = field(default_factory=list)
    ratings_through: int | None = None
    # Comments labelled by the reason the customer chose (target only).
    stated: list[LabelledSentence] = field(default_factory=list)


@dataclass(frozen=True)
class RatingSettings:
    """``RATING_ADAPTATION_*`` of the app config."""

    min_comments: int = 500
    min_new: int = 500
    max_comments: int = 20_000


def _rated_comments_query() -> Any:
    """Confirmed answers with a comment in a supported language and any rating."""
    return (
        select(Response.id)
        .join(CommentAnalysis, CommentAnalysis.response_id == Response.id)
        .where(
            Response.status == "confirmed",
            CommentAnalysis.supported.is_(True),
            Response.comment.is_not(None),
            Response.comment != "",
            Response.csat.is_not(None) | Response.nps.is_not(None) | Response.ces.is_not(None),
        )
    )


def rated_comment_count(session: Session, after: int | None = None) -> int:
    query = _rated_comments_query()
    if after is not None:
        query = query.where(Response.id > after)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def rated_comments(session: Session, limit: int) -> tuple[list[RatedComment], int | None]:
    """The newest ``limit`` rated comments with what their ratings say, and the highest
    response id read."""
    ids = _rated_comments_query().order_by(Response.id.desc()).limit(limit).subquery()
    rows = session.execute(
        select(Response.id, Response.comment, Response.csat, Response.nps, Response.ces)
        .where(Response.id.in_(select(ids.c.id)))
        .order_by(Response.id)
    ).all()
    out = []
    for _id, comment, csat, nps, ces in rows:
        sentiment = rating_distribution(csat=csat, nps=nps, ces=ces)
        if sentiment is not None and comment and comment.strip():
            out.append(RatedComment(comment, sentiment))
    return out, (rows[-1][0] if rows else None)


def rating_settings(config: Mapping[str, Any]) -> RatingSettings:
    return RatingSettings(
        min_comments=int(config["RATING_ADAPTATION_MIN_COMMENTS"]),
        min_new=int(config["RATING_ADAPTATION_MIN_NEW"]),
        max_comments=int(config["RATING_ADAPTATION_MAX_COMMENTS"]),
    )


def stated_rows(
    session: Session, labelled: list[LabelledSentence], limit: int = MAX_STATED
) -> list[LabelledSentence]:
    """The newest ``limit`` confirmed answers' comments labelled by the target their
    customer chose (``surveys.answers.stated_reasons``: the definition version the
    answer was given under decides), weight ``STATED_WEIGHT``, no sentiment. A text
    a person labelled is theirs; of one text stated twice, the newest answer's."""
    query = answers.stated_reasons(session)
    if query is None:
        return []
    taken = {normalise(row.text) for row in labelled}
    result = session.execute(
        query.add_columns(Response.comment)
        .where(Response.status == "confirmed", Response.comment.is_not(None))
        .order_by(Response.id.desc())
        .execution_options(yield_per=1000)
    )
    out: list[LabelledSentence] = []
    for _id, value, comment in result:
        target, text = questions.stated_target(value), (comment or "").strip()
        if target is None or not text or normalise(text) in taken:
            continue
        taken.add(normalise(text))
        out.append(LabelledSentence(text, None, target, weight=STATED_WEIGHT))
        if len(out) >= limit:
            break
    result.close()
    return out


def gather(session: Session, ratings: RatingSettings | None = None) -> TrainingData:
    """The shipped seed sentences, then every label (so a person's label wins), the
    comments labelled by the customer's stated reason, and, once the deployment
    holds enough of them, its rated comments.

    Every training takes the rated comments, not only the scheduled one: a manual
    retrain without them would be measured on the same human rows and could quietly
    undo the adaptation.
    """
    seed, taught, tax = seed_sentences(), labels.training_rows(session), labels.taxonomy(session)
    stated = stated_rows(session, taught)
    if ratings is None or rated_comment_count(session) < ratings.min_comments:
        return TrainingData(seed, taught, tax, stated=stated)
    rated, through = rated_comments(session, ratings.max_comments)
    return TrainingData(seed, taught, tax, rated, through, stated)


def train(data: TrainingData, model_dir: Path, tolerance: float = 0.0) -> PromotionReport:
    """Train, measure, maybe promote: no database, so no lock is held meanwhile."""
    return train_and_maybe_promote(
        [*data.seed, *data.labels],
        model_dir,
        taxonomy=data.taxonomy,
        tolerance=tolerance,
        rated=data.rated,
        deployment_labels=data.labels,
        stated=data.stated,
    )


@dataclass(frozen=True)
class AdaptationPlan:
    """What the scheduled adaptation should do now: ``start`` a run, ``resend`` a
    pending one whose message was lost, or nothing (``reason`` says why)."""

    action: str  # start, resend, skip
    reason: str
    run_id: int | None = None


def plan_rating_adaptation(
    session: Session, settings: RatingSettings, now: dt.datetime, stale_after: dt.timedelta
) -> AdaptationPlan:
    pending = session.scalars(
        select(TrainingRun)
        .where(TrainingRun.trigger == RATINGS_TRIGGER, TrainingRun.status.in_(PENDING))
        .order_by(TrainingRun.id.desc())
    ).first()
    if pending is not None:
        if pending.created_at > now - stale_after:
            return AdaptationPlan("skip", f"run {pending.id} is {pending.status}", pending.id)
        # Queued or running for so long that its message or worker was lost: the
        # task resumes a run in either state, so sending it again finishes it.
        return AdaptationPlan("resend", f"run {pending.id} stalled", pending.id)
    mark = session.scalar(
        select(func.max(TrainingRun.ratings_through)).where(TrainingRun.status == "done")
    )
    if mark is None:
        total = rated_comment_count(session)
        if total < settings.min_comments:
            return AdaptationPlan(
                "skip", f"{total} rated comments, fewer than {settings.min_comments}"
            )
        return AdaptationPlan("start", f"{total} rated comments")
    new = rated_comment_count(session, after=mark)
    if new < settings.min_new:
        return AdaptationPlan(
            "skip",
            f"{new} new rated comments since the last adaptation, fewer than {settings.min_new}",
        )
    return AdaptationPlan("start", f"{new} new rated comments since the last adaptation")


def record(session: Session, run: TrainingRun, data: TrainingData, report: PromotionReport) -> None:
    run.status = "done"
    run.candidate_version = report.candidate_version
    run.promoted = report.promoted
    run.metrics = report.candidate_metrics
    run.current_version = report.current_version
    run.current_metrics = report.current_metrics
    run.seed_rows = len(data.seed)
    run.label_rows = len(data.labels)
    run.train_rows = report.train_rows
    run.held_out_rows = report.held_out_rows
    run.rating_rows = report.rating_rows
    run.ratings_through = data.ratings_through
    run.stated_rows = report.stated_rows
    run.reasons = report.reasons
    run.finished_at = utcnow()
    session.flush()


def record_failure(session: Session, run: TrainingRun, exc: Exception) -> None:
    run.status = "failed"
    run.error = f"{type(exc).__name__}: {exc}"
    run.finished_at = utcnow()
    session.flush()


class TrainingRunView(TypedDict):
    id: int
    status: str
    trigger: str
    requested_by: str
    candidate_version: str | None
    promoted: bool | None
    metrics: dict[str, Any] | None
    current_version: str | None
    current_metrics: dict[str, Any] | None
    seed_rows: int | None
    label_rows: int | None
    train_rows: int | None
    held_out_rows: int | None
    rating_rows: int | None
    ratings_through: int | None
    stated_rows: int | None
    reasons: list[str]
    error: str | None
    created_at: str
    finished_at: str | None


def run_view(run: TrainingRun) -> TrainingRunView:
    return {
        "id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "requested_by": run.requested_by,
        "candidate_version": run.candidate_version,
        "promoted": run.promoted,
        "metrics": run.metrics,
        "current_version": run.current_version,
        "current_metrics": run.current_metrics,
        "seed_rows": run.seed_rows,
        "label_rows": run.label_rows,
        "train_rows": run.train_rows,
        "held_out_rows": run.held_out_rows,
        "rating_rows": run.rating_rows,
        "ratings_through": run.ratings_through,
        "stated_rows": run.stated_rows,
        "reasons": run.reasons or [],
        "error": run.error,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def get_run(session: Session, run_id: int) -> TrainingRun:
    run = session.get(TrainingRun, run_id)
    if run is None:
        raise NotFound(f"No training run {run_id}.")
    return run


class ModelVersion(TypedDict):
    version: str
    active: bool
    saved: bool  # its files are in the model directory
    trained_on: int | None
    trigger: str | None
    rating_rows: int | None
    stated_rows: int | None
    metrics: dict[str, Any] | None
    training_run: TrainingRunView | None


def list_models(session: Session, model_dir: Path) -> list[ModelVersion]:
    """Every saved model version, newest first, with its figures on its held-back
    split, whether it is the active one, and the training run that made it."""
    active = active_version(model_dir) if model_dir.exists() else None
    saved = {m["version"]: m for m in list_versions(model_dir)} if model_dir.exists() else {}
    runs: dict[str, TrainingRun] = {}
    for run in session.scalars(
        select(TrainingRun)
        .where(TrainingRun.candidate_version.is_not(None))
        .order_by(TrainingRun.id)
    ):
        assert run.candidate_version is not None
        runs[run.candidate_version] = run  # the latest run of a version wins

    def made_at(version: str) -> float:
        meta_file = model_dir / "versions" / version / "meta.json"
        if meta_file.exists():
            return meta_file.stat().st_mtime
        run = runs[version]
        return (run.finished_at or run.created_at).timestamp()

    out: list[ModelVersion] = []
    for version in sorted(set(saved) | set(runs), key=made_at, reverse=True):
        meta = saved.get(version, {})
        made_by = runs.get(version)
        out.append(
            {
                "version": version,
                "active": version == active,
                "saved": version in saved,
                "trained_on": meta.get("trained_on"),
                "trigger": made_by.trigger if made_by else None,
                "rating_rows": made_by.rating_rows if made_by else None,
                "stated_rows": made_by.stated_rows if made_by else None,
                "metrics": meta.get("metrics") or (made_by.metrics if made_by else None),
                "training_run": run_view(made_by) if made_by is not None else None,
            }
        )
    return out
