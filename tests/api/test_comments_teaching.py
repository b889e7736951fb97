"""Teaching and re-scoring: corrections and imported labels feed ``flask analysis
train``; the re-scoring job walks thousands of comments in batches, each row once."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments import labels as labels_service
from feedback_service.analysis.comments import rescore, training
from feedback_service.analysis.comments.analyzer import model_dir, nltk_cache_dir
from feedback_service.analysis.models import CommentAnalysis, CommentFinding
from feedback_service.analysis.text import CommentAnalysis as Result
from feedback_service.analysis.text import get_analyzer, seed_sentences, set_analyzer
from feedback_service.analysis.text.data import LabelledSentence, deduplicate, is_held_out, split
from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket
from feedback_service.surveys.models import Invitation, Survey
from tests.api.test_comments import MIXED, analysis_of, finding_index, submit
from tests.factories import response_to
from tests.unit.test_progress import record_bars

CSV = (
    "text,sentiment,target,category\n"
    "The technician never showed up for the appointment.,negative,process,delivery\n"
    "My replacement router arrived broken.,negative,product,bug\n"
)


@pytest.fixture
def own_seed_model_dir(
    app: Flask, fresh_install_models: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A model directory of this test's own holding the seed model, as set-up leaves it."""
    monkeypatch.setitem(app.config, "MODEL_DIR", str(fresh_install_models))
    return fresh_install_models


def train_on_part_of_the_seed(
    monkeypatch: pytest.MonkeyPatch, share: float
) -> list[LabelledSentence]:
    """Training reads only ``share`` of the seed sentences (hash-chosen, the same every
    run), and gives them."""
    seed_part = [r for r in seed_sentences() if is_held_out(r.text, share, 1)]
    monkeypatch.setattr(training, "seed_sentences", lambda: list(seed_part))
    return seed_part


