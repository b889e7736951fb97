"""The dispatch flow end to end with real parts: a request commits an invitation, a
separate Celery worker process picks the task off the real broker, sends the mail to
a real SMTP server, and the one-click link in that mail works against the live app."""

from __future__ import annotations

import re
import urllib.request
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback_service.auth.service import create_api_key
from feedback_service.surveys.models import Invitation
from tests.factories import invitation_payload
from tests.integration.conftest import RecordingHandler, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.broker]


def _ingest_headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        from feedback_service.db import get_session

        session = get_session()
        _key, plain = create_api_key(session, "integration", ["ingest"])
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def _invitation(app: Flask, invitation_id: int) -> Invitation | None:
    with app.app_context():
        from feedback_service.db import get_session

        return get_session().scalar(select(Invitation).where(Invitation.id == invitation_id))


def _dispatch(app: Flask, **payload: Any) -> TestResponse:
    """The helpdesk's call: ``POST /api/v1/invitations`` with an ingest key."""
    return app.test_client().post(
        "/api/v1/invitations", json=invitation_payload(**payload), headers=_ingest_headers(app)
    )


def _reaches(app: Flask, invitation_id: int, status: str, timeout: float = 60.0) -> Invitation:
    """The invitation once a worker process has given it ``status``."""
    found: Invitation = wait_for(
        lambda: (inv := _invitation(app, invitation_id)) and inv.status == status and inv,
        timeout=timeout,
    )
    return found


@pytest.mark.usefixtures("worker")
def test_request_enqueues_after_commit_and_a_worker_process_sends_the_mail(
    live_app: Flask, http_server: str, mailbox: RecordingHandler
) -> None:
    response = _dispatch(live_app, customer={"email": "ines@example.com", "name": "Inés"})
    assert response.status_code == 201
    assert response.json["status"] == "scheduled"
    invitation_id = response.json["id"]

    # The worker, a separate process, changed the database...
    sent = _reaches(live_app, invitation_id, "sent")
    assert sent.sent_at is not None and sent.attempts == 1
    # ...and the SMTP server received exactly one mail, to the customer.
    wait_for(lambda: mailbox.messages)
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["To"] == "Inés <ines@example.com>"
    assert mail["List-Unsubscribe"] == f"<{http_server}/u/{response.json['token']}>"

    # The one-click rating in the mail works against the running app.
    html = mail.get_body(("html",)).get_content()
    links = re.findall(r'href="([^"]+\?csat=(\d))"', html)
    assert [value for _url, value in links] == ["1", "2", "3", "4", "5"]
    url = dict((v, u) for u, v in links)["4"]
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200
        assert "text/html" in page.headers["Content-Type"]
    with live_app.app_context():
        from feedback_service.db import get_session
        from feedback_service.surveys.models import Response

        stored = get_session().scalar(
            select(Response).where(Response.invitation_id == invitation_id)
        )
        assert stored is not None and stored.csat == 4


@pytest.mark.usefixtures("worker")
def test_temporary_smtp_failure_is_retried_and_the_mail_arrives_once(
    live_app: Flask, mailbox: RecordingHandler
) -> None:
    mailbox.defer_first = 2
    invitation_id = _dispatch(live_app).json["id"]
    sent = _reaches(live_app, invitation_id, "sent", timeout=90)
    assert mailbox.deferred == 2
    assert sent.attempts == 3
    assert len(mailbox.messages) == 1
    kinds = [e.kind for e in _history(live_app, invitation_id)]
    assert kinds.count("send_deferred") == 2 and kinds[-1] == "sent"


@pytest.mark.usefixtures("worker")
def test_permanent_smtp_failure_marks_the_invitation_failed(
    live_app: Flask, mailbox: RecordingHandler
) -> None:
    response = _dispatch(live_app, customer={"email": "nobody@example.com"})

    async def refuse(server: Any, session: Any, envelope: Any) -> str:
        return "550 5.1.1 No such user"

    mailbox.handle_DATA = refuse  # type: ignore[method-assign]
    failed = _reaches(live_app, response.json["id"], "failed")
    assert "550" in (failed.last_error or "")
    assert mailbox.messages == []


def _history(app: Flask, invitation_id: int) -> list[Any]:
    with app.app_context():
        from feedback_service.db import get_session
        from feedback_service.surveys.models import InvitationEvent

        return list(
            get_session().scalars(
                select(InvitationEvent)
                .where(InvitationEvent.invitation_id == invitation_id)
                .order_by(InvitationEvent.id)
            )
        )


@pytest.mark.usefixtures("worker")
def test_invitation_committed_while_the_broker_was_down_is_sent_by_the_sweep(
    live_app: Flask, mailbox: RecordingHandler
) -> None:
    from feedback_service import create_app
    from feedback_service.tasks import enqueue
    from workers.sweep import sweep

    broker_down = create_app(
        {**live_app.config, "BROKER_URL": "redis://127.0.0.1:1/0", "TESTING": True}
    )
    response = _dispatch(broker_down)
    # Accepted and committed although the task could not be sent.
    assert response.status_code == 201
    invitation_id = response.json["id"]
    assert _invitation(live_app, invitation_id).status == "scheduled"  # type: ignore[union-attr]
    assert mailbox.messages == []

    # The next beat of the sweep, on a working broker, finds it.
    with live_app.app_context():
        enqueue(sweep)
    _reaches(live_app, invitation_id, "sent")
    wait_for(lambda: mailbox.messages)
    assert len(mailbox.messages) == 1
