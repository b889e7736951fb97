"""Ratings only a person confirms, end to end: a real sent email, the live app over
HTTP, a real worker keeping the rollups. A mail scanner that follows every link of
the message counts nothing, however long after; a person counts once."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, NamedTuple

import pytest
import requests
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select, update

from feedback_service.auth.service import create_api_key
from feedback_service.db import get_session
from feedback_service.scores import rollups
from feedback_service.surveys.models import RatingClick, Response
from tests.factories import invitation_payload
from tests.integration.conftest import RecordingHandler, wait_for
from workers.celery_app import BEAT_SCHEDULE
from workers.sweep import sweep_responses

pytestmark = pytest.mark.integration

# The old rule confirmed an unseen rating ten minutes after its last change.
OLD_CONFIRMATION_DELAY = dt.timedelta(minutes=10)
# The comment model is built before the session (tests/conftest.py, as bin/setup
# builds it); a worker's first answer loads it in seconds, later ones take well under
# one. Generous for a busy machine.
PROCESSING_TIMEOUT = 120


def api_key(app: Flask, scope: str) -> dict[str, str]:
    with app.app_context():
        session = get_session()
        _key, plain = create_api_key(session, f"scanner-{scope}", [scope])
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def sent_email(
    app: Flask, http_server: str, smtp: RecordingHandler, ticket: str
) -> tuple[int, EmailMessage]:
    """An invitation made through the API and the email the worker sent for it."""
    before = len(smtp.messages)
    created = requests.post(
        f"{http_server}/api/v1/invitations",
        json=invitation_payload(
            ticket={"id": ticket},
            agent={"id": f"A-{ticket}"},
            customer={"email": f"{ticket}@example.com"},
        ),
        headers=api_key(app, "ingest"),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    wait_for(lambda: len(smtp.messages) > before, timeout=120)
    mail = smtp.messages[-1]
    assert mail["To"].endswith(f"<{ticket}@example.com>")
    return int(created.json()["id"]), mail


class Emailed(NamedTuple):
    """An invitation the worker has emailed, a reports key, and the ticket's agent."""

    invitation_id: int
    mail: EmailMessage
    reports: dict[str, str]
    agent: str


@pytest.fixture
def email_for(
    live_app: Flask,
    http_server: str,
    worker: subprocess.Popen[str],
    smtp_server: tuple[Controller, RecordingHandler],
) -> Callable[[str], Emailed]:
    """Makes an invitation for a ticket through the API, with a worker running, and
    gives the email it sent."""

    def make(ticket: str) -> Emailed:
        invitation_id, mail = sent_email(live_app, http_server, smtp_server[1], ticket)
        return Emailed(invitation_id, mail, api_key(live_app, "reports"), f"A-{ticket}")

    return make


def rating_links(mail: EmailMessage) -> list[str]:
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    links = re.findall(r'href="([^"]+\?csat=\d)"', html)
    assert [link[-1] for link in links] == ["1", "2", "3", "4", "5"]
    return links


def every_link(mail: EmailMessage) -> list[str]:
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return list(dict.fromkeys(re.findall(r'href="([^"]+)"', html)))


def response_of(app: Flask, invitation_id: int) -> Response | None:
    with app.app_context():
        return get_session().scalar(select(Response).where(Response.invitation_id == invitation_id))


def processed(app: Flask, invitation_id: int) -> bool:
    response = response_of(app, invitation_id)
    return response is not None and response.processed_version == response.version


