"""Batched answer processing (``process_responses``): a batch leaves what processing
the answers one by one leaves (rollups equal to a rebuild, every comment analysed
as the model reads it alone, each alert raised once), a re-delivered batch is a
no-op, an amended answer is processed again, and one answer that fails costs the
others nothing."""

from __future__ import annotations

import random
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.alerts import rules
from feedback_service.alerts.models import Alert
from feedback_service.alerts.service import get_settings
from feedback_service.analysis.comments.analyzer import current_analyzer
from feedback_service.analysis.comments.service import ResponseFacts
from feedback_service.analysis.models import CommentAnalysis
from feedback_service.scores import processing, rollups
from feedback_service.scores.signals import answer_processed
from feedback_service.scores.tasks import process_response, process_responses
from feedback_service.surveys.models import Response
from tests.integration.test_rollups import expected_cells, make_world

COMMENTS = [
    None,
    "",
    "Thanks, quick help.",
    "Still broken after three emails, nobody reads what I write.",
    "Dana was lovely but the export still crashes every time.",
    "Fast and friendly, solved on the first call.",
    "The app keeps logging me out and support just closed the ticket.",
    "Merci, très rapide et efficace.",
]


def seeded_world(session: Session, seed: int, n_tickets: int = 150) -> list[Response]:
    rng = random.Random(seed)
    world = make_world(session, rng, n_tickets=n_tickets, provisional_rate=0.05)
    for response in world.responses:
        response.comment = rng.choice(COMMENTS)
    session.commit()
    return world.responses


def rollups_equal_a_rebuild(session: Session) -> None:
    session.expire_all()
    daily, coarser = rollups.histogram_rows(session), rollups.coarser_rows(session)
    monthly = rollups.monthly_rows(session)
    rollups.rebuild(session)
    assert rollups.histogram_rows(session) == daily
    assert rollups.coarser_rows(session) == coarser
    assert rollups.monthly_rows(session) == monthly
    session.rollback()


def alerted(session: Session, ids: list[int]) -> dict[int, int]:
    keys = {f"response:{i}": i for i in ids}
    rows = session.execute(
        select(Alert.dedupe_key, func.count())
        .where(Alert.dedupe_key.in_(keys))
        .group_by(Alert.dedupe_key)
    )
    out = {keys[key]: int(n) for key, n in rows}
    session.commit()
    return out


def should_alert(session: Session, responses: list[Response]) -> set[int]:
    settings = get_settings(session)
    return {
        r.id
        for r in responses
        if r.status == "confirmed"
        and rules.alarming(r.answers(), r.comment, settings.triggers, settings.require_comment)
    }


def test_a_batch_leaves_what_one_by_one_leaves_and_a_redelivery_is_a_no_op(
    app: Flask, db_session: Session
) -> None:
    responses = seeded_world(db_session, seed=21)
    ids = [r.id for r in responses]
    assert len(ids) > 60
    outcome = process_responses(ids)
    assert outcome == {"processed": len(ids)}
    db_session.expire_all()
    responses = list(db_session.scalars(select(Response).where(Response.id.in_(ids))))
    assert all(r.processed_version == r.version for r in responses)
    assert rollups.histogram_rows(db_session) == expected_cells(responses)
    db_session.commit()
    rollups_equal_a_rebuild(db_session)

    # Every comment analysed at its version, as the model reads it alone.
    analyzer = current_analyzer()
    stored = {a.response_id: a for a in db_session.scalars(select(CommentAnalysis))}
    commented = [r for r in responses if (r.comment or "").strip()]
    assert commented and {r.id for r in commented} <= set(stored)
    assert not {r.id for r in responses if not (r.comment or "").strip()} & set(stored)
    for r in commented[:25]:
        facts = ResponseFacts.of(r)
        alone = analyzer.analyze(facts.comment, facts.ratings)
        assert (stored[r.id].response_version, stored[r.id].model_version) == (
            r.version,
            analyzer.model_version,
        )
        assert stored[r.id].model_sentiment == (alone.sentiment if alone.supported else None)
        assert stored[r.id].sentiment_score == alone.score
    # Alerts: exactly the alarming answers, once each.
    expected = should_alert(db_session, responses)
    db_session.commit()
    assert expected, "the world should hold some unhappy answers with a comment"
    assert alerted(db_session, ids) == dict.fromkeys(expected, 1)

    # A re-delivered batch (and a single re-delivery) changes nothing.
    cells = rollups.histogram_rows(db_session)
    db_session.commit()
    assert process_responses(ids) == {"up-to-date": len(ids)}
    assert process_response(ids[0]) == "up-to-date"
    assert process_responses([10**9, ids[1]]) == {"missing": 1, "up-to-date": 1}
    assert rollups.histogram_rows(db_session) == cells
    db_session.commit()
    assert alerted(db_session, ids) == dict.fromkeys(expected, 1)


def test_an_amended_answer_in_a_batch_is_processed_again(app: Flask, db_session: Session) -> None:
    responses = seeded_world(db_session, seed=22, n_tickets=60)
    ids = [r.id for r in responses]
    assert process_responses(ids) == {"processed": len(ids)}
    amended = db_session.get_one(Response, ids[3])
    amended.csat, amended.comment = 1, "Worse than ever, the refund never came."
    amended.status = "confirmed"
    amended.version += 1
    db_session.commit()
    assert process_responses(ids) == {"processed": 1, "up-to-date": len(ids) - 1}
    db_session.expire_all()
    responses = list(db_session.scalars(select(Response).where(Response.id.in_(ids))))
    assert rollups.histogram_rows(db_session) == expected_cells(responses)
    analysis = db_session.scalars(
        select(CommentAnalysis).where(CommentAnalysis.response_id == amended.id)
    ).one()
    assert analysis.response_version == amended.version
    db_session.commit()
    rollups_equal_a_rebuild(db_session)


def test_one_failing_answer_leaves_the_rest_of_its_batch_processed(
    app: Flask, db_session: Session
) -> None:
    responses = seeded_world(db_session, seed=23, n_tickets=80)
    ids = [r.id for r in responses]
    bad = ids[len(ids) // 3]

    def broken(_sender: Any, *, response: Response, **_kw: Any) -> None:
        if response.id == bad:
            raise RuntimeError("a subscriber failed on this answer")

    with answer_processed.connected_to(broken):
        outcome = process_responses(ids)
    assert outcome == {"processed": len(ids) - 1, "failed": 1}
    versions = dict(
        db_session.execute(select(Response.id, Response.processed_version)).tuples().all()
    )
    db_session.commit()
    assert versions[bad] == 0
    assert all(versions[i] == 1 for i in ids if i != bad)
    # The sweep's retry, every subscriber well: the last one is processed, once.
    assert process_responses(ids) == {"processed": 1, "up-to-date": len(ids) - 1}
    db_session.expire_all()
    responses = list(db_session.scalars(select(Response).where(Response.id.in_(ids))))
    assert rollups.histogram_rows(db_session) == expected_cells(responses)
    db_session.commit()
    rollups_equal_a_rebuild(db_session)


def test_batches_are_sorted_chunks_of_the_batch_size() -> None:
    ids = [*range(processing.BATCH_SIZE * 2 + 5, 0, -1), 3, 3]
    chunks = processing.batches(ids)
    assert [len(c) for c in chunks] == [processing.BATCH_SIZE, processing.BATCH_SIZE, 5]
    assert [i for c in chunks for i in c] == sorted(set(ids))
