"""A submitted comment is analysed by a real Celery worker process, on the seed model
set-up built (``flask analysis build``; nothing downloaded, nothing trained in the
worker); with no model built yet, the answer is processed and its comment analysed
once the model exists."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from feedback_service.analysis.models import CommentAnalysis, CommentFinding
from feedback_service.auth.service import create_api_key
from feedback_service.db import get_session
from tests.integration.conftest import WorkerStarter, post_answer, wait_for
from tests.integration.test_collect_concurrency import committed_invitation
from tests.integration.test_scanner_ratings import processed

pytestmark = pytest.mark.integration

COMMENT = "The agent hung up on me twice. The app still crashes every time I open it."


def analysis_of(app: Flask, response_id: int) -> dict[str, Any] | None:
    with app.app_context():
        session = get_session()
        row = session.scalar(
            select(CommentAnalysis).where(CommentAnalysis.response_id == response_id)
        )
        if row is None:
            return None
        findings = session.scalars(
            select(CommentFinding)
            .where(CommentFinding.response_id == response_id)
            .order_by(CommentFinding.position)
        ).all()
        return {
            "response_version": row.response_version,
            "model_version": row.model_version,
            "sentiment": row.sentiment,
            "supported": row.supported,
            "findings": row.findings,
            "rows": [(f.target, f.category, f.sentence) for f in findings],
        }


def test_the_worker_analyses_a_submitted_and_an_amended_comment(
    live_app: Flask, http_server: str, worker: subprocess.Popen[str]
) -> None:
    live_app.extensions["celery"].control.purge()
    _invitation_id, token = committed_invitation(live_app, "COMMENT-WORKER-1")
    response_id = post_answer(http_server, token, {"csat": 1}, COMMENT)
    analysis = wait_for(lambda: analysis_of(live_app, response_id), timeout=120)
    assert analysis["sentiment"] == "negative" and analysis["supported"] is True
    targets = {f["target"]: f["sentence"] for f in analysis["findings"]}
    assert targets["agent"] == "The agent hung up on me twice."
    assert "product" in targets
    assert analysis["rows"] == [
        (f["target"], f["category"], f["sentence"]) for f in analysis["findings"]
    ]
    model_dir = Path(os.environ["FEEDBACK_DATA_DIR"]) / "models"
    promoted = json.loads((model_dir / "promoted.json").read_text())
    assert analysis["model_version"] == promoted["version"]

    amended = "Le conseiller était désagréable et ne m'a pas aidé."
    post_answer(http_server, token, {"csat": 2}, amended, status=200)
    redone = wait_for(
        lambda: (a := analysis_of(live_app, response_id)) and a["response_version"] == 2 and a,
        timeout=120,
    )
    assert redone["supported"] is False and redone["sentiment"] is None
    assert redone["findings"] == [] and redone["rows"] == []

    with live_app.app_context():
        session = get_session()
        _key, plain = create_api_key(session, "it", ["reports"])
        session.commit()
    listed = requests.get(
        f"{http_server}/api/v1/comments",
        params={"sentiment": "unsupported"},
        headers={"Authorization": f"Bearer {plain}"},
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    assert [i["id"] for i in listed.json()["items"]] == [response_id]


def test_a_worker_without_a_model_processes_the_answer_and_analyses_it_once_built(
    live_app: Flask,
    http_server: str,
    start_worker: WorkerStarter,
    built_seed_model: Path,
    tmp_path: Path,
) -> None:
    from feedback_service.analysis.comments.tasks import analyse_missing_comments
    from feedback_service.analysis.text.build import install

    live_app.extensions["celery"].control.purge()
    empty = tmp_path / "not-built-yet"
    start_worker.env["MODEL_DIR"] = str(empty)
    worker = start_worker.start()
    invitation_id, token = committed_invitation(live_app, "COMMENT-WORKER-NO-MODEL")
    answer = requests.post(
        f"{http_server}/api/v1/responses",
        json={"token": token, "answers": {"csat": 1}, "comment": COMMENT},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    response_id = answer.json()["id"]
    # Processed at once, unanalysed, the log saying why; nothing trained.
    wait_for(lambda: processed(live_app, invitation_id), timeout=120)
    assert analysis_of(live_app, response_id) is None
    log = start_worker.tmp_path / "worker.log"
    assert "comment not analysed: no comment model" in log.read_text()
    assert not empty.exists() or not any(empty.iterdir())
    assert worker.poll() is None

    install(built_seed_model, empty)  # what `flask analysis build` does
    # The beat's pass, through the broker, as the scheduler sends it.
    with live_app.app_context():
        analyse_missing_comments.delay()
    analysis = wait_for(lambda: analysis_of(live_app, response_id), timeout=120)
    assert analysis["sentiment"] == "negative" and analysis["supported"] is True
    assert analysis["model_version"] == json.loads((empty / "promoted.json").read_text())["version"]
