"""Scores listen to the surveys feature: every saved response is processed.

Imported once by the app factory. ``response_saved`` is sent after the commit
that made the change durable, so the task can always load what it is given; if
the broker is down the send fails, is logged, and the sweep enqueues it later.
"""

from __future__ import annotations

from typing import Any

from feedback_service.scores.tasks import process_response
from feedback_service.surveys.signals import response_saved
from feedback_service.tasks import enqueue


@response_saved.connect
def enqueue_processing(_sender: Any, *, response_id: int, **_extra: Any) -> None:
    enqueue(process_response, response_id, retry=False)
