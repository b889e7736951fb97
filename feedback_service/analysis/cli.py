"""``flask analysis ...``: building, retraining the comment model and re-scoring comments."""

from __future__ import annotations

import getpass
import time

import click
from flask import current_app
from flask.cli import AppGroup

from feedback_service.db import get_session
from feedback_service.progress import progress_bar

analysis_cli = AppGroup(
    "analysis", help="Comment analysis: building, retraining and re-scoring the model."
)


@analysis_cli.command("build")
def build_command() -> None:
    """Make the seed model ready in MODEL_DIR before anything needs it (bin/setup and
    the Docker image run this). Trains it (15-60 s) only when no model of the same
    seed data and features is cached under DATA_DIR/build; otherwise copies it."""
    from feedback_service.analysis.build import run
    from feedback_service.analysis.comments.analyzer import model_dir

    click.echo(run(model_dir(), current_app.config["DATA_DIR"]))


@analysis_cli.command("train")
@click.option(
    "--tolerance",
    type=float,
    default=None,
    help="Promote even if a head's macro-F1 is lower by at most this much (noise allowance; "
    "default MODEL_PROMOTION_TOLERANCE, 0).",
)
def train_command(tolerance: float | None) -> None:
    """Retrain from the shipped seed sentences plus every correction and imported label;
    measure candidate and active model on the held-back split; promote if not worse."""
    from feedback_service.analysis.comments import labels, training
    from feedback_service.analysis.comments.analyzer import model_dir
    from feedback_service.analysis.comments.tasks import TRAIN_STEPS, train_now

    session = get_session()
    counts = labels.label_counts(session)
    run = training.new_run(session, "cli", f"cli:{getpass.getuser()}")
    run.status = "running"
    session.commit()
    started = time.perf_counter()
    if tolerance is None:
        tolerance = float(current_app.config.get("MODEL_PROMOTION_TOLERANCE", 0.0))
    with progress_bar("training (read, train, record)", TRAIN_STEPS) as advance:
        train_now(session, run, model_dir(), tolerance, advance)
    if run.status == "failed":
        raise click.ClickException(f"training run {run.id} failed: {run.error}")
    click.echo(
        f"training run {run.id}: {run.seed_rows} seed sentences + {run.label_rows} labels "
        f"({counts['correction']} corrections, {counts['import']} imported rows)"
        + (f" + {run.rating_rows} rows labelled by ratings" if run.rating_rows else "")
        + "; "
        f"{run.train_rows} trained on, {run.held_out_rows} held back "
        f"({time.perf_counter() - started:.1f}s)"
    )
    click.echo(f"{'head':<10} {'candidate F1':>12} {'active F1':>10} {'candidate acc':>14}")
    current = run.current_metrics or {}
    for head in ("sentiment", "target", "category"):
        new = (run.metrics or {}).get(head)
        old = current.get(head)
        if new is None:
            continue
        old_f1 = f"{old['macro_f1']:.4f}" if old else "-"
        click.echo(f"{head:<10} {new['macro_f1']:>12.4f} {old_f1:>10} {new['accuracy']:>14.4f}")
    verdict = "PROMOTED" if run.promoted else "not promoted"
    click.echo(
        f"candidate {run.candidate_version} {verdict} "
        f"(active was {run.current_version or 'none'})"
        + (f": {'; '.join(run.reasons or [])}" if run.reasons else "")
    )


@analysis_cli.command("rescore")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(10, 10_000))
@click.option(
    "--background", is_flag=True, help="Hand the batches to the workers instead of running here."
)
@click.option(
    "--resume", "resume_id", type=int, help="Continue an interrupted run from its cursor."
)
def rescore_command(batch_size: int, background: bool, resume_id: int | None) -> None:
    """Re-score every comment not yet at the active model (and its latest version)."""
    from feedback_service.analysis.comments import rescore
    from feedback_service.analysis.comments.analyzer import current_analyzer
    from feedback_service.analysis.comments.tasks import rescore_batch, rescore_once
    from feedback_service.analysis.text import ModelNotReady
    from feedback_service.tasks import enqueue

    session = get_session()
    try:
        analyzer = current_analyzer()
    except ModelNotReady as exc:
        raise click.ClickException(str(exc)) from exc
    if resume_id is not None:
        run = rescore.get_run(session, resume_id)
        if run.status != "running":
            raise click.ClickException(f"rescore run {resume_id} is {run.status}")
    else:
        run = rescore.start_run(session, analyzer.model_version, "cli", batch_size)
    session.commit()
    if background:
        enqueue(rescore_batch, run.id, run.cursor)
        click.echo(f"rescore run {run.id} handed to the workers (model {analyzer.model_version})")
        return
    started = time.perf_counter()
    cursor = run.cursor
    total = rescore.comments_after(session, cursor)
    session.rollback()
    with progress_bar("re-scoring comments", total) as advance:
        while True:
            outcome = rescore_once(session, run.id, cursor, analyzer)
            session.commit()
            advance(outcome.scanned)
            cursor = outcome.cursor
            if outcome.status != "batch":
                break
    run = rescore.get_run(session, run.id)
    took = time.perf_counter() - started
    click.echo(
        f"rescore run {run.id} {run.status}: {run.scanned} comments scanned, {run.rescored} "
        f"re-scored with {run.model_version} in {took:.1f}s"
    )