@pytest.mark.usefixtures("own_seed_model_dir")
def test_corrections_and_imports_are_used_by_the_next_training(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The training learns from a twentieth of the seed sentences (hash-chosen, so the
    # same every run): this checks which rows it gathers, what it prints and records,
    # and the promotion verdict either way, not accuracy; it trains in seconds, not a
    # minute. The active model is still the full seed model.
    seed_part = train_on_part_of_the_seed(monkeypatch, 0.05)
    reports = auth("reports")
    rid = submit(client, auth, MIXED, {"csat": 1})  # analysed with the seed model
    seed_version = client.get("/api/v1/analysis/models", headers=reports).json["active_version"]
    assert seed_version
    index = finding_index(client, reports, rid, "agent")
    fixed = client.patch(
        f"/api/v1/comments/{rid}",
        json={"sentiment": "negative", "findings": [{"index": index, "category": "rude"}]},
        headers=reports,
    )
    assert fixed.status_code == 200, fixed.json
    imported = client.post(
        "/api/v1/labels/import", data=CSV, content_type="text/csv", headers=reports
    )
    assert imported.status_code == 201, imported.json

    taught = labels_service.training_rows(db_session)
    db_session.commit()
    assert {r.text for r in taught} == {
        MIXED,
        "The agent hung up on me twice.",
        "The technician never showed up for the appointment.",
        "My replacement router arrived broken.",
    }
    expected_train, expected_held = split(deduplicate([*seed_part, *taught]))

    bars = record_bars(monkeypatch, "feedback_service.analysis.cli")
    result = app.test_cli_runner().invoke(args=["analysis", "train"])
    assert result.exit_code == 0, result.output
    assert [(b["length"], b["done"]) for b in bars] == [(3, 3)]
    out = result.output
    assert f"+ {len(taught)} labels (2 corrections, 2 imported rows)" in out
    assert f"{len(expected_train)} trained on, {len(expected_held)} held back" in out
    for head in ("sentiment", "target", "category"):
        assert re.search(rf"^{head}\s+0\.\d{{4}}\s+0\.\d{{4}}\s+0\.\d{{4}}$", out, re.M), out
    candidate = re.search(r"candidate (\S+) (PROMOTED|not promoted)", out)
    assert candidate is not None, out
    assert candidate.group(1) != seed_version  # other rows, another model

    models = client.get("/api/v1/analysis/models", headers=reports).json
    by_version = {m["version"]: m for m in models["items"]}
    assert set(by_version) == {seed_version, candidate.group(1)}
    run = by_version[candidate.group(1)]["training_run"]
    assert run["label_rows"] == len(taught) and run["train_rows"] == len(expected_train)
    assert run["current_version"] == seed_version
    assert set(run["metrics"]) >= {"sentiment", "target", "category"}
    assert [m["active"] for m in models["items"]].count(True) == 1
    promoted = candidate.group(2) == "PROMOTED"
    assert by_version[candidate.group(1)]["active"] is promoted
    assert models["active_version"] == (candidate.group(1) if promoted else seed_version)


@pytest.mark.usefixtures("db_session", "empty_model_dir")
def test_the_training_job_runs_in_the_background_and_workers_pick_up_its_model(
    app: Flask, client: FlaskClient, auth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job trains on a quarter of the seed sentences (hash-chosen, the same every
    # run): this checks the job's path and the model hand-over, and a quarter already
    # gives a real model (target macro-F1 0.83) in a quarter of the time.
    train_on_part_of_the_seed(monkeypatch, 0.25)
    # This process has an older model loaded (no model is promoted in the directory yet).
    real = get_analyzer(
        Path(app.config["DATA_DIR"]) / "models", Path(app.config["DATA_DIR"]) / "nltk"
    )
    with app.app_context():
        set_analyzer(model_dir(), nltk_cache_dir(), CountingAnalyzer(real, "older-model"))
    before = submit(client, auth, MIXED, {"csat": 1})
    reports = auth("reports")
    analysis = analysis_of(client, reports, before)
    assert analysis["model_version"] == "older-model"

    assert client.post("/api/v1/analysis/train", headers=auth("reports")).status_code == 403
    started = client.post("/api/v1/analysis/train", headers=auth("admin"))
    assert started.status_code == 202, started.json
    assert started.json["status"] == "queued" and started.json["trigger"] == "api"
    # The eager worker of the test app ran it after the commit.
    job = client.get(f"/api/v1/analysis/train/{started.json['id']}", headers=auth("reports")).json
    assert job["status"] == "done", job
    assert job["promoted"] is True and job["reasons"][0] == "no promoted model yet"
    # A fresh install has nothing of its own to adapt to, and the job says so.
    assert job["reasons"][1:] == [
        "no domain adapter: 0 rows of this deployment (labels and ratings), too few or "
        "not better than the seed model in cross-validation"
    ]
    assert job["metrics"]["target"]["macro_f1"] > 0.8
    models = client.get("/api/v1/analysis/models", headers=auth("reports")).json
    assert models["active_version"] == job["candidate_version"]
    # The next comment is analysed with the promoted model, without a restart.
    after = submit(client, auth, MIXED, {"csat": 1})
    analysis = analysis_of(client, reports, after)
    assert analysis["model_version"] == job["candidate_version"]


# --- re-scoring --------------------------------------------------------------------


class CountingAnalyzer:
    """The real analyzer under another version name, counting what it is given."""

    def __init__(self, real: Any, version: str) -> None:
        self.real = real
        self.model_version = version
        self.seen: Counter[str] = Counter()

    def analyze(self, text: str, rating: Mapping[str, int] | None = None) -> Result:
        return self.analyze_many([text], [rating])[0]

    def analyze_many(
        self, texts: Sequence[str], ratings: Sequence[Mapping[str, int] | None] | None = None
    ) -> list[Result]:
        self.seen.update(texts)
        results: list[Result] = self.real.analyze_many(texts, ratings)
        for r in results:
            r.model_version = self.model_version
        return results


def bulk_comments(session: Session, n: int, without_comment: int = 50) -> list[int]:
    """``n`` answered tickets with distinct comments (and some without), straight in the DB."""
    tag = secrets.token_hex(3)
    survey = session.scalar(select(Survey).where(Survey.key == "post-ticket"))
    assert survey is not None
    team = Team(external_id=f"team-{tag}", name="Bulk")
    session.add(team)
    session.flush()
    agents = [Agent(external_id=f"bulk-{tag}-{i}", name=f"A{i}", team_id=team.id) for i in range(5)]
    session.add_all(agents)
    session.flush()
    phrases = [
        "The agent was rude to me",
        "The app crashes on login",
        "I waited two hours on hold",
        "Thanks, great and quick help",
        "Billing charged me twice",
    ]
    customers = [
        Customer(external_id=f"c-{tag}-{i}", email=f"c{i}@{tag}.example")
        for i in range(n + without_comment)
    ]
    session.add_all(customers)
    session.flush()
    tickets = [
        Ticket(source="api", external_id=f"t-{tag}-{i}", agent_id=agents[i % 5].id, team_id=team.id)
        for i in range(n + without_comment)
    ]
    session.add_all(tickets)
    session.flush()
    invitations = [
        Invitation(
            token=f"{tag}-{i}-{secrets.token_hex(8)}",
            survey_id=survey.id,
            ticket_id=t.id,
            customer_id=c.id,
            agent_id=t.agent_id,
            team_id=team.id,
            status="sent",
        )
        for i, (t, c) in enumerate(zip(tickets, customers, strict=True))
    ]
    session.add_all(invitations)
    session.flush()
    responses = [
        response_to(
            inv,
            csat=1 + i % 5,
            comment=f"{phrases[i % 5]} (case {tag}-{i})." if i < n else None,
            status="confirmed",
            source="api",
            version=1,
            processed_version=1,
        )
        for i, inv in enumerate(invitations)
    ]
    session.add_all(responses)
    session.flush()
    ids = [r.id for r in responses[:n]]
    session.commit()
    return ids


@pytest.fixture
def counting(app: Flask, empty_model_dir: Path) -> Iterator[Any]:
    """Install counting analyzers for an (empty) model dir: current_analyzer() uses them."""
    real = get_analyzer(
        Path(app.config["DATA_DIR"]) / "models", Path(app.config["DATA_DIR"]) / "nltk"
    )

    def install(version: str) -> CountingAnalyzer:
        fake = CountingAnalyzer(real, version)
        with app.app_context():
            set_analyzer(model_dir(), nltk_cache_dir(), fake)
        return fake

    yield install


def versions(session: Session, ids: list[int]) -> Counter[str]:
    found = Counter(
        session.scalars(
            select(CommentAnalysis.model_version).where(CommentAnalysis.response_id.in_(ids))
        )
    )
    session.commit()
    return found


def test_rescoring_thousands_of_comments_touches_each_exactly_once(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    counting: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = bulk_comments(db_session, 2500)
    first = counting("rescore-a")
    bars = record_bars(monkeypatch, "feedback_service.analysis.cli")
    result = app.test_cli_runner().invoke(args=["analysis", "rescore", "--batch-size", "1000"])
    assert result.exit_code == 0, result.output
    assert "2500 comments scanned, 2500 re-scored with rescore-a" in result.output
    assert [(b["label"], b["length"], b["done"]) for b in bars] == [
        ("re-scoring comments", 2500, 2500)
    ]
    assert sum(first.seen.values()) == 2500 and set(first.seen.values()) == {1}
    assert versions(db_session, ids) == Counter({"rescore-a": 2500})
    findings = db_session.scalar(
        select(func.count()).select_from(CommentFinding).where(CommentFinding.response_id.in_(ids))
    )
    stored = sum(
        len(f)
        for f in db_session.scalars(
            select(CommentAnalysis.findings).where(CommentAnalysis.response_id.in_(ids))
        )
    )
    db_session.commit()
    assert findings == stored and findings >= 2000

    # Everything is at this model already: a second pass scores nothing.
    again = app.test_cli_runner().invoke(args=["analysis", "rescore", "--batch-size", "1000"])
    assert "2500 comments scanned, 0 re-scored" in again.output
    assert sum(first.seen.values()) == 2500

    # A new model, through the background job: batches chained by the (eager) worker.
    second = counting("rescore-b")
    started = client.post(
        "/api/v1/analysis/rescore", json={"batch_size": 700}, headers=auth("admin")
    )
    assert started.status_code == 202, started.json
    run = client.get(f"/api/v1/analysis/rescore/{started.json['id']}", headers=auth("reports")).json
    assert (run["status"], run["scanned"], run["rescored"]) == ("done", 2500, 2500)
    assert sum(second.seen.values()) == 2500 and set(second.seen.values()) == {1}
    assert versions(db_session, ids) == Counter({"rescore-b": 2500})


def test_a_redelivered_batch_does_nothing_and_a_run_resumes_from_its_cursor(
    app: Flask, db_session: Session, counting: Any
) -> None:
    from feedback_service.analysis.comments.tasks import rescore_batch, rescore_once

    ids = bulk_comments(db_session, 250, without_comment=0)
    fake = counting("rescore-c")
    run = rescore.start_run(db_session, "rescore-c", "test", batch_size=100)
    db_session.commit()
    # The chain would go on by itself (eager); call batches as a broker would deliver them.
    outcome = rescore_once(db_session, run.id, 0, fake)
    db_session.commit()
    assert (outcome.status, outcome.scanned, outcome.rescored) == ("batch", 100, 100)
    assert rescore_batch(run.id, 0) == "duplicate"  # the same delivery again
    assert sum(fake.seen.values()) == 100
    # The chain broke here (the next message was lost): resume from the cursor.
    result = app.test_cli_runner().invoke(args=["analysis", "rescore", "--resume", str(run.id)])
    assert result.exit_code == 0, result.output
    assert f"rescore run {run.id} done: 250 comments scanned, 250 re-scored" in result.output
    assert sum(fake.seen.values()) == 250 and set(fake.seen.values()) == {1}
    assert versions(db_session, ids) == Counter({"rescore-c": 250})
    assert rescore_batch(run.id, outcome.cursor) == "finished-already"


def test_rescoring_before_the_first_model_exists_is_a_409_and_builds_nothing_in_the_request(
    client: FlaskClient, auth: Any, db_session: Session, empty_model_dir: Path
) -> None:
    """With no model built yet (``flask analysis build`` not run), the web request answers
    at once instead of spending minutes training (which gunicorn would kill as a 500)."""
    from feedback_service.analysis.models import RescoreRun

    started = client.post(
        "/api/v1/analysis/rescore", json={"batch_size": 500}, headers=auth("admin")
    )
    assert started.status_code == 409, started.json
    assert started.json["error"]["code"] == "model_not_ready"
    assert "GET /api/v1/analysis/models" in started.json["error"]["message"]
    assert started.headers["Retry-After"] == "60"
    assert not empty_model_dir.exists() or not any(empty_model_dir.iterdir())  # nothing trained
    assert db_session.scalar(select(func.count()).select_from(RescoreRun)) == 0
    db_session.commit()
