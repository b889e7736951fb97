"""Collect through the customer's pages: one-click links, the form, thanks, unsubscribe."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedback_service.helpdesk.models import Customer
from feedback_service.surveys.models import Invitation, RatingClick, Response
from tests.api.test_responses import new_invitation, response_count, stored
from tests.factories import invitation_payload


@pytest.fixture
def invitation(client: FlaskClient, auth: Any, db_session: Session) -> dict[str, Any]:
    return new_invitation(client, auth)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def click_of(html: str) -> str:
    match = re.search(r'data-click="(\d+)"', html)
    assert match, "no beacon in the page"
    return match.group(1)


def beacon(client: FlaskClient, token: str, html: str) -> Any:
    """What the page's script posts once the page is shown in a browser."""
    return client.post(
        f"/s/{token}/seen", data={"csrf_token": csrf_of(html), "click": click_of(html)}
    )


def submit(client: FlaskClient, token: str, **form: str) -> Any:
    page = client.get(f"/s/{token}")
    return client.post(f"/s/{token}", data={"csrf_token": csrf_of(page.text), **form})


def test_the_survey_page_shows_the_questions_in_order_with_labels(
    client: FlaskClient, invitation: dict[str, Any]
) -> None:
    page = client.get(f"/s/{invitation['token']}")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    positions = [html.index(f'name="{m}"') for m in ("csat", "ces", "fcr")]
    assert positions == sorted(positions)
    assert html.count("<fieldset") == 3 and html.count("<legend>") == 3
    assert "How satisfied were you with the support you received?" in html
    assert '<label class="block" for="comment">' in html and 'id="comment"' in html
    assert html.count('type="radio" name="csat"') == 5
    assert html.count('type="radio" name="ces"') == 7
    # No third-party assets: nothing is loaded from another origin.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # Nothing stored by looking.
    assert "<script" not in html


