"""Alerts listen to the analysis feature: every processed answer is checked
against the alert rules (``alerts/responses.py``), in the processing transaction.

Imported once by ``alerts.init_app``; analysis never imports alerts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from feedback_service.alerts.responses import alert_on_response
from feedback_service.scores.signals import answer_processed
from feedback_service.surveys.models import Response


@answer_processed.connect
def alert_on_processed_answer(
    _sender: Any, *, session: Session, response: Response, **_extra: Any
) -> None:
    alert_on_response(session, response)
