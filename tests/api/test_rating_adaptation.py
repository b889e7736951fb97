"""The daily adaptation of the comment model to the deployment's own rated comments:
queued by the beat task once enough came in, never twice while one is pending, and
listed with its rating-derived rows in ``GET /api/v1/analysis/models``."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments.analyzer import current_analyzer
from feedback_service.analysis.comments.tasks import schedule_rating_adaptation
from feedback_service.analysis.models import CommentAnalysis, TrainingRun
from feedback_service.analysis.text.data import is_held_out
from feedback_service.helpdesk.models import Customer, Ticket
from feedback_service.surveys.models import Invitation, Response, Survey

# COMPLAINTS and PRAISE: a telecom desk's own words, which the seed model has never
# seen; its customers rate "tier two" (a second wait) low and a "line sync fix"
# (fixed at once) high; out of the box the praise reads as neutral.
from tests.unit.analysis.text.test_rating_adaptation import COMPLAINTS, PRAISE


@pytest.fixture
def adaptation(app: Flask, fresh_install_models: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Its own model directory holding the seed model, and small thresholds."""
    path = fresh_install_models
    monkeypatch.setitem(app.config, "MODEL_DIR", str(path))
    monkeypatch.setitem(app.config, "RATING_ADAPTATION_MIN_COMMENTS", 30)
    monkeypatch.setitem(app.config, "RATING_ADAPTATION_MIN_NEW", 10)
    # A few dozen rows nudge the seed's held-back sentiment F1 by a sentence or two.
    monkeypatch.setitem(app.config, "MODEL_PROMOTION_TOLERANCE", 0.01)
    with app.app_context():
        current_analyzer()  # the seed model, as a fresh install promotes it at first use
    return path


def rated_comments(
    session: Session, n: int, *, supported: bool = True, status: str = "confirmed"
) -> list[str]:
    """``n`` answered tickets, each a comment with a clear CSAT (1 for a complaint, 5
    for praise) and its analysis row, straight in the DB. Returns the comments."""
    tag = secrets.token_hex(3)
    survey = session.scalar(select(Survey).where(Survey.key == "post-ticket"))
    assert survey is not None
    texts = []
    for i in range(n):
        customer = Customer(external_id=f"rated-{tag}-{i}", email=f"r{i}@{tag}.example")
        ticket = Ticket(source="api", external_id=f"rated-{tag}-{i}")
        session.add_all([customer, ticket])
        session.flush()
        invitation = Invitation(
            token=f"{tag}-{i}-{secrets.token_hex(8)}",
            survey_id=survey.id,
            ticket_id=ticket.id,
            customer_id=customer.id,
            status="answered",
        )
        session.add(invitation)
        session.flush()
        negative = i % 2 == 0
        template = (COMPLAINTS if negative else PRAISE)[i // 2 % 3]
        text = template.format(n=f"{tag}-{i}") + "."
        response = Response(
            invitation_id=invitation.id,
            survey_id=survey.id,
            ticket_id=ticket.id,
            customer_id=customer.id,
            csat=1 if negative else 5,
            comment=text,
            status=status,
            source="api",
            version=1,
            processed_version=1,
        )
        session.add(response)
        session.flush()
        session.add(
            CommentAnalysis(
                response_id=response.id,
                model_version="seed",
                language="en" if supported else "xx",
                supported=supported,
                sentiment=("negative" if negative else "positive") if supported else None,
            )
        )
        texts.append(text)
    session.commit()
    return texts


def ratings_runs(session: Session) -> int:
    count = session.scalar(
        select(func.count(TrainingRun.id)).where(TrainingRun.trigger == "ratings")
    )
    session.commit()
    return int(count or 0)


def test_enough_rated_comments_adapt_the_model_on_the_beat_task(
    client: FlaskClient, auth: Any, db_session: Session, adaptation: Path
) -> None:
    reports = auth("reports")
    seed_version = client.get("/api/v1/analysis/models", headers=reports).json["active_version"]
    first = rated_comments(db_session, 24)
    # Neither an unsupported language nor an unconfirmed (maybe a mail scanner's)
    # rating counts towards the threshold.
    rated_comments(db_session, 6, supported=False)
    rated_comments(db_session, 6, status="provisional")

    assert schedule_rating_adaptation() == "skipped"  # 24 < 30
    assert ratings_runs(db_session) == 0

    probe = "Router 31 got the line sync fix."
    assert current_analyzer().analyze(probe).sentiment != "positive"
    second = rated_comments(db_session, 66)
    assert schedule_rating_adaptation() == "queued"  # the eager worker trained it
    run = db_session.scalars(select(TrainingRun).where(TrainingRun.trigger == "ratings")).one()
    db_session.commit()
    # Every rated comment is a row of the domain adapter, except those whose text
    # hash falls in the held-back split.
    expected = sum(not is_held_out(t) for t in [*first, *second])
    assert run.status == "done", run.error
    assert run.rating_rows == expected > 0

    models = client.get("/api/v1/analysis/models", headers=reports).json
    adapted = next(m for m in models["items"] if m["trigger"] == "ratings")
    assert adapted["rating_rows"] == expected
    assert adapted["version"] != seed_version
    job = adapted["training_run"]
    assert job["rating_rows"] == expected and job["current_version"] == seed_version
    assert job["promoted"] is True and adapted["active"] is True
    assert models["active_version"] == adapted["version"]
    assert "held-back rows labelled by people" in job["reasons"][0]
    assert f"domain adapter on {expected} rows" in job["reasons"][1]
    assert adapted["metrics"]["adapter"]["sources"] == {"rating": expected}
    # What a manager notices: the desk's jargon is now read as its customers mean it.
    assert current_analyzer().analyze(probe).sentiment == "positive"
    # The check was on people's labels only: as many held-back rows as the seed alone.
    seed_model = next(m for m in models["items"] if m["version"] == seed_version)
    assert job["held_out_rows"] == seed_model["metrics"]["n"]

    # Nothing new since: no second run.
    assert schedule_rating_adaptation() == "skipped"
    assert ratings_runs(db_session) == 1


def test_no_second_adaptation_is_queued_while_one_is_pending(
    db_session: Session, adaptation: Path
) -> None:
    rated_comments(db_session, 40)
    pending = TrainingRun(status="queued", trigger="ratings", requested_by="schedule")
    db_session.add(pending)
    db_session.commit()

    assert schedule_rating_adaptation() == "skipped"
    assert ratings_runs(db_session) == 1
    db_session.refresh(pending)
    assert pending.status == "queued"
