"""HTTP layer of alerts: the settings (scope ``admin``), the list of alerts and
acknowledging them (scope ``reports``, what a CX manager's tools hold)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import g

from feedback_service.alerts import service
from feedback_service.alerts.models import Alert, AlertDelivery
from feedback_service.alerts.schemas import (
    AlertOut,
    AlertPageOut,
    AlertQuery,
    AlertSettingsIn,
    AlertSettingsOut,
)
from feedback_service.api import api_blueprint, requires_scope
from feedback_service.db import get_session
from feedback_service.views import fields

# The template folder holds the alert and digest emails.
alerts_blp = api_blueprint(
    "alerts",
    __name__,
    "Alerts on detractor responses, their delivery settings, the digest",
    template_folder="templates",
)


def _target(delivery: AlertDelivery) -> str:
    if delivery.channel != "webhook":
        return delivery.target
    # A token in the query string is the receiver's secret, not for report readers.
    parts = urlsplit(delivery.target)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def alert_view(alert: Alert) -> dict[str, Any]:
    return {
        **fields(alert, "id kind title status payload dedupe_key"),
        **fields(alert, "created_at acknowledged_at acknowledged_by"),
        "deliveries": [
            {
                "channel": d.channel,
                "target": _target(d),
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "delivered_at": d.delivered_at,
            }
            for d in alert.deliveries
        ],
    }


@alerts_blp.route("/alerts/settings", methods=["GET"])
@requires_scope("admin")
@alerts_blp.response(200, AlertSettingsOut)
def get_settings() -> Any:
    """What raises an alert, where alerts go, and the digest (the secret is never shown)."""
    return service.settings_view(service.get_settings(get_session()))


@alerts_blp.route("/alerts/settings", methods=["PUT"])
@requires_scope("admin")
@alerts_blp.arguments(AlertSettingsIn)
@alerts_blp.response(200, AlertSettingsOut)
def put_settings(data: dict[str, Any]) -> Any:
    """Change the settings; sections left out keep their value, ``webhook: null``
    removes the webhook, a webhook without ``secret`` keeps the stored one."""
    session = get_session()
    settings = service.update_settings(session, data)
    session.commit()
    return service.settings_view(settings)


@alerts_blp.route("/alerts", methods=["GET"])
@requires_scope("reports")
@alerts_blp.arguments(AlertQuery, location="query")
@alerts_blp.response(200, AlertPageOut)
def list_alerts(args: dict[str, Any]) -> Any:
    """Alerts, newest first, with how each was delivered; ``open`` counts the open ones."""
    session = get_session()
    items, total = service.list_alerts(
        session,
        status=args["status"],
        kind=args["kind"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return {
        "items": [alert_view(a) for a in items],
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
        "open": service.open_alert_count(session),
    }


@alerts_blp.route("/alerts/<int:alert_id>", methods=["GET"])
@requires_scope("reports")
@alerts_blp.response(200, AlertOut)
def get_alert(alert_id: int) -> Any:
    return alert_view(service.get_alert(get_session(), alert_id))


@alerts_blp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@requires_scope("reports")
@alerts_blp.response(200, AlertOut)
def acknowledge(alert_id: int) -> Any:
    """Mark the alert seen (by the calling key's name); repeating it changes nothing."""
    session = get_session()
    caller = g.get("caller")
    alert = service.acknowledge(session, alert_id, caller.name if caller else None)
    session.commit()
    return alert_view(alert)
