"""Alerts: a detractor response with a comment (or any other finding another
feature raises) goes to a signed webhook and/or by email to the team lead, once;
and a scheduled digest of the period's scores.

The Python API for other features::

    from feedback_service.alerts import raise_alert
    raise_alert(session, "emerging_product_gap", "Login loop after update",
                {"theme": ..., "weekly_counts": [...]}, dedupe_key="gap:login-loop:2026-W48")

It stores the alert (idempotent on ``dedupe_key``) and sends it through the
configured channels after the caller's transaction commits.
"""

from __future__ import annotations

from flask import Flask

from feedback_service.alerts.models import Alert
from feedback_service.alerts.service import open_alert_count, raise_alert

__all__ = ["Alert", "init_app", "open_alert_count", "raise_alert"]


def init_app(app: Flask) -> None:
    """Register the alerts API (and with it the email templates); subscribe to
    processed answers."""
    from feedback_service.alerts import receivers  # noqa: F401  (connects signals)
    from feedback_service.alerts.routes import alerts_blp
    from feedback_service.api import api

    api.register_blueprint(alerts_blp)
