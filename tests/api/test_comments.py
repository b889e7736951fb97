"""Comment analysis through the API: the worker's analysis of each comment, managers'
corrections, label import, the taxonomy, filters, pagination and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedback_service.analysis.comments import labels as labels_service
from feedback_service.analysis.models import CommentAnalysis, CommentFinding, CommentLabel
from feedback_service.surveys.models import Response
from tests.factories import invitation_payload
from tests.helpers import row_count

MIXED = "The agent hung up on me twice. The app still crashes every time I open it."


def submit(
    client: FlaskClient,
    auth: Any,
    comment: str,
    answers: dict[str, Any] | None = None,
    **invitation: Any,
) -> int:
    """A comment as a customer leaves it: invitation through the dispatch API, answer
    through the widget endpoint (the eager worker processes it on commit)."""
    payload = invitation_payload(delivery="link", **invitation)
    made = client.post("/api/v1/invitations", json=payload, headers=auth("ingest"))
    assert made.status_code == 201, made.json
    answer = client.post(
        "/api/v1/responses",
        json={"token": made.json["token"], "answers": answers or {"csat": 3}, "comment": comment},
    )
    assert answer.status_code == 201, answer.json
    response_id: int = answer.json["id"]
    return response_id


def analysis_of(client: FlaskClient, headers: dict[str, str], response_id: int) -> Any:
    """The comment's analysis as ``GET /api/v1/comments/<id>`` shows it."""
    return client.get(f"/api/v1/comments/{response_id}", headers=headers).json["analysis"]


def analysed_detractor_comment(
    client: FlaskClient, auth: Any, comment: str
) -> tuple[int, Any, dict[str, str]]:
    """A comment left with CSAT 1: its response id, its analysis, and the reports key's
    headers that read it."""
    response_id = submit(client, auth, comment, {"csat": 1})
    reports = auth("reports")
    return response_id, analysis_of(client, reports, response_id), reports


def finding_index(
    client: FlaskClient, headers: dict[str, str], response_id: int, target: str
) -> int:
    """The index of the comment's first finding about ``target``."""
    findings = analysis_of(client, headers, response_id)["findings"]
    return next(i for i, f in enumerate(findings) if f["target"] == target)


def amend(client: FlaskClient, session: Session, response_id: int, comment: str, csat: int) -> None:
    token = session.scalar(select(Response).where(Response.id == response_id)).invitation.token  # type: ignore[union-attr]
    session.commit()
    answer = client.post(
        "/api/v1/responses", json={"token": token, "answers": {"csat": csat}, "comment": comment}
    )
    assert answer.status_code in (200, 201), answer.json


def finding_rows(session: Session, response_id: int) -> list[tuple[str, str | None, str]]:
    rows = [
        (r.target, r.category, r.sentence)
        for r in session.scalars(
            select(CommentFinding)
            .where(CommentFinding.response_id == response_id)
            .order_by(CommentFinding.position)
        )
    ]
    session.commit()
    return rows


