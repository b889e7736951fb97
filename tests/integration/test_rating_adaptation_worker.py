"""The daily adaptation to the deployment's rated comments, through the broker and a
real worker process: the beat task queues a ``ratings`` run after its commit, the
worker trains it, and the API lists the version with its rating-derived rows."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from feedback_service.analysis.comments.analyzer import current_analyzer, model_dir
from feedback_service.analysis.models import TrainingRun
from feedback_service.auth.service import create_api_key
from feedback_service.db import get_session
from feedback_service.tasks import enqueue
from tests.api.test_rating_adaptation import rated_comments
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read by the worker process from its environment (requested before ``worker``)."""
    monkeypatch.setenv("RATING_ADAPTATION_MIN_COMMENTS", "30")
    monkeypatch.setenv("RATING_ADAPTATION_MIN_NEW", "10")
    monkeypatch.setenv("MODEL_PROMOTION_TOLERANCE", "0.01")


@pytest.fixture
def shared_model_restored(live_app: Flask) -> Iterator[Path]:
    """The session's model directory, with the seed model promoted again afterwards so
    later tests analyse with the model they expect."""
    with live_app.app_context():
        current_analyzer()
        directory = model_dir()
    promoted = directory / "promoted.json"
    before = promoted.read_bytes()
    try:
        yield directory
    finally:
        promoted.write_bytes(before)


def test_the_worker_adapts_the_model_to_rated_comments(
    small_thresholds: None,
    live_app: Flask,
    shared_model_restored: Path,
    http_server: str,
    worker: subprocess.Popen[str],
) -> None:
    live_app.extensions["celery"].control.purge()
    from feedback_service.analysis.comments.tasks import schedule_rating_adaptation

    with live_app.app_context():
        session = get_session()
        rated_comments(session, 80)
        _key, plain = create_api_key(session, "it", ["reports"])
        session.commit()
        enqueue(schedule_rating_adaptation)

    def finished() -> TrainingRun | None:
        with live_app.app_context():
            session = get_session()
            run = session.scalar(select(TrainingRun).where(TrainingRun.trigger == "ratings"))
            session.rollback()
            return run if run is not None and run.status in ("done", "failed") else None

    run = wait_for(finished, timeout=300, interval=1.0)
    assert run.status == "done", run.error
    assert run.rating_rows and run.rating_rows > 50

    models = requests.get(
        f"{http_server}/api/v1/analysis/models",
        headers={"Authorization": f"Bearer {plain}"},
        timeout=10,
    ).json()
    adapted = next(m for m in models["items"] if m["trigger"] == "ratings")
    assert adapted["version"] == run.candidate_version
    assert adapted["rating_rows"] == run.rating_rows
    assert adapted["training_run"]["reasons"], adapted
