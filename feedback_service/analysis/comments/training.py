"""Retraining the comment model from the seed sentences plus every label, and the
list of model versions with their figures.

The rule that decides promotion is text/store.py's ``train_and_maybe_promote``:
candidate and active model are measured on the same held-back split (a hash of
each text, so a sentence stays on its side as labels are added) and the
candidate is promoted only if no head's macro-F1 is worse (beyond ``tolerance``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments import labels
from feedback_service.analysis.comments.analyzer import active_version
from feedback_service.analysis.models import TrainingRun
from feedback_service.analysis.text import (
    LabelledSentence,
    PromotionReport,
    Taxonomy,
    list_versions,
    seed_sentences,
    train_and_maybe_promote,
)
from feedback_service.db import utcnow
from feedback_service.errors import NotFound


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


def gather(session: Session) -> TrainingData:
    """The shipped seed sentences, then every label (so a person's label wins)."""
    return TrainingData(seed_sentences(), labels.training_rows(session), labels.taxonomy(session))


def train(data: TrainingData, model_dir: Path, tolerance: float = 0.0) -> PromotionReport:
    """Train, measure, maybe promote: no database, so no lock is held meanwhile."""
    return train_and_maybe_promote(
        [*data.seed, *data.labels], model_dir, taxonomy=data.taxonomy, tolerance=tolerance
    )


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
    run.reasons = report.reasons
    run.finished_at = utcnow()
    session.flush()


def record_failure(session: Session, run: TrainingRun, exc: Exception) -> None:
    run.status = "failed"
    run.error = f"{type(exc).__name__}: {exc}"
    run.finished_at = utcnow()
    session.flush()


def run_view(run: TrainingRun) -> dict[str, Any]:
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


def list_models(session: Session, model_dir: Path) -> list[dict[str, Any]]:
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

    out = []
    for version in sorted(set(saved) | set(runs), key=made_at, reverse=True):
        meta = saved.get(version, {})
        made_by = runs.get(version)
        out.append(
            {
                "version": version,
                "active": version == active,
                "saved": version in saved,
                "trained_on": meta.get("trained_on"),
                "metrics": meta.get("metrics") or (made_by.metrics if made_by else None),
                "training_run": run_view(made_by) if made_by is not None else None,
            }
        )
    return out
