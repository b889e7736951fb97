"""One set of rules for every way to answer (``surveys/collect.py``): the survey
page's form, a one-click link (GET), a mail client's one-click POST, and the JSON
API that widgets use. Each test runs the same case through all four routes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback_service.surveys.models import Invitation, RatingClick
from tests.api.test_responses import new_invitation, response_count, stored
from tests.api.test_responses_pages import csrf_of
from tests.helpers import row_count

# (client, token, csat as typed, the form's CSRF token if the page was read earlier)
Way = Callable[[FlaskClient, str, str, str | None], Any]


def form_token(client: FlaskClient, token: str) -> str:
    return csrf_of(client.get(f"/s/{token}").text)


def by_form(client: FlaskClient, token: str, csat: str, csrf: str | None = None) -> Any:
    csrf = csrf or form_token(client, token)
    return client.post(f"/s/{token}", data={"csrf_token": csrf, "csat": csat})


def by_click(client: FlaskClient, token: str, csat: str, _csrf: str | None = None) -> Any:
    return client.get(f"/s/{token}?csat={csat}")


def by_mail_client_post(
    client: FlaskClient, token: str, csat: str, _csrf: str | None = None
) -> Any:
    return client.post(f"/s/{token}?csat={csat}")


def by_api(client: FlaskClient, token: str, csat: str, _csrf: str | None = None) -> Any:
    value: Any = int(csat) if csat.isdigit() else csat
    return client.post("/api/v1/responses", json={"token": token, "answers": {"csat": value}})


WAYS: dict[str, Way] = {
    "form": by_form,
    "click": by_click,
    "one-click-post": by_mail_client_post,
    "api": by_api,
}


@pytest.fixture
def invitation(client: FlaskClient, auth: Any, db_session: Session) -> dict[str, Any]:
    return new_invitation(client, auth)


def click_count(session: Session) -> int:
    return row_count(session, RatingClick)


@pytest.mark.parametrize(
    ("way", "created", "status", "source", "clicks"),
    [
        ("form", 303, "confirmed", "page", 0),
        ("click", 200, "provisional", "link", 1),
        ("one-click-post", 200, "confirmed", "link", 1),
        ("api", 201, "confirmed", "api", 0),
    ],
)
def test_each_way_stores_one_response_marked_with_where_it_came_from(
    client: FlaskClient,
    invitation: dict[str, Any],
    db_session: Session,
    way: str,
    created: int,
    status: str,
    source: str,
    clicks: int,
) -> None:
    answer = WAYS[way](client, invitation["token"], "4", None)
    assert answer.status_code == created
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert (response.csat, response.status, response.source) == (4, status, source)
    assert click_count(db_session) == clicks
    # Sent again: still one response, one version.
    WAYS[way](client, invitation["token"], "4", None)
    assert response_count(db_session) == 1
    response = stored(db_session, invitation["id"])
    assert response is not None and response.version == 1


@pytest.mark.parametrize("way", WAYS)
def test_each_way_names_a_value_off_its_scale_and_writes_nothing(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session, way: str
) -> None:
    answer = WAYS[way](client, invitation["token"], "9", None)
    assert answer.status_code == 422
    if way == "api":
        assert answer.json["error"]["fields"] == {
            "answers.csat": ["csat must be an integer from 1 to 5."]
        }
    else:
        assert "Please choose one of the options." in answer.text
    assert response_count(db_session) == 0
    assert click_count(db_session) == 0


UNASKED: dict[str, Callable[[FlaskClient, str], Any]] = {
    "click": lambda client, token: client.get(f"/s/{token}?nps=5"),
    "one-click-post": lambda client, token: client.post(f"/s/{token}?nps=5"),
    "click-beside-an-asked-rating": lambda client, token: client.get(f"/s/{token}?csat=4&nps=5"),
    "api": lambda client, token: client.post(
        "/api/v1/responses", json={"token": token, "answers": {"nps": 5}}
    ),
}


@pytest.mark.parametrize("way", UNASKED)
def test_each_way_refuses_a_rating_the_survey_does_not_ask_and_writes_nothing(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session, way: str
) -> None:
    # The default survey asks CSAT only; docs/collect.md promises 422 for every way.
    answer = UNASKED[way](client, invitation["token"])
    assert answer.status_code == 422
    if way == "api":
        assert list(answer.json["error"]["fields"]) == ["answers.nps"]
    else:
        assert "This link holds a rating this survey does not ask." in answer.text
    assert response_count(db_session) == 0
    assert click_count(db_session) == 0


@pytest.mark.parametrize("value", ["4", "9"])
@pytest.mark.parametrize("way", WAYS)
def test_each_way_refuses_a_closed_survey_before_looking_at_the_value(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session, way: str, value: str
) -> None:
    # The form was shown while the survey was open; it is sent after it closed.
    csrf = form_token(client, invitation["token"])
    inv = db_session.get_one(Invitation, invitation["id"])
    inv.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db_session.commit()
    answer = WAYS[way](client, invitation["token"], value, csrf)
    assert answer.status_code == 410
    if way == "api":
        assert answer.json["error"]["code"] == "survey_closed"
    else:
        assert "This survey has closed" in answer.text
    assert response_count(db_session) == 0
    assert click_count(db_session) == 0


@pytest.mark.parametrize("way", WAYS)
def test_each_way_keeps_a_counted_answer_after_the_amend_window(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session, way: str
) -> None:
    assert by_api(client, invitation["token"], "2").status_code == 201
    csrf = form_token(client, invitation["token"])
    response = stored(db_session, invitation["id"])
    assert response is not None
    response.submitted_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
    db_session.commit()
    answer = WAYS[way](client, invitation["token"], "5", csrf)
    assert answer.status_code == 409
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert (response.csat, response.status, response.version) == (2, "confirmed", 1)
    assert click_count(db_session) == 0


def test_an_empty_form_confirms_the_clicked_rating_an_empty_api_call_is_422(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    empty = client.post("/api/v1/responses", json={"token": token, "answers": {}})
    assert empty.status_code == 422
    assert empty.json["error"]["fields"] == {"answers": ["Nothing to save."]}
    assert by_click(client, token, "5").status_code == 200
    empty = client.post("/api/v1/responses", json={"token": token, "answers": {}})
    assert empty.status_code == 422
    page = client.get(f"/s/{token}")
    # The person submits the page as it is, with the rating they clicked selected.
    assert client.post(f"/s/{token}", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert (response.csat, response.status) == (5, "confirmed")
