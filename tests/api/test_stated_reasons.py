"""The customer's stated reason: a choice question mapped to the target, the weak
labels it gives the comment model, and the stated vs inferred attribution report."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.analysis.comments.training import (
    STATED_WEIGHT,
    TrainingData,
    gather,
    new_run,
    record,
)
from feedback_service.analysis.models import CommentAnalysis, CommentFinding
from feedback_service.analysis.text import LabelledSentence, PromotionReport, Taxonomy
from feedback_service.scores.scoring import wilson_interval
from tests.api.test_responses import new_invitation
from tests.api.test_survey_questions import REASON

MAPPED = {**REASON, "maps_to": "target"}


def make(client: FlaskClient, auth: Any, questions: list[dict[str, Any]], key: str = "why") -> Any:
    body = {"key": key, "name": "CSAT with a reason", "questions": questions}
    return client.post("/api/v1/surveys", json=body, headers=auth("admin"))


def set_questions(client: FlaskClient, auth: Any, questions: list[dict[str, Any]]) -> int:
    patched = client.patch(
        "/api/v1/surveys/why", json={"questions": questions}, headers=auth("admin")
    )
    assert patched.status_code == 200, patched.json
    version: int = patched.json["version"]
    return version


def answer(client: FlaskClient, auth: Any, comment: str, agent: str = "A-1", **given: Any) -> int:
    """An answer with a comment through the JSON API (the eager worker analyses it)."""
    token = new_invitation(client, auth, survey="why", agent={"id": agent, "name": agent})["token"]
    sent = client.post(
        "/api/v1/responses", json={"token": token, "answers": given, "comment": comment}
    )
    assert sent.status_code == 201, sent.json
    response_id: int = sent.json["id"]
    return response_id


@pytest.mark.parametrize(
    ("question", "index"),
    [
        ({"key": "easy", "type": "rating", "scale": 5, "wording": {"en": "Easy?"}}, 1),
        (
            {
                "key": "where",
                "type": "multi",
                "wording": {"en": "Where?"},
                "options": REASON["options"],
            },
            1,
        ),
        ({**REASON, "options": [{"value": "price"}, {"value": "other"}]}, 1),
        ({**REASON, "maps_to": "category"}, 1),
        ({"metric": "nps"}, 1),
    ],
)
def test_maps_to_is_refused_where_no_target_can_be_stated(
    client: FlaskClient, auth: Any, db_session: Session, question: dict[str, Any], index: int
) -> None:
    refused = make(
        client,
        auth,
        [{"metric": "csat"}, {**question, "maps_to": question.get("maps_to", "target")}],
    )
    assert refused.status_code == 422
    assert list(refused.json["error"]["fields"]) == [f"questions.{index}.maps_to"]


def test_only_one_question_maps_to_the_target_and_the_mapping_is_shown_and_versioned(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    twice = make(client, auth, [{"metric": "csat"}, MAPPED, {**MAPPED, "key": "why_else"}])
    assert twice.status_code == 422
    assert list(twice.json["error"]["fields"]) == ["questions.2.maps_to"]

    made = make(client, auth, [{"metric": "csat"}, MAPPED])
    assert made.status_code == 201, made.json
    assert [q["maps_to"] for q in made.json["questions"]] == [None, "target"]
    set_questions(client, auth, [{"metric": "csat"}, REASON])
    first = client.get("/api/v1/surveys/why/versions/1", headers=auth("admin")).json
    now = client.get("/api/v1/surveys/why", headers=auth("admin")).json
    assert first["questions"][1]["maps_to"] == "target"
    assert now["questions"][1]["maps_to"] is None


def test_gather_takes_the_stated_reason_under_the_version_it_was_given(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    assert make(client, auth, [{"metric": "csat"}, REASON]).status_code == 201
    answer(client, auth, "Nobody said what the fee was for.", csat=2, reason="process")
    set_questions(client, auth, [{"metric": "csat"}, MAPPED])
    answer(client, auth, "Waited a week for a reply.", csat=2, reason="agent")
    answer(client, auth, "The export button does nothing.", csat=1, reason="product")
    answer(client, auth, "Could not say why.", csat=2, reason="other")
    answer(client, auth, "No comment on the reason.", csat=5)
    labelled = "The export button does nothing."
    imported = client.post(
        "/api/v1/labels/import",
        data=f"text,sentiment,target,category\n{labelled},negative,process,\n",
        content_type="text/csv",
        headers=auth("reports"),
    )
    assert imported.status_code == 201, imported.json
    # Mapped no more: the answers given under version 2 still state their reason.
    set_questions(client, auth, [{"metric": "csat"}, REASON])
    answer(client, auth, "The app froze twice.", csat=1, reason="product")

    data = gather(db_session)
    db_session.commit()
    assert data.stated == [
        LabelledSentence("Waited a week for a reply.", None, "agent", weight=STATED_WEIGHT)
    ]
    assert LabelledSentence(labelled, "negative", "process") in data.labels


def test_a_training_run_shows_how_many_stated_rows_it_used(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    run = new_run(db_session, "api", "test")
    stated = [LabelledSentence("Waited a week for a reply.", None, "agent", weight=STATED_WEIGHT)]
    data = TrainingData([], [], Taxonomy.default(), stated=stated)
    report = PromotionReport("2026.12.05-abcdef12", False, {}, None, None, 10, 2, stated_rows=1)
    record(db_session, run, data, report)
    db_session.commit()
    shown = client.get(f"/api/v1/analysis/train/{run.id}", headers=auth("reports")).json
    assert shown["stated_rows"] == 1
    models = client.get("/api/v1/analysis/models", headers=auth("reports")).json["items"]
    made = next(m for m in models if m["version"] == "2026.12.05-abcdef12")
    assert made["stated_rows"] == 1 and made["training_run"]["stated_rows"] == 1


# --- the report ------------------------------------------------------------------

# (agent, csat, stated reason, comment)
ANSWERS = [
    ("A-1", 1, "product", "The agent was rude and hung up on me."),
    ("A-1", 2, "product", "The app crashes every time I open the invoice."),
    ("A-1", 2, "agent", "The agent never called me back."),
    ("A-1", 3, "other", "Nothing to add, really slow though."),
    ("A-2", 1, "process", "The refund policy makes no sense and took a month."),
    ("A-2", 2, "product", "Your agent gave me the wrong answer twice."),
    ("A-2", 2, "agent", "The search feature is broken since the update."),
    ("A-3", 5, None, "Lovely, thanks."),
]


@pytest.fixture
def answered(client: FlaskClient, auth: Any, db_session: Session) -> dict[int, tuple[str, str]]:
    """Response id -> (agent, stated target) of the answers that state one."""
    assert make(client, auth, [{"metric": "csat"}, MAPPED]).status_code == 201
    stated = {}
    for agent, csat, reason, comment in ANSWERS:
        given: dict[str, Any] = {"csat": csat, **({"reason": reason} if reason else {})}
        response_id = answer(client, auth, comment, agent, **given)
        if reason in ("agent", "product", "process"):
            stated[response_id] = (agent, reason)
    return stated


def independent_inferred(session: Session, response_id: int) -> str:
    """The model's target as the report defines it, from the stored findings."""
    assert session.scalar(
        select(CommentAnalysis.supported).where(CommentAnalysis.response_id == response_id)
    )
    findings = session.execute(
        select(CommentFinding.target, CommentFinding.sentiment, CommentFinding.confidence)
        .where(CommentFinding.response_id == response_id)
        .order_by(CommentFinding.position)
    ).all()
    negative = [f for f in findings if f.sentiment == "negative"]
    ranked = sorted(negative or findings, key=lambda f: -(f.confidence or 0))
    return ranked[0].target if ranked else "none"


