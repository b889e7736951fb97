"""Alerts listen to answer processing: every processed batch of answers is
checked against the alert rules (``alerts/responses.py``), in the processing
transaction.

Imported once by ``alerts.init_app``; analysis never imports alerts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from feedback_service.alerts.responses import alert_on_responses
from feedback_service.scores.signals import answers_processed
from feedback_service.surveys.models import Response


@answers_processed.connect
def alert_on_processed_answers(
    _sender: Any, *, session: Session, responses: list[Response], **_extra: Any
) -> None:
    alert_on_responses(session, responses)