def test_the_page_speaks_the_invitations_language(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    invitation = new_invitation(client, auth, customer={"locale": "es"})
    html = client.get(f"/s/{invitation['token']}").text
    assert '<html lang="es">' in html
    assert "¿Qué tan satisfecho quedó" in html
    assert "Enviar opinión" in html
    assert ">Sí<" in html


def test_one_click_records_a_provisional_rating_and_preselects_it(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    page = client.get(f"/s/{invitation['token']}?csat=4")
    assert page.status_code == 200
    assert 'name="csat" value="4" checked' in page.text
    assert "We saved your rating" in page.text
    assert "<script nonce=" in page.text  # the beacon that confirms it
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert response.csat == 4 and response.status == "provisional" and response.source == "link"
    assert response.confirmed_at is None


def test_clicking_another_rating_changes_the_answer_not_the_count(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    client.get(f"/s/{invitation['token']}?csat=4")
    client.get(f"/s/{invitation['token']}?csat=4")
    client.get(f"/s/{invitation['token']}?csat=2")
    response = stored(db_session, invitation["id"])
    assert response is not None and response.csat == 2 and response.version == 2
    # Two different ratings within seconds and no page seen: a scanner's, not counted.
    assert response.status == "scanner"
    assert response_count(db_session) == 1


def test_a_head_request_records_nothing(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    assert client.head(f"/s/{invitation['token']}?csat=1").status_code == 200
    assert response_count(db_session) == 0


def test_one_click_then_form_submit_gives_one_response_with_both_answers(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    page = client.get(f"/s/{token}?csat=5")
    answer = client.post(
        f"/s/{token}",
        data={
            "csrf_token": csrf_of(page.text),
            "csat": "5",
            "ces": "6",
            "fcr": "1",
            "comment": "Solved in one go.",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/s/{token}/thanks")
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert (response.csat, response.ces, response.fcr) == (5, 6, 1)
    assert response.comment == "Solved in one go."
    assert response.status == "confirmed" and response.confirmed_at is not None
    assert response_count(db_session) == 1
    thanks = client.get(answer.headers["Location"])
    assert "Thank you!" in thanks.text and "Change your answers" in thanks.text


def test_submitting_without_the_clicked_rating_keeps_it(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    client.get(f"/s/{token}?fcr=0")
    assert submit(client, token, comment="Had to call twice.").status_code == 303
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert (response.fcr, response.comment, response.status) == (
        0,
        "Had to call twice.",
        "confirmed",
    )


def test_the_page_beacon_confirms_a_provisional_rating(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    page = client.get(f"/s/{token}?csat=3")
    click = click_of(page.text)
    for forged in (
        {"csrf_token": "forged", "click": click},
        {"csrf_token": csrf_of(page.text)},
        {"csrf_token": csrf_of(page.text), "click": "99999999999"},
        {"csrf_token": csrf_of(page.text), "click": "٣"},
    ):
        assert client.post(f"/s/{token}/seen", data=forged).status_code == 400
    response = stored(db_session, invitation["id"])
    assert response is not None and response.status == "provisional"
    assert beacon(client, token, page.text).status_code == 204
    response = stored(db_session, invitation["id"])
    assert response is not None
    assert response.status == "confirmed" and response.version == 2
    # A page not opened by a one-click rating carries no beacon: looking confirms nothing.
    assert "<script" not in client.get(f"/s/{token}").text


def test_no_timer_confirms_an_unseen_rating(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session
) -> None:
    from workers.celery_app import BEAT_SCHEDULE

    old = new_invitation(client, auth)
    client.get(f"/s/{old['token']}?csat=2")
    db_session.execute(
        update(Response)
        .where(Response.invitation_id == old["id"])
        .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    )
    db_session.commit()
    assert not [e for e in BEAT_SCHEDULE.values() if "confirm" in e["task"]]
    waiting = stored(db_session, old["id"])
    assert waiting is not None and waiting.status == "provisional"


def test_a_beacon_of_a_page_seen_within_seconds_is_not_a_scanner(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    """A person who changes their mind has the page in front of them: each page's
    beacon marks them seen, so the last rating counts."""
    token = invitation["token"]
    beacon(client, token, client.get(f"/s/{token}?csat=2").text)
    page = client.get(f"/s/{token}?csat=4")
    response = stored(db_session, invitation["id"])
    # Still the confirmed 2 until a person is seen on the page of the 4.
    assert response is not None and (response.csat, response.status) == (2, "confirmed")
    assert 'name="csat" value="4" checked' in page.text
    beacon(client, token, page.text)
    response = stored(db_session, invitation["id"])
    assert response is not None and (response.csat, response.status) == (4, "confirmed")


def test_a_click_on_a_confirmed_answer_changes_it_only_when_a_person_is_seen(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    submit(client, token, csat="5")
    for value in (1, 2, 3, 4, 5, 1):  # a scanner re-fetching a forwarded email
        client.get(f"/s/{token}?csat={value}")
    response = stored(db_session, invitation["id"])
    assert response is not None and (response.csat, response.status) == (5, "confirmed")
    clicks = db_session.scalars(
        select(RatingClick).where(RatingClick.invitation_id == invitation["id"])
    ).all()
    assert len(clicks) == 6 and all(c.scanner and c.seen_at is None for c in clicks)


def test_a_mail_clients_one_click_post_is_a_person(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    answer = client.post(f"/s/{token}?csat=4", data={})
    assert answer.status_code == 200 and "Thank you" in answer.text
    response = stored(db_session, invitation["id"])
    assert response is not None and (response.csat, response.status) == (4, "confirmed")
    assert client.post(f"/s/{token}?csat=9", data={}).status_code == 422
    response = stored(db_session, invitation["id"])
    assert response is not None and response.csat == 4


def test_a_scanners_rating_is_not_offered_to_the_person(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    for value in (1, 2, 3, 4, 5):
        client.get(f"/s/{token}?csat={value}")
    page = client.get(f"/s/{token}")
    assert " checked>" not in page.text
    # The person's comment-only submit does not turn the scanner's rating into theirs.
    submit(client, token, comment="ok")
    response = stored(db_session, invitation["id"])
    assert response is not None and response.status == "confirmed"
    assert (response.comment, response.csat) == ("ok", None)


def test_the_form_needs_its_csrf_token_and_writes_nothing_without_it(
    client: FlaskClient, auth: Any, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    for data in ({"csat": "5"}, {"csat": "5", "csrf_token": "x.y.z"}):
        answer = client.post(f"/s/{token}", data=data)
        assert answer.status_code == 400
        assert "send your answers again" in answer.text
        assert 'value="5" checked' in answer.text  # what they chose is not lost
    # A CSRF token made for another invitation does not verify here.
    other = new_invitation(client, auth)
    stolen = csrf_of(client.get(f"/s/{other['token']}").text)
    assert client.post(f"/s/{token}", data={"csrf_token": stolen, "csat": "5"}).status_code == 400
    assert response_count(db_session) == 0


@pytest.mark.parametrize(
    ("form", "status", "text"),
    [
        ({"csat": "9"}, 422, "Please choose one of the options."),
        ({"ces": "abc"}, 422, "Please choose one of the options."),
        ({"fcr": "maybe"}, 422, "Please choose one of the options."),
        ({"comment": "x" * 5001}, 422, "under 5,000 characters"),
        ({}, 422, "Please answer a question or write a comment."),
    ],
)
def test_bad_form_input_is_shown_again_and_writes_nothing(
    client: FlaskClient,
    invitation: dict[str, Any],
    db_session: Session,
    form: dict[str, str],
    status: int,
    text: str,
) -> None:
    answer = submit(client, invitation["token"], **form)
    assert answer.status_code == status
    assert text in answer.text
    assert response_count(db_session) == 0


def test_a_bad_one_click_value_writes_nothing(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    page = client.get(f"/s/{invitation['token']}?csat=77")
    assert page.status_code == 422
    assert "Please choose one of the options." in page.text
    # A metric this survey does not ask is refused too (tests/api/test_collect.py).
    assert client.get(f"/s/{invitation['token']}?nps=9").status_code == 422
    assert response_count(db_session) == 0


def test_pages_escape_what_the_customer_typed(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    attack = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    assert submit(client, token, csat="3", comment=attack).status_code == 303
    page = client.get(f"/s/{token}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text
    # The re-rendered form after an error escapes it too.
    again = submit(client, token, csat="99", comment=attack)
    assert again.status_code == 422
    assert "<script>alert(1)</script>" not in again.text
    response = stored(db_session, invitation["id"])
    assert response is not None and response.comment == attack


def test_unknown_and_closed_surveys_get_friendly_pages(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    missing = client.get("/s/" + "Q" * 32, headers={"Accept-Language": "de"})
    assert missing.status_code == 404
    assert "Wir konnten diese Umfrage nicht finden" in missing.text
    assert client.get("/s/../../etc/passwd").status_code == 404

    db_session.get_one(Invitation, invitation["id"]).status = "expired"
    db_session.commit()
    closed = client.get(f"/s/{invitation['token']}?csat=5")
    assert closed.status_code == 410
    assert "This survey has closed" in closed.text
    assert response_count(db_session) == 0


def test_after_the_amend_window_the_page_says_it_is_recorded(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    submit(client, token, csat="4")
    db_session.execute(
        update(Response)
        .where(Response.invitation_id == invitation["id"])
        .values(submitted_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    )
    db_session.commit()
    page = client.get(f"/s/{token}")
    assert page.status_code == 200 and "Your answers are recorded" in page.text
    late = client.get(f"/s/{token}?csat=1")
    assert late.status_code == 409
    response = stored(db_session, invitation["id"])
    assert response is not None and response.csat == 4


def test_embedded_page_may_be_framed_and_keeps_embed_through_the_submit(
    client: FlaskClient, invitation: dict[str, Any]
) -> None:
    token = invitation["token"]
    page = client.get(f"/s/{token}?embed=1")
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in client.get(f"/s/{token}").headers["Content-Security-Policy"]
    answer = client.post(
        f"/s/{token}", data={"csrf_token": csrf_of(page.text), "csat": "5", "embed": "1"}
    )
    assert answer.headers["Location"].endswith(f"/s/{token}/thanks?embed=1")


def _customer(db_session: Session, invitation_id: int) -> Customer:
    db_session.expire_all()
    customer = db_session.get_one(Invitation, invitation_id).customer
    db_session.commit()
    return customer


def test_unsubscribe_page_asks_then_unsubscribes(
    client: FlaskClient, invitation: dict[str, Any], db_session: Session
) -> None:
    token = invitation["token"]
    page = client.get(f"/u/{token}")
    assert page.status_code == 200 and "<button" in page.text
    assert _customer(db_session, invitation["id"]).unsubscribed_at is None  # GET changes nothing
    assert client.post(f"/u/{token}", data={}).status_code == 400
    assert _customer(db_session, invitation["id"]).unsubscribed_at is None
    done = client.post(f"/u/{token}", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert _customer(db_session, invitation["id"]).unsubscribed_at is not None
    assert "You are unsubscribed" in client.get(f"/u/{token}").text


def test_one_click_unsubscribe_rfc8058_and_later_invitations_are_suppressed(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    first = new_invitation(client, auth, customer={"id": "C-unsub"})
    # Another survey for the same customer, waiting to be sent in an hour.
    pending = client.post(
        "/api/v1/invitations",
        json=invitation_payload(customer={"id": "C-unsub"}, survey="nps", send_after=3600),
        headers=auth("ingest"),
    ).json
    answer = client.post(
        f"/u/{first['token']}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert _customer(db_session, first["id"]).unsubscribed_at is not None
    db_session.expire_all()
    if pending["status"] == "scheduled":
        assert db_session.get_one(Invitation, pending["id"]).status == "cancelled"
    db_session.commit()
    later = client.post(
        "/api/v1/invitations",
        json=invitation_payload(customer={"id": "C-unsub"}),
        headers=auth("ingest"),
    ).json
    assert (later["status"], later["reason"]) == ("suppressed", "unsubscribed")


def test_the_widget_script_is_served_small_and_cacheable(client: FlaskClient) -> None:
    answer = client.get("/widget.js")
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert len(answer.data) < 8 * 1024
    assert "max-age=3600" in answer.headers["Cache-Control"]
    assert b"/api/v1/responses" in answer.data
    assert b"innerHTML" not in answer.data  # customer text goes in as text nodes only
