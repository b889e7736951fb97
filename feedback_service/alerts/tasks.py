"""Background work of alerts: delivering each alert, the sweep that finds lost
deliveries, and the scheduled digest. Each task loads by id (or by period),
claims its row, commits, and is safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging

from celery import Task, shared_task
from flask import current_app

from feedback_service.alerts import digest, mail, service, webhook
from feedback_service.alerts.models import AlertDelivery, Digest
from feedback_service.db import get_session, utcnow
from feedback_service.surveys.delivery import (
    PermanentDeliveryError,
    TemporaryDeliveryError,
    deliver,
)
from feedback_service.tasks import backoff_seconds, enqueue_again

log = logging.getLogger(__name__)

DIGEST_MAX_ATTEMPTS = 6


@shared_task(bind=True, name="feedback_service.alerts.tasks.deliver_alert")
def deliver_alert(self: Task, delivery_id: int) -> str:
    session = get_session()
    claimed = service.claim_delivery(session, delivery_id)
    if claimed is None:
        session.rollback()
        return "nothing-to-do"
    session.commit()  # the claim is durable before anything leaves
    config = current_app.config
    attempts, channel, target = claimed.attempts, claimed.channel, claimed.target
    alert = claimed.alert
    secret = service.get_settings(session).webhook_secret if channel == "webhook" else None
    body = webhook.body_of(alert) if channel == "webhook" else b""
    message = mail.alert_message(alert, target) if channel == "email" else None
    kind = alert.kind
    # No transaction is held while the network is slow (on SQLite it would hold
    # the database's write lock).
    session.rollback()
    try:
        if message is not None:
            deliver(message)
        elif not secret:
            raise PermanentDeliveryError("the webhook was removed from the settings")
        else:
            webhook.post(
                target,
                body,
                secret,
                event=kind,
                delivery_id=delivery_id,
                timeout=config["ALERT_WEBHOOK_TIMEOUT"],
            )
    except TemporaryDeliveryError as exc:
        delivery = session.get_one(AlertDelivery, delivery_id)
        if attempts >= config["ALERT_MAX_ATTEMPTS"]:
            service.mark_failed(session, delivery, f"gave up after {attempts} attempts: {exc}")
            session.commit()
            log.error("alert delivery %s failed for good: %s", delivery_id, exc)
            return "failed"
        delay = backoff_seconds(attempts, config["ALERT_RETRY_BASE_SECONDS"])
        service.mark_retry(session, delivery, str(exc), delay)
        session.commit()
        log.warning("alert delivery %s deferred (%s); retry in %ss", delivery_id, exc, delay)
        self.apply_async(args=(delivery_id,), countdown=delay)
        return "deferred"
    except PermanentDeliveryError as exc:
        service.mark_failed(session, session.get_one(AlertDelivery, delivery_id), str(exc))
        session.commit()
        log.error("alert delivery %s refused: %s", delivery_id, exc)
        return "failed"
    service.mark_delivered(session, session.get_one(AlertDelivery, delivery_id))
    session.commit()
    return "delivered"


@shared_task(name="feedback_service.alerts.tasks.sweep_alert_deliveries")
def sweep_alert_deliveries() -> dict[str, int]:
    """Deliveries committed but never sent (broker down, worker killed) go out again."""
    session = get_session()
    grace = dt.timedelta(seconds=current_app.config["SWEEP_GRACE_SECONDS"])
    ids = service.due_delivery_ids(session, grace)
    return {"deliveries": enqueue_again(session, deliver_alert, ids, "alert deliveries")}


def run_digest(now: dt.datetime) -> str:
    """Send the last complete period's digest if it is due and not sent yet."""
    session = get_session()
    settings = service.get_settings(session)
    frequency = settings.digest_frequency
    recipients = list(settings.digest_recipients or [])
    if frequency == "off" or not recipients:
        session.rollback()
        return "off"
    start, end = digest.last_period(frequency, now.date())
    if not digest.is_due(end, settings.digest_hour_utc, now):
        session.rollback()
        return "not-due"
    row = digest.claim(session, frequency, start, end, recipients)
    if row is None:
        session.rollback()
        return "already-sent"
    session.commit()
    digest_id, attempts = row.id, row.attempts
    content = digest.build(session, frequency, start, end, current_app.config["MIN_SAMPLE"])
    message = mail.digest_message(content, row.recipients, f"digest-{frequency}-{start}")
    session.rollback()  # nothing held while the mail server answers
    try:
        deliver(message)
    except TemporaryDeliveryError as exc:
        # The next beat tries again (every 15 minutes), up to a limit.
        status = "failed" if attempts >= DIGEST_MAX_ATTEMPTS else "pending"
        _finish_digest(digest_id, status, str(exc))
        log.warning("digest %s %s not sent: %s", frequency, start, exc)
        return status
    except PermanentDeliveryError as exc:
        _finish_digest(digest_id, "failed", str(exc))
        log.error("digest %s %s refused: %s", frequency, start, exc)
        return "failed"
    _finish_digest(digest_id, "sent", None)
    return "sent"


def _finish_digest(digest_id: int, status: str, error: str | None) -> None:
    session = get_session()
    row = session.get_one(Digest, digest_id)
    row.status, row.last_error = status, error
    if status == "sent":
        row.sent_at = utcnow()
    session.commit()


@shared_task(name="feedback_service.alerts.tasks.send_digest")
def send_digest() -> str:
    return run_digest(utcnow())
