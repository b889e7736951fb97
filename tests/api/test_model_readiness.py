"""The comment model is built before the first answer (``flask analysis build``), and
an answer that arrives before it anyway is processed at once and analysed later, by
the sweep; nothing trains a model inside a request or a task."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments.tasks import analyse_missing_comments
from feedback_service.analysis.text import store
from feedback_service.analysis.text.build import seed_hash
from feedback_service.surveys.models import Response
from tests.api.test_comments import MIXED, submit


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any training in this test fails it: the model must come from the build."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a model was trained where none may be")

    monkeypatch.setattr(store, "train_and_maybe_promote", refuse)
    from feedback_service.analysis.text import build as build_module

    monkeypatch.setattr(build_module, "train_and_maybe_promote", refuse)


def test_an_answer_before_the_model_exists_is_processed_then_analysed_by_the_sweep(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    empty_model_dir: Path,
    built_seed_model: Path,
    no_training: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reports = auth("reports")
    with caplog.at_level(logging.WARNING):
        rid = submit(client, auth, MIXED, {"csat": 1})
    # Processed at once (its rollups count), the comment unanalysed, and the log says why.
    response = db_session.scalar(select(Response).where(Response.id == rid))
    assert response is not None and response.processed_version == response.version
    db_session.commit()
    assert client.get(f"/api/v1/comments/{rid}", headers=reports).json["analysis"] is None
    assert "comment not analysed: no comment model" in caplog.text
    assert "flask analysis build" in caplog.text
    assert analyse_missing_comments() == "no-model"

    # Set-up builds the model (here from the checkout's built copy: no training).
    from feedback_service.analysis.text.build import install

    install(built_seed_model, empty_model_dir)
    # The beat's next pass analyses the comment (the eager worker runs the batch).
    assert analyse_missing_comments() == "started"
    analysis = client.get(f"/api/v1/comments/{rid}", headers=reports).json["analysis"]
    assert analysis is not None
    assert analysis["model_version"] == store.promoted_version(empty_model_dir)
    assert analysis["sentiment"] == "negative"
    # Nothing left: the pass after that starts no second run.
    assert analyse_missing_comments() == "nothing"


def test_flask_analysis_build_makes_the_model_ready_and_is_cheap_the_second_time(
    app: Flask,
    empty_model_dir: Path,
    built_seed_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_training: None,
) -> None:
    # A data dir whose build cache holds this seed data's model (as after bin/setup).
    data_dir = tmp_path / "data"
    shutil.copytree(built_seed_model, data_dir / "build" / f"seed-{seed_hash()}")
    monkeypatch.setitem(app.config, "DATA_DIR", str(data_dir))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["analysis", "build"])
    assert first.exit_code == 0, first.output
    version = store.promoted_version(empty_model_dir)
    assert version is not None and version.endswith(seed_hash())
    assert f"seed model {version} ready in {empty_model_dir} (from the cache" in first.output
    promoted = (empty_model_dir / store.PROMOTED_FILE).stat().st_mtime_ns

    again = runner.invoke(args=["analysis", "build"])
    assert again.exit_code == 0, again.output
    assert f"seed model {version} ready" in again.output
    # Idempotent: the promoted model was not rewritten.
    assert (empty_model_dir / store.PROMOTED_FILE).stat().st_mtime_ns == promoted


def test_rescore_before_the_model_exists_says_how_to_build_it(
    app: Flask, empty_model_dir: Path, no_training: None
) -> None:
    result = app.test_cli_runner().invoke(args=["analysis", "rescore"])
    assert result.exit_code != 0
    assert "flask analysis build" in result.output
    assert not empty_model_dir.exists() or not any(empty_model_dir.iterdir())