def test_a_comment_is_analysed_with_its_sentences_rating_and_model_version(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    rid = submit(client, auth, MIXED, {"csat": 1})
    reports = auth("reports")
    body = client.get(f"/api/v1/comments/{rid}", headers=reports).json
    analysis = body["analysis"]
    assert analysis is not None, "the worker stored no analysis"
    assert analysis["supported"] is True and analysis["language"] == "en"
    assert analysis["sentiment"] == "negative" and analysis["sentiment_score"] < -0.2
    by_target = {f["target"]: f for f in analysis["findings"]}
    assert by_target["agent"]["sentence"] == "The agent hung up on me twice."
    assert by_target["product"]["category"] == "bug"
    assert analysis["key_phrases"]
    models = client.get("/api/v1/analysis/models", headers=reports).json
    assert analysis["model_version"] == models["active_version"]
    assert [m["version"] for m in models["items"] if m["active"]] == [models["active_version"]]
    # The same findings as rows, for filtering and for the patterns.
    assert finding_rows(db_session, rid) == [
        (f["target"], f["category"], f["sentence"]) for f in analysis["findings"]
    ]
    assert body["answers"]["csat"] == 1 and body["comment"] == MIXED


def test_an_amended_comment_is_analysed_again_and_a_redelivery_changes_nothing(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    from feedback_service.scores.tasks import process_response

    rid = submit(client, auth, MIXED, {"csat": 1})
    amend(client, db_session, rid, "Thank you, Dana was wonderful and fixed it fast.", 5)
    analysis = analysis_of(client, auth("reports"), rid)
    assert analysis["response_version"] == 2
    assert analysis["sentiment"] == "positive"
    assert "product" not in {f["target"] for f in analysis["findings"]}
    assert ("product", "bug") not in {(t, c) for t, c, _ in finding_rows(db_session, rid)}

    db_session.execute(
        update(Response)
        .where(Response.id == rid)
        .values(processed_version=0, updated_at=Response.updated_at)
    )
    db_session.commit()
    stamp = db_session.scalar(
        select(CommentAnalysis.updated_at).where(CommentAnalysis.response_id == rid)
    )
    db_session.commit()
    assert process_response(rid) == "processed"
    again = db_session.scalar(
        select(CommentAnalysis.updated_at).where(CommentAnalysis.response_id == rid)
    )
    db_session.commit()
    assert again == stamp, "the same version with the same model was analysed twice"


@pytest.mark.usefixtures("db_session")
def test_the_rating_of_the_answer_moves_the_sentiment(client: FlaskClient, auth: Any) -> None:
    text = "It was fine I guess, the call took a while."
    low = submit(client, auth, text, {"csat": 1})
    high = submit(client, auth, text, {"csat": 5})
    reports = auth("reports")
    low_a = analysis_of(client, reports, low)
    high_a = analysis_of(client, reports, high)
    assert low_a["sentiment_score"] < high_a["sentiment_score"] - 0.3


def test_a_german_comment_gets_a_german_analysis(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    rid, analysis, reports = analysed_detractor_comment(
        client,
        auth,
        "Der Mitarbeiter war sehr unfreundlich. Die App stürzt beim Bezahlen ständig ab.",
    )
    assert analysis["supported"] is True and analysis["language"] == "de"
    assert analysis["sentiment"] == "negative" and analysis["sentiment_score"] < -0.2
    by_target = {f["target"]: f for f in analysis["findings"]}
    assert by_target["agent"]["sentence"] == "Der Mitarbeiter war sehr unfreundlich."
    assert by_target["agent"]["category"] == "rude"
    assert by_target["product"]["category"] == "bug"
    assert analysis["key_phrases"]
    assert finding_rows(db_session, rid) == [
        (f["target"], f["category"], f["sentence"]) for f in analysis["findings"]
    ]
    listed = client.get("/api/v1/comments?target=agent&sentiment=negative", headers=reports).json
    assert rid in [i["id"] for i in listed["items"]]


def test_a_comment_in_an_unsupported_language_is_never_neutral(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    rid, analysis, reports = analysed_detractor_comment(
        client, auth, "Le conseiller était très désagréable et n'a pas résolu mon problème."
    )
    assert analysis["supported"] is False and analysis["language"] == "fr"
    assert analysis["sentiment"] is None and analysis["sentiment_score"] is None
    assert analysis["findings"] == []
    stored = db_session.scalar(select(CommentAnalysis).where(CommentAnalysis.response_id == rid))
    assert stored is not None and stored.sentiment is None and stored.supported is False
    db_session.commit()
    unsupported = client.get("/api/v1/comments?sentiment=unsupported", headers=reports).json
    neutral = client.get("/api/v1/comments?sentiment=neutral", headers=reports).json
    assert rid in [i["id"] for i in unsupported["items"]]
    assert rid not in [i["id"] for i in neutral["items"]]


# --- corrections ---------------------------------------------------------------------


def test_a_correction_shows_with_the_original_kept_and_filters_follow_it(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    rid, before, reports = analysed_detractor_comment(client, auth, MIXED)
    agent_index = next(i for i, f in enumerate(before["findings"]) if f["target"] == "agent")
    model_category = before["findings"][agent_index]["category"]
    new_category = "unhelpful" if model_category != "unhelpful" else "rude"

    answer = client.patch(
        f"/api/v1/comments/{rid}",
        json={
            "sentiment": "mixed",
            "findings": [
                {"index": agent_index, "category": new_category},
                {"sentence": "I open it", "target": "product", "category": "usability"},
            ],
        },
        headers=reports,
    )
    assert answer.status_code == 200, answer.json
    after = answer.json["analysis"]
    assert after["corrected"] is True
    assert after["sentiment"] == "mixed"
    assert after["original"] == {"sentiment": before["sentiment"]}
    fixed = next(f for f in after["findings"] if f["sentence"] == "The agent hung up on me twice.")
    assert (fixed["target"], fixed["category"], fixed["corrected"]) == (
        "agent",
        new_category,
        True,
    )
    assert fixed["original"]["category"] == model_category
    added = next(f for f in after["findings"] if f["sentence"] == "I open it")
    assert added["corrected"] is True and added["original"] is None
    untouched = [f for f in after["findings"] if not f["corrected"]]
    assert all(f["original"] is None for f in untouched)
    # GET shows the same; reports filter on what the manager said.
    assert analysis_of(client, reports, rid) == after

    def ids(**query: Any) -> list[int]:
        body = client.get("/api/v1/comments", query_string=query, headers=reports).json
        return [i["id"] for i in body["items"]]

    assert rid in ids(category=f"agent/{new_category}")
    assert rid not in ids(category=f"agent/{model_category}")
    assert rid in ids(category="usability", target="product")
    assert rid in ids(corrected="true") and rid not in ids(corrected="false")
    assert rid in ids(sentiment="mixed")
    stored = db_session.scalar(select(CommentAnalysis).where(CommentAnalysis.response_id == rid))
    assert stored is not None and stored.model_sentiment == before["sentiment"]
    db_session.commit()
    labels = db_session.scalars(select(CommentLabel).where(CommentLabel.response_id == rid)).all()
    assert {(lb.sentence, lb.sentiment, lb.target, lb.category) for lb in labels} == {
        (None, "mixed", None, None),
        ("The agent hung up on me twice.", None, "agent", new_category),
        ("I open it", None, "product", "usability"),
    }
    assert all(lb.created_by.startswith("api-key:") and lb.created_at for lb in labels)
    db_session.commit()


@pytest.mark.parametrize(
    ("fix", "field"),
    [
        ({"index": 0, "category": "no-such-thing"}, "findings.0.category"),
        ({"index": 0, "target": "product"}, "findings.0.category"),
        ({"index": 9, "category": "rude"}, "findings.0.index"),
        ({"sentence": "Not in the comment.", "target": "agent"}, "findings.0.sentence"),
        ({"sentence": "I open it", "category": "bug"}, "findings.0.target"),
        ({"index": 0, "target": "weather", "category": "rude"}, "findings.0.target"),
    ],
)
def test_a_bad_correction_is_422_naming_the_field_and_changes_nothing(
    client: FlaskClient, auth: Any, db_session: Session, fix: dict[str, Any], field: str
) -> None:
    rid = submit(client, auth, MIXED, {"csat": 1})
    reports = auth("reports")
    before = client.get(f"/api/v1/comments/{rid}", headers=reports).json
    # A valid comment-level sentiment next to the bad finding must not be stored either.
    answer = client.patch(
        f"/api/v1/comments/{rid}",
        json={"sentiment": "positive", "findings": [fix]},
        headers=reports,
    )
    assert answer.status_code == 422, answer.json
    assert field in answer.json["error"]["fields"]
    assert row_count(db_session, CommentLabel) == 0
    assert client.get(f"/api/v1/comments/{rid}", headers=reports).json == before


@pytest.mark.usefixtures("db_session")
def test_corrections_need_the_reports_scope_and_an_existing_comment(
    client: FlaskClient, auth: Any
) -> None:
    rid = submit(client, auth, MIXED, {"csat": 1})
    denied = client.patch(
        f"/api/v1/comments/{rid}", json={"sentiment": "positive"}, headers=auth("ingest")
    )
    assert denied.status_code == 403
    missing = client.patch(
        "/api/v1/comments/999999999", json={"sentiment": "positive"}, headers=auth("reports")
    )
    assert missing.status_code == 404


# --- taxonomy and label import -------------------------------------------------------


@pytest.mark.usefixtures("db_session")
def test_a_manager_adds_a_category_and_uses_it_at_once(client: FlaskClient, auth: Any) -> None:
    reports = auth("reports")
    made = client.post(
        "/api/v1/analysis/categories",
        json={"target": "product", "name": "Hardware"},
        headers=reports,
    )
    assert made.status_code == 201, made.json
    assert made.json == {"target": "product", "name": "hardware", "created": True}
    again = client.post(
        "/api/v1/analysis/categories",
        json={"target": "product", "name": "hardware"},
        headers=reports,
    )
    assert again.status_code == 200 and again.json["created"] is False
    bad_target = client.post(
        "/api/v1/analysis/categories", json={"target": "weather", "name": "rain"}, headers=reports
    )
    assert bad_target.status_code == 422 and "target" in bad_target.json["error"]["fields"]
    bad_name = client.post(
        "/api/v1/analysis/categories", json={"target": "product", "name": "a b!"}, headers=reports
    )
    assert bad_name.status_code == 422 and "name" in bad_name.json["error"]["fields"]

    taxonomy = client.get("/api/v1/analysis/categories", headers=reports).json
    product = {c["name"]: c for c in taxonomy["categories"]["product"]}
    assert product["hardware"]["shipped"] is False and product["bug"]["shipped"] is True

    rid = submit(client, auth, MIXED, {"csat": 1})
    index = finding_index(client, reports, rid, "product")
    fixed = client.patch(
        f"/api/v1/comments/{rid}",
        json={"findings": [{"index": index, "category": "hardware"}]},
        headers=reports,
    )
    assert fixed.status_code == 200, fixed.json
    listed = client.get("/api/v1/comments?category=product/hardware", headers=reports).json
    assert [i["id"] for i in listed["items"]] == [rid]


GOOD_CSV = (
    "text,sentiment,target,category\n"
    "The agent never called me back.,negative,agent,unhelpful\n"
    "Love the new dashboard,positive,,\n"
    "The invoice was charged twice,negative,process,billing-process\n"
    "I called on Tuesday.,neutral,none,\n"
)


def test_a_label_csv_is_imported_by_upload_or_as_the_body(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    reports = auth("reports")
    upload = client.post(
        "/api/v1/labels/import",
        data={"file": (io.BytesIO(GOOD_CSV.encode()), "labels.csv")},
        content_type="multipart/form-data",
        headers=reports,
    )
    assert upload.status_code == 201, upload.json
    assert upload.json["imported"] == 4
    body = client.post(
        "/api/v1/labels/import",
        data=GOOD_CSV.replace("Tuesday", "Monday"),
        content_type="text/csv",
        headers=reports,
    )
    assert body.status_code == 201, body.json
    assert body.json["import_id"] != upload.json["import_id"]
    rows = db_session.scalars(
        select(CommentLabel).where(CommentLabel.import_id == upload.json["import_id"])
    ).all()
    assert [(r.text, r.sentiment, r.target, r.category) for r in rows] == [
        ("The agent never called me back.", "negative", "agent", "unhelpful"),
        ("Love the new dashboard", "positive", None, None),
        ("The invoice was charged twice", "negative", "process", "billing-process"),
        ("I called on Tuesday.", "neutral", "none", None),
    ]
    db_session.commit()


def test_a_retried_label_import_stores_nothing_twice(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    reports = auth("reports")

    def post(body: str) -> Any:
        return client.post(
            "/api/v1/labels/import", data=body, content_type="text/csv", headers=reports
        )

    first = post(GOOD_CSV)
    assert first.status_code == 201, first.json
    assert (first.json["imported"], first.json["already_there"]) == (4, 0)
    taught = labels_service.training_rows(db_session)
    db_session.commit()

    again = post(GOOD_CSV)
    assert again.status_code == 200, again.json
    assert (again.json["imported"], again.json["already_there"]) == (0, 4)
    assert row_count(db_session, CommentLabel) == 4
    # Training sees each label once, as after the first upload.
    assert labels_service.training_rows(db_session) == taught
    db_session.commit()

    # Case and spacing do not make a row new; another label does, and so does a
    # row repeated inside one file only once.
    changed = (
        "text,sentiment,target,category\n"
        "the agent  never called me BACK.,negative,agent,unhelpful\n"
        "Love the new dashboard,neutral,,\n"
        "Love the new dashboard,neutral,,\n"
    )
    mixed = post(changed)
    assert mixed.status_code == 201, mixed.json
    assert (mixed.json["imported"], mixed.json["already_there"]) == (1, 2)
    assert row_count(db_session, CommentLabel) == 5
    counted = [r for r in labels_service.training_rows(db_session) if "dashboard" in r.text]
    db_session.commit()
    assert [r.sentiment for r in counted] == ["positive", "neutral"]


def test_a_bad_label_csv_names_rows_and_fields_and_writes_nothing(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    bad = (
        "text,sentiment,target,category\n"
        "Fine row,negative,agent,rude\n"
        "Unknown category,negative,agent,grumpy\n"
        ",positive,,\n"
        "No labels at all,,,\n"
        "Bad sentiment,furious,,\n"
        "Category without target,negative,,bug\n"
    )
    answer = client.post(
        "/api/v1/labels/import", data=bad, content_type="text/csv", headers=auth("reports")
    )
    assert answer.status_code == 422, answer.json
    fields = answer.json["error"]["fields"]
    assert set(fields) == {
        "rows.3.category",
        "rows.4.text",
        "rows.5",
        "rows.6.sentiment",
        "rows.7.category",
    }
    assert row_count(db_session, CommentLabel) == 0
    missing_column = client.post(
        "/api/v1/labels/import",
        data="comment,label\nhi,positive\n",
        content_type="text/csv",
        headers=auth("reports"),
    )
    assert missing_column.status_code == 422 and "file" in missing_column.json["error"]["fields"]
    nothing = client.post("/api/v1/labels/import", json={"a": 1}, headers=auth("reports"))
    assert nothing.status_code == 422 and "file" in nothing.json["error"]["fields"]
    assert row_count(db_session, CommentLabel) == 0


# --- listing -------------------------------------------------------------------------


@pytest.fixture
def comments(client: FlaskClient, auth: Any, db_session: Session) -> list[int]:
    """Eleven comments for two agents in two teams over three days."""
    texts = [
        ("A-list-1", "Team North", "The agent was rude and hung up on me.", 1),
        ("A-list-1", "Team North", "The app crashed again when I uploaded a photo.", 2),
        ("A-list-2", "Team South", "Great help, thank you so much!", 5),
        ("A-list-2", "Team South", "I waited on hold for over an hour.", 2),
        ("A-list-1", "Team North", "Please add an export to Excel, it is missing.", 3),
        ("A-list-2", "Team South", "The APP CRASHES on start since the update.", 1),
        ("A-list-1", "Team North", "She explained everything clearly and kindly.", 5),
        ("A-list-2", "Team South", "Der Service war schlecht und langsam.", 1),
        ("A-list-1", "Team North", "They transferred me three times.", 2),
        ("A-list-2", "Team South", "The price went up again and nobody told me.", 2),
        ("A-list-1", "Team North", "100% of my issue was solved, thanks.", 5),
    ]
    ids = []
    for i, (agent, team, text, csat) in enumerate(texts):
        rid = submit(
            client,
            auth,
            text,
            {"csat": csat},
            agent={"id": agent, "team": team},
            ticket={"channel": "chat" if i % 2 else "email"},
        )
        ids.append(rid)
    base = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    for i, rid in enumerate(ids):
        db_session.execute(
            update(Response)
            .where(Response.id == rid)
            .values(submitted_at=base + dt.timedelta(days=i % 3, minutes=i))
        )
    db_session.commit()
    return ids


def all_items(client: FlaskClient, headers: dict[str, str], **query: Any) -> list[dict[str, Any]]:
    body = client.get(
        "/api/v1/comments", query_string={**query, "per_page": 500}, headers=headers
    ).json
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def test_filters_match_the_rows_and_pages_cover_them_newest_first(
    client: FlaskClient, auth: Any, comments: list[int]
) -> None:
    reports = auth("reports")
    everything = [i for i in all_items(client, reports) if i["id"] in comments]
    assert len(everything) == len(comments)
    stamps = [(i["submitted_at"], i["id"]) for i in everything]
    assert stamps == sorted(stamps, reverse=True)

    mine = {"agent": "A-list-1"}
    paged: list[int] = []
    for page in (1, 2, 3):
        body = client.get(
            "/api/v1/comments", query_string={**mine, "page": page, "per_page": 2}, headers=reports
        ).json
        assert body["total"] == 6 and body["page"] == page and body["per_page"] == 2
        paged += [i["id"] for i in body["items"]]
    assert paged == [i["id"] for i in everything if i["agent"] == "A-list-1"]

    def expect(pred: Any) -> list[int]:
        return [i["id"] for i in everything if pred(i)]

    def got(**query: Any) -> list[int]:
        return [i["id"] for i in all_items(client, reports, **query) if i["id"] in comments]

    def has(i: dict[str, Any], target: str, category: str | None = None) -> bool:
        return any(
            f["target"] == target and (category is None or f["category"] == category)
            for f in (i["analysis"] or {}).get("findings", [])
        )

    assert got(team="Team South") == expect(lambda i: i["team"] == "Team South")
    assert got(channel="chat") == expect(lambda i: i["channel"] == "chat")
    assert got(q="app cr") == expect(lambda i: "app cr" in i["comment"].lower())
    assert len(got(q="app cr")) == 2
    assert got(q="100%") == expect(lambda i: "100%" in i["comment"])
    assert got(target="product") == expect(lambda i: has(i, "product"))
    assert got(category="bug") == expect(lambda i: has(i, "product", "bug"))
    assert len(got(category="bug")) >= 2
    assert got(target="agent", category="rude") == expect(lambda i: has(i, "agent", "rude"))
    assert got(sentiment="negative") == expect(
        lambda i: (i["analysis"] or {}).get("sentiment") == "negative"
    )
    assert got(sentiment="positive") and got(sentiment="negative")
    day = "2026-11-21"
    assert got(**{"from": day, "to": day}) == expect(lambda i: i["submitted_at"][:10] == day)
    assert len(got(**{"from": day, "to": day})) == 4


@pytest.mark.usefixtures("comments")
def test_the_csv_has_the_same_rows_as_the_json(client: FlaskClient, auth: Any) -> None:
    reports = auth("reports")
    query = {"agent": "A-list-2", "per_page": 4, "page": 1}
    body = client.get("/api/v1/comments", query_string=query, headers=reports).json
    answer = client.get(
        "/api/v1/comments", query_string={**query, "format": "csv"}, headers=reports
    )
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.data.decode())))
    assert len(rows) == len(body["items"]) == 4
    for row, item in zip(rows, body["items"], strict=True):
        analysis = item["analysis"]
        assert int(row["id"]) == item["id"]
        assert row["ticket"] == item["ticket"] and row["agent"] == "A-list-2"
        assert row["team"] == item["team"] and row["channel"] == (item["channel"] or "")
        assert row["comment"] == item["comment"]
        assert row["csat"] == str(item["answers"]["csat"])
        assert row["sentiment"] == (analysis["sentiment"] or "")
        score = analysis["sentiment_score"]
        assert (float(row["sentiment_score"]) if row["sentiment_score"] else None) == score
        assert row["model_version"] == analysis["model_version"]
        assert row["categories"] == "; ".join(
            dict.fromkeys(f"{f['target']}/{f['category']}" for f in analysis["findings"])
        )
        assert row["key_phrases"] == "; ".join(analysis["key_phrases"])


@pytest.mark.usefixtures("db_session")
def test_bad_filters_are_422_naming_the_field(client: FlaskClient, auth: Any) -> None:
    reports = auth("reports")
    for query, field in [
        ({"agent": "nobody"}, "agent"),
        ({"category": "grumpy"}, "category"),
        ({"category": "agent/bug"}, "category"),
        ({"sentiment": "angry"}, "sentiment"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "from"),
        ({"per_page": 501}, "per_page"),
        ({"colour": "red"}, "colour"),
    ]:
        answer = client.get("/api/v1/comments", query_string=query, headers=reports)
        assert answer.status_code == 422, (query, answer.json)
        assert field in answer.json["error"]["fields"], (query, answer.json)
