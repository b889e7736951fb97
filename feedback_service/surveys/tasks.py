"""Background work of the surveys feature: sending, reminders and expiry. (No
timer confirms a one-click rating: only a person does, see ``surveys/clicks.py``.)

Each task loads by id, calls the service, commits; each is safe to run twice.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from flask import current_app

from feedback_service.db import get_session, utcnow
from feedback_service.surveys import delivery, service
from feedback_service.tasks import backoff_seconds

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 6


@shared_task(bind=True, name="feedback_service.surveys.tasks.send_invitation")
def send_invitation(self: Task, invitation_id: int) -> str:
    session = get_session()
    invitation = service.claim_for_sending(session, invitation_id)
    if invitation is None:
        session.rollback()
        return "nothing-to-do"
    session.commit()  # the claim is durable before the mail leaves
    try:
        message = delivery.build_message(invitation)
        delivery.deliver(message)
    except delivery.TemporaryDeliveryError as exc:
        if invitation.attempts >= MAX_SEND_ATTEMPTS:
            service.mark_failed(session, invitation, f"gave up after retries: {exc}")
            session.commit()
            return "failed"
        delay = backoff_seconds(invitation.attempts, current_app.config["SEND_RETRY_BASE_SECONDS"])
        service.mark_retry(session, invitation, str(exc), delay)
        session.commit()
        log.warning("invitation %s deferred (%s); retry in %ss", invitation_id, exc, delay)
        self.apply_async(args=(invitation_id,), countdown=delay)
        return "deferred"
    except delivery.PermanentDeliveryError as exc:
        service.mark_failed(session, invitation, str(exc))
        session.commit()
        return "failed"
    service.mark_sent(session, invitation)
    session.commit()
    return "sent"


@shared_task(name="feedback_service.surveys.tasks.send_due_reminders")
def send_due_reminders() -> int:
    """One reminder, at most, to customers who have not answered yet."""
    session = get_session()
    sent = 0
    for invitation in service.due_reminders(session, utcnow()):
        try:
            delivery.deliver(delivery.build_message(invitation, reminder=True))
        except delivery.DeliveryError as exc:
            # The next run tries again; a reminder is not worth a failed invitation.
            log.warning("reminder for invitation %s not sent: %s", invitation.id, exc)
            continue
        service.mark_reminded(session, invitation)
        session.commit()
        sent += 1
    return sent


@shared_task(name="feedback_service.surveys.tasks.expire_invitations")
def expire_invitations() -> int:
    session = get_session()
    count = service.expire_due(session, utcnow())
    session.commit()
    return count
