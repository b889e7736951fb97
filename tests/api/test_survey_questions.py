"""A team's own questions: defined through the API, answered through the JSON API,
the page (with no script) and the widget's survey, versioned, archived and purged."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.surveys.models import Invitation, ResponseAnswer
from tests.api.test_responses import new_invitation, stored
from tests.api.test_responses_pages import csrf_of
from tests.factories import invitation_payload

REASON = {
    "key": "reason",
    "type": "choice",
    "wording": {"en": "What was the main reason for your score?", "de": "Was war der Hauptgrund?"},
    "options": [
        {"value": "agent", "label": {"en": "The agent", "de": "Der Mitarbeiter"}},
        {"value": "product", "label": {"en": "The product"}},
        {"value": "process", "label": {"en": "Our process"}},
        {"value": "other", "label": {"en": "Something else"}},
    ],
    "show_if": {"question": "csat", "max": 3},
}
QUESTIONS: list[dict[str, Any]] = [
    {"metric": "csat"},
    REASON,
    {
        "key": "effort",
        "type": "rating",
        "scale": 5,
        "labels": {"en": ["Hard", "Easy"]},
        "wording": {"en": "How easy was the help page?"},
    },
    {
        "key": "channels",
        "type": "multi",
        "wording": {"en": "Where did you look for help first?"},
        "options": [{"value": "email"}, {"value": "chat"}, {"value": "phone"}],
    },
    {"key": "improve", "type": "text", "wording": {"en": "One thing we should improve?"}},
]


def make_survey(
    client: FlaskClient, auth: Any, key: str = "cx-reasons", **changes: Any
) -> dict[str, Any]:
    body = {"key": key, "name": "CSAT with reasons", "questions": QUESTIONS, **changes}
    made = client.post("/api/v1/surveys", json=body, headers=auth("admin"))
    assert made.status_code == 201, made.json
    result: dict[str, Any] = made.json
    return result


def email_invitation(client: FlaskClient, auth: Any, survey: str) -> dict[str, Any]:
    """An invitation to be emailed in an hour: not sent yet."""
    payload = invitation_payload(survey=survey, send_after=3600)
    made = client.post("/api/v1/invitations", json=payload, headers=auth("ingest"))
    assert made.status_code == 201, made.json
    assert made.json["status"] == "scheduled"
    result: dict[str, Any] = made.json
    return result


def answer(client: FlaskClient, token: str, **answers: Any) -> Any:
    return client.post("/api/v1/responses", json={"token": token, "answers": answers})


@pytest.fixture
def survey(client: FlaskClient, auth: Any, db_session: Session) -> dict[str, Any]:
    return make_survey(client, auth)


@pytest.fixture
def token(client: FlaskClient, auth: Any, survey: dict[str, Any]) -> str:
    return str(new_invitation(client, auth, survey=survey["key"])["token"])


def answers_stored(session: Session, invitation: str | int) -> dict[str, tuple[Any, int]]:
    """The stored own answers of an invitation (its token, or its id)."""
    session.expire_all()
    if isinstance(invitation, str):
        found = session.scalar(select(Invitation.id).where(Invitation.token == invitation))
        assert found is not None
        invitation = found
    response = stored(session, invitation)
    assert response is not None
    rows = session.scalars(select(ResponseAnswer).where(ResponseAnswer.response_id == response.id))
    found = {a.question_key: (a.value, a.definition_version) for a in rows}
    session.commit()
    return found


# --- definitions ------------------------------------------------------------------


def test_a_survey_with_its_own_questions_is_defined_and_read_back(
    client: FlaskClient, auth: Any, survey: dict[str, Any]
) -> None:
    assert survey["version"] == 1 and survey["archived"] is False
    shown = {q["key"]: q for q in survey["questions"]}
    assert list(shown) == ["csat", "reason", "effort", "channels", "improve"]
    assert shown["csat"]["type"] == "metric" and (shown["csat"]["low"], shown["csat"]["high"]) == (
        1,
        5,
    )
    assert shown["reason"]["show_if"] == {"question": "csat", "max": 3}
    assert [o["value"] for o in shown["reason"]["options"]] == [
        "agent",
        "product",
        "process",
        "other",
    ]
    assert shown["reason"]["required"] is False
    assert (shown["effort"]["low"], shown["effort"]["high"]) == (1, 5)
    assert shown["effort"]["labels"] == {"en": ["Hard", "Easy"]}
    again = client.get("/api/v1/surveys/cx-reasons", headers=auth("admin")).json
    assert again["questions"] == survey["questions"]


@pytest.mark.parametrize(
    ("questions", "field", "says"),
    [
        ([{"metric": "csat"}, {**REASON, "key": "comment"}], "questions.1.key", "built-in"),
        ([{"metric": "csat"}, {**REASON, "key": "nps"}], "questions.1.key", "built-in"),
        ([{"metric": "csat"}, REASON, REASON], "questions.2.key", "twice"),
        ([REASON, {"metric": "csat"}], "questions.0.show_if", "not an earlier question"),
        (
            [{"metric": "csat"}, {**REASON, "show_if": {"question": "csat", "in": ["1"]}}],
            "questions.1.show_if",
            "min and/or max",
        ),
        (
            [{"metric": "csat"}, {**REASON, "show_if": {"question": "csat", "max": 9}}],
            "questions.1.show_if",
            "1..5",
        ),
        (
            [
                {"metric": "csat"},
                REASON,
                {
                    "key": "detail",
                    "type": "text",
                    "wording": {"en": "Tell us"},
                    "show_if": {"question": "reason", "in": ["pricing"]},
                },
            ],
            "questions.2.show_if",
            "pricing",
        ),
        (
            [
                {"metric": "csat"},
                {"key": "r", "type": "rating", "scale": 11, "wording": {"en": "?"}},
            ],
            "questions.1.scale",
            "",
        ),
        (
            [{"metric": "csat"}, {"key": "r", "type": "rating", "wording": {"en": "?"}}],
            "questions.1.scale",
            "scale",
        ),
        (
            [{"metric": "csat"}, {"key": "c", "type": "choice", "wording": {"en": "?"}}],
            "questions.1.options",
            "needs options",
        ),
        (
            [{"metric": "csat"}, {**REASON, "wording": {"de": "Warum?"}}],
            "questions.1.wording",
            "en",
        ),
        (
            [{"metric": "csat"}, {**REASON, "options": [{"value": "a"}, {"value": "a"}]}],
            "questions.1.options",
            "once",
        ),
        ([{"metric": "csat", "required": True}], "questions.0.required", "own question"),
        # Refused parts reach the cross-question checks partly: named, never a 500.
        (
            [{"metric": "csat"}, {**REASON, "show_if": {"in": ["x"]}}],
            "questions.1.show_if.question",
            "Missing",
        ),
        (
            [
                {"metric": "csat"},
                {"key": "r", "type": "rating", "wording": {"en": "?"}},
                {**REASON, "show_if": {"question": "r", "max": 2}},
            ],
            "questions.1.scale",
            "scale",
        ),
        ([{**REASON, "show_if": None}], "questions", "at least one of csat"),
        (
            [{"metric": "csat"}]
            + [{"key": f"q{i}", "type": "text", "wording": {"en": "?"}} for i in range(10)],
            "questions",
            "",
        ),
    ],
)
def test_a_bad_definition_is_422_naming_the_field(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    questions: list[dict[str, Any]],
    field: str,
    says: str,
) -> None:
    questions = [{k: v for k, v in q.items() if v is not None} for q in questions]
    bad = client.post(
        "/api/v1/surveys",
        json={"key": "bad-one", "name": "Bad", "questions": questions},
        headers=auth("admin"),
    )
    assert bad.status_code == 422, bad.json
    fields = bad.json["error"]["fields"]
    assert field in fields, fields
    assert says in " ".join(fields[field])
    assert client.get("/api/v1/surveys/bad-one", headers=auth("admin")).status_code == 404


# --- answering through the JSON API ------------------------------------------------


def test_every_type_answered_through_the_api_is_stored_with_its_version(
    client: FlaskClient, db_session: Session, token: str
) -> None:
    given = {
        "csat": 2,
        "reason": "product",
        "effort": 4,
        "channels": ["phone", "email"],
        "improve": "  Faster refunds  ",
    }
    saved = answer(client, token, **given)
    assert saved.status_code == 201, saved.json
    assert saved.json["answers"] == given | {
        "channels": ["email", "phone"],
        "improve": "Faster refunds",
    }
    assert answers_stored(db_session, token) == {
        "reason": ("product", 1),
        "effort": (4, 1),
        "channels": (["email", "phone"], 1),
        "improve": ("Faster refunds", 1),
    }


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        (
            {"csat": 2, "reason": "pricing"},
            "answers.reason",
            "not one of agent, product, process, other",
        ),
        ({"csat": 5, "reason": "agent"}, "answers.reason", "asked only when csat is at most 3"),
        ({"reason": "agent"}, "answers.reason", "asked only when csat is at most 3"),
        ({"csat": 2, "effort": 6}, "answers.effort", "must be an integer from 1 to 5"),
        (
            {"csat": 4, "channels": []},
            "answers.channels",
            "must be a non-empty list of email, chat, phone",
        ),
        (
            {"csat": 4, "channels": ["fax"]},
            "answers.channels",
            "must be a non-empty list of email, chat, phone",
        ),
        ({"csat": 4, "improve": "x" * 501}, "answers.improve", "at most 500 characters"),
        ({"csat": 4, "mood": "ok"}, "answers.mood", "does not ask 'mood'"),
    ],
)
def test_a_bad_answer_is_422_naming_the_field_and_nothing_is_stored(
    client: FlaskClient,
    db_session: Session,
    token: str,
    answers: dict[str, Any],
    field: str,
    message: str,
) -> None:
    refused = answer(client, token, **answers)
    assert refused.status_code == 422, refused.json
    assert message in refused.json["error"]["fields"][field][0]
    assert (
        db_session.scalar(select(Invitation).where(Invitation.token == token)).answered_at is None
    )


@pytest.fixture
def must_say_why(client: FlaskClient, auth: Any, db_session: Session) -> dict[str, Any]:
    """A survey whose reason follow-up is required (when it is shown)."""
    questions = [{"metric": "csat"}, {**REASON, "required": True}]
    return make_survey(client, auth, key="must-say-why", questions=questions)


def test_a_required_follow_up_is_enforced_only_when_shown(
    client: FlaskClient, auth: Any, must_say_why: dict[str, Any]
) -> None:
    low = new_invitation(client, auth, survey="must-say-why")["token"]
    missing = answer(client, low, csat=2)
    assert missing.status_code == 422
    assert missing.json["error"]["fields"] == {"answers.reason": ["required"]}
    assert answer(client, low, csat=2, reason="agent").status_code == 201
    high = new_invitation(client, auth, survey="must-say-why")["token"]
    assert answer(client, high, csat=5).status_code == 201


def test_raising_the_score_drops_the_follow_up_it_no_longer_shows(
    client: FlaskClient, db_session: Session, token: str
) -> None:
    assert answer(client, token, csat=1, reason="agent").status_code == 201
    # Later, the reason is added to by the same API, on top of the stored CSAT.
    assert answer(client, token, improve="Call back").json["answers"]["reason"] == "agent"
    amended = answer(client, token, csat=5)
    assert amended.status_code == 200
    assert "reason" not in amended.json["answers"]
    assert set(answers_stored(db_session, token)) == {"improve"}


def test_the_widget_survey_carries_types_options_and_follow_ups(
    client: FlaskClient, token: str
) -> None:
    assert answer(client, token, csat=3, reason="process").status_code == 201
    shown = client.get(f"/api/v1/surveys/by-token/{token}").json
    by_key = {q["key"]: q for q in shown["questions"]}
    assert by_key["reason"]["type"] == "choice"
    assert by_key["reason"]["show_if"] == {"question": "csat", "max": 3}
    assert [o["label"] for o in by_key["reason"]["options"]] == [
        "The agent",
        "The product",
        "Our process",
        "Something else",
    ]
    assert [o["value"] for o in by_key["effort"]["options"]] == [1, 2, 3, 4, 5]
    assert (by_key["effort"]["low_label"], by_key["effort"]["high_label"]) == ("Hard", "Easy")
    assert by_key["improve"]["max_length"] == 500
    assert shown["answers"] == {"csat": 3, "reason": "process"}


def test_the_widget_survey_speaks_the_invitations_language(
    client: FlaskClient, auth: Any, survey: dict[str, Any]
) -> None:
    token = new_invitation(client, auth, survey=survey["key"], customer={"locale": "de-AT"})[
        "token"
    ]
    shown = client.get(f"/api/v1/surveys/by-token/{token}").json
    reason = next(q for q in shown["questions"] if q["key"] == "reason")
    assert reason["wording"] == "Was war der Hauptgrund?"
    # Options without German labels fall back to English.
    assert [o["label"] for o in reason["options"]][:2] == ["Der Mitarbeiter", "The product"]


# --- the page, without script ------------------------------------------------------


def fieldset(html: str, key: str) -> str:
    match = re.search(rf'<fieldset data-key="{key}"[^>]*>', html)
    assert match, f"no question {key} on the page"
    return match.group(0)


def asked_of(html: str) -> str:
    match = re.search(r'name="asked" value="([^"]*)"', html)
    assert match
    return match.group(1)


def test_without_script_the_follow_up_appears_after_the_first_post(
    client: FlaskClient, db_session: Session, token: str
) -> None:
    page = client.get(f"/s/{token}")
    assert " hidden disabled" in fieldset(page.text, "reason")
    assert " hidden" not in fieldset(page.text, "effort")
    assert "reason" not in asked_of(page.text).split(",")
    first = client.post(
        f"/s/{token}",
        data={"csrf_token": csrf_of(page.text), "asked": asked_of(page.text), "csat": "2"},
    )
    # Saved, and the page is back with the question the low score opened.
    assert first.status_code == 200
    assert "One more question" in first.text
    assert " hidden" not in fieldset(first.text, "reason")
    assert "The product" in first.text
    assert 'name="csat" value="2" checked' in first.text
    invitation = db_session.scalar(select(Invitation).where(Invitation.token == token))
    response = stored(db_session, invitation.id)
    assert response is not None and (response.csat, response.status) == (2, "confirmed")
    second = client.post(
        f"/s/{token}",
        data={
            "csrf_token": csrf_of(first.text),
            "asked": asked_of(first.text),
            "csat": "2",
            "reason": "product",
            "channels": ["chat", "email"],
            "improve": "Reply faster",
        },
    )
    assert second.status_code == 303, second.text
    assert answers_stored(db_session, token) == {
        "reason": ("product", 1),
        "channels": (["email", "chat"], 1),
        "improve": ("Reply faster", 1),
    }


def test_a_high_score_on_the_page_goes_straight_to_thanks(
    client: FlaskClient, db_session: Session, token: str
) -> None:
    page = client.get(f"/s/{token}")
    done = client.post(
        f"/s/{token}",
        data={
            "csrf_token": csrf_of(page.text),
            "asked": asked_of(page.text),
            "csat": "5",
            "effort": "3",
        },
    )
    assert done.status_code == 303
    assert answers_stored(db_session, token) == {"effort": (3, 1)}


def test_a_one_click_low_rating_lands_on_the_page_with_the_follow_up_shown(
    client: FlaskClient, token: str
) -> None:
    landed = client.get(f"/s/{token}?csat=1")
    assert landed.status_code == 200
    assert " hidden" not in fieldset(landed.text, "reason")
    assert "reason" in asked_of(landed.text).split(",")


def test_the_page_marks_a_bad_or_missing_answer_next_to_its_question(
    client: FlaskClient, auth: Any, must_say_why: dict[str, Any]
) -> None:
    token = new_invitation(client, auth, survey="must-say-why")["token"]
    page = client.get(f"/s/{token}?csat=2")
    refused = client.post(
        f"/s/{token}",
        data={"csrf_token": csrf_of(page.text), "asked": asked_of(page.text), "csat": "2"},
    )
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.text and "Please answer this question." in refused.text


# --- versions ----------------------------------------------------------------------


def test_changing_options_keeps_old_answers_readable(
    client: FlaskClient, auth: Any, db_session: Session, survey: dict[str, Any], token: str
) -> None:
    assert answer(client, token, csat=2, reason="process").status_code == 201
    options = [{"value": "agent"}, {"value": "product"}, {"value": "billing"}]
    patched = client.patch(
        "/api/v1/surveys/cx-reasons",
        json={"questions": [{"metric": "csat"}, {**REASON, "options": options}]},
        headers=auth("admin"),
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["version"] == 2
    # A change of rules only is no new version.
    same = client.patch(
        "/api/v1/surveys/cx-reasons", json={"throttle_days": 7}, headers=auth("admin")
    )
    assert same.json["version"] == 2
    first = client.get("/api/v1/surveys/cx-reasons/versions/1", headers=auth("admin")).json
    old_reason = next(q for q in first["questions"] if q["key"] == "reason")
    assert "process" in [o["value"] for o in old_reason["options"]]
    assert (
        client.get("/api/v1/surveys/cx-reasons/versions/3", headers=auth("admin")).status_code
        == 404
    )

    newer = new_invitation(client, auth, survey="cx-reasons")["token"]
    assert answer(client, newer, csat=1, reason="billing").status_code == 201
    assert answers_stored(db_session, token)["reason"] == ("process", 1)
    assert answers_stored(db_session, newer)["reason"] == ("billing", 2)

    listed = client.get("/api/v1/surveys/cx-reasons/responses", headers=auth("reports")).json
    assert listed["total"] == 2
    assert {i["answers"].get("reason") for i in listed["items"]} == {"process", "billing"}
    # The questions of every version are columns, so answers to the removed ones stay.
    assert listed["columns"] == ["csat", "reason", "effort", "channels", "improve"]
    exported = client.get(
        "/api/v1/surveys/cx-reasons/responses?format=csv", headers=auth("reports")
    )
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["reason"] for r in rows) == ["billing", "process"]
    assert {r["csat"] for r in rows} == {"1", "2"}


def test_the_csv_export_has_every_answer_one_column_each(
    client: FlaskClient, auth: Any, token: str
) -> None:
    given = {"csat": 2, "reason": "agent", "channels": ["email", "chat"], "improve": "=1+1"}
    assert answer(client, token, **given).status_code == 201
    exported = client.get(
        "/api/v1/surveys/cx-reasons/responses?format=csv", headers=auth("reports")
    )
    (row,) = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["csat"], row["reason"], row["channels"]) == ("2", "agent", "email; chat")
    assert row["effort"] == ""
    assert not row["improve"].startswith("=")  # never runs as a formula
    assert client.get("/api/v1/surveys/cx-reasons/responses").status_code == 401
    bad = client.get("/api/v1/surveys/cx-reasons/responses?from=yesterday", headers=auth("reports"))
    assert bad.status_code == 422 and "from" in bad.json["error"]["fields"]


# --- archive and purge -------------------------------------------------------------


def test_an_archived_survey_takes_no_invitations_and_keeps_its_answers(
    client: FlaskClient, auth: Any, db_session: Session, survey: dict[str, Any], token: str
) -> None:
    assert answer(client, token, csat=2, reason="agent").status_code == 201
    waiting = email_invitation(client, auth, "cx-reasons")
    archived = client.delete("/api/v1/surveys/cx-reasons", headers=auth("admin"))
    assert archived.status_code == 200
    assert archived.json["archived"] is True and archived.json["archived_at"]
    listed = client.get("/api/v1/surveys", headers=auth("admin")).json["items"]
    assert next(s for s in listed if s["key"] == "cx-reasons")["archived"] is True
    refused = client.post(
        "/api/v1/invitations",
        json=invitation_payload(survey="cx-reasons"),
        headers=auth("ingest"),
    )
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "survey_archived"
    assert "survey" in refused.json["error"]["fields"]
    # The email not sent yet is cancelled; the answer already given stays.
    state = client.get(f"/api/v1/invitations/{waiting['id']}", headers=auth("ingest")).json
    assert (state["status"], state["reason"]) == ("cancelled", "survey_archived")
    assert answers_stored(db_session, token) == {"reason": ("agent", 1)}
    listed_answers = client.get("/api/v1/surveys/cx-reasons/responses", headers=auth("reports"))
    assert listed_answers.json["total"] == 1


def test_purge_deletes_only_a_survey_never_sent(
    client: FlaskClient, auth: Any, db_session: Session, survey: dict[str, Any]
) -> None:
    make_survey(client, auth, key="draft")
    unsent = email_invitation(client, auth, "draft")
    purged = client.delete("/api/v1/surveys/draft?purge=true", headers=auth("admin"))
    assert purged.status_code == 204
    assert client.get("/api/v1/surveys/draft", headers=auth("admin")).status_code == 404
    assert (
        client.get(f"/api/v1/invitations/{unsent['id']}", headers=auth("ingest")).status_code == 404
    )

    new_invitation(client, auth, survey="cx-reasons")  # a link: handed out, so sent
    kept = client.delete("/api/v1/surveys/cx-reasons?purge=true", headers=auth("admin"))
    assert kept.status_code == 409
    assert kept.json["error"]["code"] == "survey_was_sent"
    assert "archive" in kept.json["error"]["message"]
    assert client.get("/api/v1/surveys/cx-reasons", headers=auth("admin")).status_code == 200
    assert client.delete("/api/v1/surveys/nope", headers=auth("admin")).status_code == 404
    assert (
        client.delete("/api/v1/surveys/cx-reasons?purge=maybe", headers=auth("admin")).status_code
        == 422
    )


# --- one customer's data -----------------------------------------------------------


def test_a_customers_export_has_their_own_answers_and_erasure_removes_what_they_typed(
    client: FlaskClient, auth: Any, db_session: Session, survey: dict[str, Any]
) -> None:
    made = new_invitation(client, auth, survey="cx-reasons", customer={"id": "C-typed"})
    given = {"csat": 2, "reason": "agent", "improve": "Call me on my mobile"}
    assert answer(client, made["token"], **given).status_code == 201
    exported = client.get("/api/v1/customers/C-typed/export", headers=auth("admin"))
    assert exported.status_code == 200, exported.json
    assert exported.json["answers"][0]["answers"] == given
    assert client.delete("/api/v1/customers/C-typed", headers=auth("admin")).status_code == 200
    # The choice stays with the anonymised answer; the typed text is gone.
    assert answers_stored(db_session, made["id"]) == {"reason": ("agent", 1)}


def test_the_dashboards_survey_editor_lists_the_own_questions(
    client: FlaskClient, db_session: Session, survey: dict[str, Any]
) -> None:
    from tests.api.test_dashboard_attribution import sign_in_as
    from tests.api.test_dashboard_pages import html_of

    sign_in_as(client, db_session, "manager", None)
    page = html_of(client, "/dashboard/surveys/cx-reasons")
    listed = page.split('id="own-questions-defined"')[1].split("</section>")[0]
    shown = re.findall(r'<li data-question="([^"]+)"><strong>([^<]+)</strong>', listed)
    assert shown == [(q["key"], q["wording"]["en"]) for q in QUESTIONS if "metric" not in q]
    assert "shown when csat ≤ 3" in listed  # the reason follows a low score
    assert "The agent · The product · Our process · Something else" in listed
    assert "1\u20135" in listed  # the rating's scale (an en dash)
    german = html_of(client, "/dashboard/surveys/cx-reasons?locale=de")
    assert "<strong>Was war der Hauptgrund?</strong>" in german
    assert "Der Mitarbeiter · The product" in german  # a label without German falls back
