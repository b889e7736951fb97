"""Raising alerts, planning and recording their deliveries, and the settings.

Services take a session, flush and never commit; the request or the task commits.
Deliveries are sent by workers only after the transaction that raised the alert
has committed (``enqueue_after_commit``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from feedback_service.alerts.models import SETTINGS_ID, Alert, AlertDelivery, AlertSettings
from feedback_service.alerts.rules import DEFAULT_TRIGGERS
from feedback_service.db import claim, unsent_ids, utcnow
from feedback_service.errors import NotFound, ValidationError
from feedback_service.helpdesk.models import Team

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
# A delivery claimed longer ago than this belongs to a dead worker.
STALE_SENDING = dt.timedelta(minutes=15)
DIGEST_FREQUENCIES = ("off", "daily", "weekly")


class AlertNotFound(NotFound):
    code = "alert_not_found"


# --- settings -----------------------------------------------------------------------


def default_settings() -> AlertSettings:
    return AlertSettings(
        id=SETTINGS_ID,
        triggers=dict(DEFAULT_TRIGGERS),
        require_comment=True,
        webhook_url=None,
        webhook_secret=None,
        email_team_lead=True,
        email_recipients=[],
        digest_frequency="off",
        digest_recipients=[],
        digest_hour_utc=7,
        updated_at=None,
    )


def get_settings(session: Session) -> AlertSettings:
    """The stored settings, or the defaults (not added to the session) if none."""
    stored = session.get(AlertSettings, SETTINGS_ID)
    return stored if stored is not None else default_settings()


class WebhookView(TypedDict):
    url: str
    secret_set: bool


class EmailView(TypedDict):
    team_lead: bool
    recipients: list[str]


class DigestView(TypedDict):
    frequency: str
    recipients: list[str]
    hour_utc: int


class SettingsView(TypedDict):
    triggers: dict[str, int | None]  # metric -> the highest answer that alerts
    require_comment: bool
    webhook: WebhookView | None
    email: EmailView
    digest: DigestView
    updated_at: dt.datetime | None  # None: the defaults, never saved


def settings_view(settings: AlertSettings) -> SettingsView:
    """What the API shows: everything but the webhook secret."""
    return {
        "triggers": {m: settings.triggers.get(m) for m in DEFAULT_TRIGGERS},
        "require_comment": settings.require_comment,
        "webhook": None
        if not settings.webhook_url
        else {"url": settings.webhook_url, "secret_set": bool(settings.webhook_secret)},
        "email": {
            "team_lead": settings.email_team_lead,
            "recipients": list(settings.email_recipients or []),
        },
        "digest": {
            "frequency": settings.digest_frequency,
            "recipients": list(settings.digest_recipients or []),
            "hour_utc": settings.digest_hour_utc,
        },
        "updated_at": settings.updated_at,
    }


def update_settings(session: Session, data: Mapping[str, Any]) -> AlertSettings:
    """Apply validated input; sections left out keep their current value.

    ``webhook: null`` removes the webhook. A webhook without ``secret`` keeps the
    stored secret, and needs one if none is stored yet.
    """
    stored = session.get(AlertSettings, SETTINGS_ID, with_for_update=True)
    settings = stored if stored is not None else default_settings()
    if "webhook" in data:
        webhook = data["webhook"]
        if webhook is None:
            settings.webhook_url = None
            settings.webhook_secret = None
        else:
            secret = webhook.get("secret") or settings.webhook_secret
            if not secret:
                raise ValidationError(
                    "A webhook needs a signing secret.",
                    fields={"webhook.secret": ["Required when no secret is stored yet."]},
                )
            settings.webhook_url = webhook["url"]
            settings.webhook_secret = secret
    if "triggers" in data:
        settings.triggers = {m: data["triggers"].get(m) for m in DEFAULT_TRIGGERS}
    if "require_comment" in data:
        settings.require_comment = data["require_comment"]
    if "email" in data:
        settings.email_team_lead = data["email"]["team_lead"]
        settings.email_recipients = _unique(data["email"]["recipients"])
    if "digest" in data:
        digest = data["digest"]
        if digest["frequency"] != "off" and not digest["recipients"]:
            raise ValidationError(
                "A digest needs recipients.",
                fields={"digest.recipients": ["Give at least one address, or frequency 'off'."]},
            )
        settings.digest_frequency = digest["frequency"]
        settings.digest_recipients = _unique(digest["recipients"])
        settings.digest_hour_utc = digest["hour_utc"]
    settings.updated_at = utcnow()
    if stored is None:
        session.add(settings)
    session.flush()
    return settings


def _unique(addresses: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), address.strip())
    return list(seen.values())


# --- raising ------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def plan_deliveries(
    session: Session, settings: AlertSettings, team_id: int | None
) -> list[tuple[str, str]]:
    """``[(channel, target)]`` for an alert about ``team_id`` under ``settings``."""
    planned: list[tuple[str, str]] = []
    if settings.webhook_url and settings.webhook_secret:
        planned.append(("webhook", settings.webhook_url))
    recipients: list[str] = []
    if settings.email_team_lead and team_id is not None:
        lead = session.scalar(select(Team.lead_email).where(Team.id == team_id))
        if lead:
            recipients.append(lead)
    recipients.extend(settings.email_recipients or [])
    planned.extend(("email", address) for address in _unique(recipients))
    return planned


def raise_alert(
    session: Session,
    kind: str,
    title: str,
    payload: dict[str, Any],
    dedupe_key: str,
    *,
    team_id: int | None = None,
    settings: AlertSettings | None = None,
) -> Alert | None:
    """Store an alert and send it through the configured channels after commit.

    Idempotent on ``dedupe_key``: the first call stores the alert and returns it,
    every later call (a re-processed response, a re-run detector) returns None
    and sends nothing. ``payload`` must be JSON-serialisable; it is what the
    webhook receives and what the email lists. ``team_id`` (our id) names the
    team whose lead is emailed, if the settings ask for that. ``settings``: the
    alert settings when the caller has read them already (a batch of answers).
    """
    if not kind or len(kind) > 60:
        raise ValueError("kind must be 1 to 60 characters")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1 to 200 characters")
    json.dumps(payload)  # a TypeError now, not a failed delivery later
    stmt = (
        _insert(session)(Alert)
        .values(
            kind=kind,
            title=title[:300],
            status=OPEN,
            payload=payload,
            dedupe_key=dedupe_key,
            team_id=team_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Alert)
    )
    alert: Alert | None = session.scalars(stmt).first()
    if alert is None:
        return None
    if settings is None:
        settings = get_settings(session)
    deliveries = [
        AlertDelivery(alert_id=alert.id, channel=channel, target=target, status="pending")
        for channel, target in plan_deliveries(session, settings, team_id)
    ]
    session.add_all(deliveries)
    session.flush()
    from feedback_service.alerts import tasks  # tasks import this module
    from feedback_service.tasks import enqueue_after_commit

    for delivery in deliveries:
        enqueue_after_commit(session, tasks.deliver_alert, delivery.id)
    return alert


# --- deliveries ---------------------------------------------------------------------


def claim_delivery(session: Session, delivery_id: int) -> AlertDelivery | None:
    """Atomically move a due delivery to ``sending``; None if there is nothing to do.

    The conditional UPDATE is the lock: of two workers given the same id, one wins;
    a delivered or failed one is never sent again.
    """
    return claim(
        session, AlertDelivery, delivery_id, "pending", AlertDelivery.next_attempt_at, STALE_SENDING
    )


def mark_delivered(session: Session, delivery: AlertDelivery) -> None:
    delivery.status = "delivered"
    delivery.delivered_at = utcnow()
    delivery.last_error = None
    session.flush()


def mark_retry(session: Session, delivery: AlertDelivery, error: str, delay: int) -> None:
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
    delivery.last_error = error
    session.flush()


def mark_failed(session: Session, delivery: AlertDelivery, error: str) -> None:
    delivery.status = "failed"
    delivery.last_error = error
    session.flush()


def due_delivery_ids(session: Session, grace: dt.timedelta, limit: int = 1000) -> list[int]:
    """Deliveries due now that nobody is sending (a lost enqueue, a dead worker).
    ``grace`` spares those touched a moment ago, still on their way."""
    return unsent_ids(
        session,
        AlertDelivery,
        "pending",
        AlertDelivery.next_attempt_at,
        grace,
        STALE_SENDING,
        limit,
    )


# --- reading and acknowledging ------------------------------------------------------


def open_alert_count(session: Session) -> int:
    """For the dashboard's "open alerts" and the digest."""
    return int(
        session.scalar(select(func.count()).select_from(Alert).where(Alert.status == OPEN)) or 0
    )


def list_alerts(
    session: Session,
    *,
    status: str | None,
    kind: str | None,
    page: int,
    per_page: int,
) -> tuple[list[Alert], int]:
    conditions = []
    if status is not None:
        conditions.append(Alert.status == status)
    if kind is not None:
        conditions.append(Alert.kind == kind)
    total = int(session.scalar(select(func.count(Alert.id)).where(*conditions)) or 0)
    rows = session.scalars(
        select(Alert)
        .where(*conditions)
        .options(selectinload(Alert.deliveries))
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(rows), total


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(f"No alert {alert_id}.", fields={"alert_id": ["Unknown alert."]})
    return alert


def acknowledge(session: Session, alert_id: int, by: str | None) -> Alert:
    """Mark the alert seen; acknowledging twice keeps the first time and name."""
    alert = get_alert(session, alert_id)
    if alert.status != ACKNOWLEDGED:
        alert.status = ACKNOWLEDGED
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = by
        session.flush()
    return alert
