"""Beat-driven work: reminders, expiry and the sweep, run as tasks on the test database."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from feedback_service.surveys.models import Invitation
from feedback_service.surveys.tasks import expire_invitations, send_due_reminders
from feedback_service.tasks import backoff_seconds
from tests.factories import invitation_payload
from workers.sweep import sweep


def _invite(client: FlaskClient, auth: Any, **overrides: Any) -> int:
    response = client.post(
        "/api/v1/invitations", json=invitation_payload(**overrides), headers=auth("ingest")
    )
    assert response.status_code == 201
    return int(response.json["id"])


def test_one_reminder_after_the_surveys_delay(
    client: FlaskClient, auth: Any, db_session: Any, outbox: Path
) -> None:
    invitation_id = _invite(client, auth)
    assert len(list(outbox.glob("*.eml"))) == 1
    assert send_due_reminders() == 0  # not yet: 48 hours have not passed

    invitation = db_session.get(Invitation, invitation_id)
    invitation.sent_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=49)
    db_session.commit()
    assert send_due_reminders() == 1
    assert send_due_reminders() == 0  # at most one reminder
    mails = sorted(outbox.glob("*.eml"))
    assert len(mails) == 2
    subjects = {message_from_bytes(m.read_bytes(), policy=policy.default)["Subject"] for m in mails}
    assert any(s.startswith("A quick reminder") for s in subjects)


def test_no_reminder_once_answered(
    client: FlaskClient, auth: Any, db_session: Any, outbox: Path
) -> None:
    invitation = db_session.get(Invitation, _invite(client, auth))
    invitation.sent_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=72)
    invitation.answered_at = dt.datetime.now(dt.UTC)
    db_session.commit()
    assert send_due_reminders() == 0


def test_unanswered_invitations_expire(client: FlaskClient, auth: Any, db_session: Any) -> None:
    fresh = _invite(client, auth)
    old = _invite(client, auth)
    invitation = db_session.get(Invitation, old)
    invitation.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db_session.commit()
    assert expire_invitations() == 1
    db_session.expire_all()
    assert db_session.get(Invitation, old).status == "expired"
    assert db_session.get(Invitation, fresh).status == "sent"


def _backdate(db_session: Any, invitation_id: int, minutes: int) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    db_session.execute(
        Invitation.__table__.update()
        .where(Invitation.id == invitation_id)
        .values(send_at=past, created_at=past, updated_at=past)
    )
    db_session.commit()


def test_a_delayed_invitation_is_sent_when_it_falls_due(
    client: FlaskClient, auth: Any, db_session: Any, outbox: Path
) -> None:
    invitation_id = _invite(client, auth, send_after=3600)
    assert sweep() == {"invitations": 0}  # not due for an hour
    assert list(outbox.glob("*.eml")) == []
    _backdate(db_session, invitation_id, minutes=1)
    assert sweep() == {"invitations": 1}
    db_session.expire_all()
    assert db_session.get(Invitation, invitation_id).status == "sent"
    assert len(list(outbox.glob("*.eml"))) == 1


def test_sweep_sends_what_was_committed_but_never_enqueued(
    app: Any, client: FlaskClient, auth: Any, db_session: Any, outbox: Path
) -> None:
    invitation_id = _invite(client, auth, send_after=3600)
    invitation = db_session.get(Invitation, invitation_id)
    assert invitation.status == "scheduled"
    # Its send time passed long ago and its message was lost with the broker.
    _backdate(db_session, invitation_id, minutes=30)
    assert sweep() == {"invitations": 1}
    db_session.expire_all()
    assert db_session.get(Invitation, invitation_id).status == "sent"
    assert len(list(outbox.glob("*.eml"))) == 1
    assert sweep() == {"invitations": 0}


def test_sweep_reclaims_a_send_abandoned_by_a_dead_worker(
    client: FlaskClient, auth: Any, db_session: Any, outbox: Path
) -> None:
    invitation_id = _invite(client, auth, send_after=3600)
    invitation = db_session.get(Invitation, invitation_id)
    invitation.status = "sending"
    db_session.commit()
    assert sweep() == {"invitations": 0}  # a live claim is left alone
    db_session.execute(
        Invitation.__table__.update()
        .where(Invitation.id == invitation_id)
        .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    )
    db_session.commit()
    assert sweep() == {"invitations": 1}
    db_session.expire_all()
    assert db_session.get(Invitation, invitation_id).status == "sent"


def test_backoff_doubles() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(3, base=1) == 4