def csat_summary(http_server: str, headers: dict[str, str], ticket_agent: str) -> dict[str, Any]:
    answer = requests.get(
        f"{http_server}/api/v1/reports/summary",
        params={"agent": ticket_agent},
        headers=headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def time_passes(app: Flask, invitation_id: int) -> None:
    """The clicks and the answer's last change happened well over the old delay ago;
    then the beat's periodic tasks run (the sweeps reach the worker). The answer's
    ``submitted_at`` stays: it is the day the rollups count it under, which the
    product never moves (moved across midnight by hand, the kept rollups would
    rightly differ from a rebuild)."""
    long_ago = dt.datetime.now(dt.UTC) - 6 * OLD_CONFIRMATION_DELAY
    with app.app_context():
        session = get_session()
        session.execute(
            update(Response)
            .where(Response.invitation_id == invitation_id)
            .values(updated_at=long_ago)
        )
        session.execute(
            update(RatingClick)
            .where(RatingClick.invitation_id == invitation_id)
            .values(clicked_at=long_ago)
        )
        session.commit()
        # No periodic task confirms ratings any more; the sweeps still run.
        assert not [e for e in BEAT_SCHEDULE.values() if "provisional" in e["task"]]
        assert sweep_responses() == {"responses": 0}
    wait_for(lambda: processed(app, invitation_id), timeout=PROCESSING_TIMEOUT)


def rollups_equal_a_rebuild(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        incremental = rollups.histogram_rows(session)
        coarser = rollups.coarser_rows(session)
        rollups.rebuild(session)
        assert rollups.histogram_rows(session) == incremental
        assert rollups.coarser_rows(session) == coarser
        session.rollback()


def test_a_mail_scanner_following_every_link_counts_nothing(
    live_app: Flask, http_server: str, email_for: Callable[[str], Emailed]
) -> None:
    invitation_id, mail, reports, agent = email_for("SCANNER-1")

    # The scanner: HEAD, then GET of every link of the message, in order, as fast
    # as it can; it runs no script, so no page is ever seen.
    scanner = requests.Session()
    scanner.headers["User-Agent"] = "Mozilla/5.0 (compatible; SafeLinks scanner)"
    for url in every_link(mail):
        assert scanner.head(url, timeout=10).status_code == 200
    assert every_link(mail)[:5] == rating_links(mail)
    for url in every_link(mail):
        assert scanner.get(url, timeout=10).status_code == 200
    wait_for(lambda: processed(live_app, invitation_id), timeout=PROCESSING_TIMEOUT)

    response = response_of(live_app, invitation_id)
    assert response is not None and response.status == "scanner"
    with live_app.app_context():
        kept = get_session().scalars(
            select(RatingClick).where(RatingClick.invitation_id == invitation_id)
        )
        assert [c.answers["csat"] for c in kept if c.scanner] == [1, 2, 3, 4, 5]
    summary = csat_summary(http_server, reports, agent)
    assert summary["metrics"]["csat"]["n"] == 0 and summary["responses"] == 0
    assert summary["unconfirmed"] == {"provisional": 0, "scanner": 1}

    # Long after the old confirmation delay, with the beat's tasks run: still nothing.
    time_passes(live_app, invitation_id)
    summary = csat_summary(http_server, reports, agent)
    assert summary["metrics"]["csat"]["n"] == 0 and summary["responses"] == 0
    rollups_equal_a_rebuild(live_app)


def test_a_person_who_clicks_once_and_sees_the_page_counts_once(
    live_app: Flask, http_server: str, email_for: Callable[[str], Emailed]
) -> None:
    invitation_id, mail, reports, agent = email_for("PERSON-1")

    # One click on "4" opens the page in the person's browser...
    browser = requests.Session()
    page = browser.get(rating_links(mail)[3], timeout=10)
    assert page.status_code == 200 and 'value="4" checked' in page.text
    wait_for(lambda: processed(live_app, invitation_id), timeout=PROCESSING_TIMEOUT)
    assert csat_summary(http_server, reports, agent)["unconfirmed"]["provisional"] == 1
    # ...which shows it: the page's script posts its beacon, as a browser would.
    form = re.search(r'data-seen="([^"]+)" data-click="(\d+)"', page.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert form and csrf and '<script nonce="' in page.text
    seen = browser.post(
        http_server + form.group(1),
        data={"csrf_token": csrf.group(1), "click": form.group(2)},
        timeout=10,
    )
    assert seen.status_code == 204
    wait_for(lambda: processed(live_app, invitation_id), timeout=PROCESSING_TIMEOUT)

    summary = csat_summary(http_server, reports, agent)
    assert summary["responses"] == 1
    assert (summary["metrics"]["csat"]["n"], summary["metrics"]["csat"]["value"]) == (1, 100.0)
    assert summary["unconfirmed"] == {"provisional": 0, "scanner": 0}

    time_passes(live_app, invitation_id)
    summary = csat_summary(http_server, reports, agent)
    assert (summary["responses"], summary["metrics"]["csat"]["n"]) == (1, 1)
    rollups_equal_a_rebuild(live_app)