def test_the_attribution_report_equals_an_independent_count(
    client: FlaskClient, auth: Any, db_session: Session, answered: dict[int, tuple[str, str]]
) -> None:
    inferred = {rid: independent_inferred(db_session, rid) for rid in answered}
    db_session.commit()
    got = client.get("/api/v1/reports/attribution", headers=auth("reports"))
    assert got.status_code == 200, got.json
    report = got.json

    def expect(group: dict[str, Any], rids: list[int]) -> None:
        pairs = Counter((answered[r][1], inferred[r]) for r in rids)
        assert group["n"] == len(rids)
        assert {
            (s, i): c for s, row in group["counts"].items() for i, c in row.items() if c
        } == dict(pairs)
        agree = sum(c for (s, i), c in pairs.items() if s == i)
        assert group["agreement"]["count"] == agree
        assert group["agreement"]["share"] == pytest.approx(agree / len(rids))
        interval = wilson_interval(agree, len(rids))
        assert group["agreement"]["interval"] == pytest.approx(
            {"low": interval.low, "high": interval.high}
        )
        product = [r for r in rids if answered[r][1] == "product"]
        says_agent = sum(1 for r in product if inferred[r] == "agent")
        rate = group["product_says_agent"]
        assert (rate["count"], rate["n"]) == (says_agent, len(product))
        if product:
            assert rate["share"] == pytest.approx(says_agent / len(product))

    expect(report["overall"], list(answered))
    assert report["overall"]["n"] == 6  # "other" and no reason state no target
    assert [g["id"] for g in report["by_agent"]] == ["A-1", "A-2"]
    for group in report["by_agent"]:
        expect(group, [r for r, (agent, _) in answered.items() if agent == group["id"]])
    # The plainest complaint about an agent, blamed on the product by its customer.
    rude = next(r for r, (a, s) in answered.items() if a == "A-1" and s == "product")
    assert inferred[rude] == "agent"
    assert report["overall"]["product_says_agent"]["count"] >= 1

    only = client.get("/api/v1/reports/attribution?agent=A-2", headers=auth("reports")).json
    assert only["overall"]["n"] == 3 and [g["id"] for g in only["by_agent"]] == ["A-2"]
    exported = client.get("/api/v1/reports/attribution?format=csv", headers=auth("reports"))
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["scope"], r["id"], int(r["n"])) for r in rows] == [
        ("all", "", 6),
        ("agent", "A-1", 3),
        ("agent", "A-2", 3),
    ]
    assert (
        int(rows[0]["stated_product_model_agent"])
        == report["overall"]["counts"]["product"]["agent"]
    )
    bad = client.get("/api/v1/reports/attribution?agent=NOBODY", headers=auth("reports"))
    assert bad.status_code == 422 and "agent" in bad.json["error"]["fields"]
    assert client.get("/api/v1/reports/attribution", headers=auth("ingest")).status_code == 403


def test_without_a_mapped_question_the_report_is_empty(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    assert make(client, auth, [{"metric": "csat"}, REASON]).status_code == 201
    answer(client, auth, "The agent was rude.", csat=1, reason="agent")
    report = client.get("/api/v1/reports/attribution", headers=auth("reports")).json
    assert report["overall"]["n"] == 0 and report["by_agent"] == []
    assert report["overall"]["agreement"]["share"] is None
