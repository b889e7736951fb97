"""Exactly-once under real concurrency: committed transactions, two clients at once."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback_service.db import get_session
from feedback_service.surveys import service as surveys_service
from feedback_service.surveys.models import Response
from feedback_service.surveys.schemas import InvitationIn
from tests.factories import invitation_payload

pytestmark = pytest.mark.integration


def committed_invitation(app: Flask, ticket: str) -> tuple[int, str]:
    """An invitation made by the dispatch service and really committed."""
    with app.app_context():
        session = get_session()
        payload = InvitationIn().load(invitation_payload(delivery="link", ticket={"id": ticket}))
        result = surveys_service.dispatch(session, payload, source="api")
        session.commit()
        return result.invitation.id, result.invitation.token


def at_once(app: Flask, *calls: Callable[[FlaskClient], Any]) -> list[Any]:
    """Run each call on its own thread, test client and session, released together."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[FlaskClient], Any]) -> None:
        client = app.test_client()
        barrier.wait()
        results[index] = call(client)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def responses_for(app: Flask, invitation_id: int) -> list[Response]:
    with app.app_context():
        return list(
            get_session().scalars(select(Response).where(Response.invitation_id == invitation_id))
        )


def test_two_identical_posts_at_once_give_one_response(live_app: Flask, committed_db: None) -> None:
    for round_ in range(8):
        invitation_id, token = committed_invitation(live_app, f"COLLECT-RACE-{round_}")
        body = {"token": token, "answers": {"csat": 4, "fcr": True}, "comment": "Fine."}

        def call(client: FlaskClient, body: dict[str, Any] = body) -> tuple[int, Any]:
            answer = client.post("/api/v1/responses", json=body)
            return answer.status_code, answer.json

        results = at_once(live_app, call, call)
        assert sorted(code for code, _ in results) == [200, 201], results
        assert results[0][1]["id"] == results[1][1]["id"]
        stored = responses_for(live_app, invitation_id)
        assert len(stored) == 1
        # The loser found the same answers: nothing changed, nothing counted twice.
        assert stored[0].version == 1
        assert (stored[0].csat, stored[0].fcr, stored[0].comment) == (4, 1, "Fine.")
    with live_app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Response)) == 8


def test_a_click_and_a_widget_post_at_once_make_one_response_with_both_answers(
    live_app: Flask, committed_db: None
) -> None:
    for round_ in range(6):
        invitation_id, token = committed_invitation(live_app, f"COLLECT-MIX-{round_}")

        def click(client: FlaskClient, token: str = token) -> tuple[int, str, FlaskClient]:
            page = client.get(f"/s/{token}?csat=2")
            return page.status_code, page.get_data(as_text=True), client

        def widget(client: FlaskClient, token: str = token) -> int:
            answer = client.post("/api/v1/responses", json={"token": token, "answers": {"ces": 6}})
            return answer.status_code

        (click_code, page, browser), widget_code = at_once(live_app, click, widget)
        assert click_code == 200 and widget_code in (200, 201), (click_code, widget_code)
        # The click's page is shown to the person, whose browser posts the beacon: only
        # then does the one-click rating count (a mail scanner never gets this far).
        seen = re.search(r'data-seen="([^"]+)" data-click="(\d+)"', page)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert seen and csrf, page
        beacon = browser.post(
            seen.group(1), data={"csrf_token": csrf.group(1), "click": seen.group(2)}
        )
        assert beacon.status_code == 204
        stored = responses_for(live_app, invitation_id)
        assert len(stored) == 1
        assert (stored[0].csat, stored[0].ces) == (2, 6)
