"""Two identical dispatch calls racing each other make one invitation."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from feedback_service.auth.service import create_api_key
from feedback_service.db import get_session
from feedback_service.surveys.models import Invitation
from tests.factories import invitation_payload

pytestmark = pytest.mark.integration


def test_concurrent_identical_requests_give_one_invitation(
    live_app: Flask, committed_db: None
) -> None:
    with live_app.app_context():
        session = get_session()
        _key, plain = create_api_key(session, "race", ["ingest"])
        session.commit()
    headers = {"Authorization": f"Bearer {plain}"}

    for round_ in range(8):
        payload = invitation_payload(ticket={"id": f"RACE-{round_}"}, send_after=3600)
        barrier = threading.Barrier(2)
        results: list[Any] = []

        def call(
            payload: dict[str, Any] = payload,
            barrier: threading.Barrier = barrier,
            results: list[Any] = results,
        ) -> None:
            client = live_app.test_client()
            barrier.wait()
            response = client.post("/api/v1/invitations", json=payload, headers=headers)
            results.append((response.status_code, response.json))

        threads = [threading.Thread(target=call) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(code for code, _ in results) == [200, 201], results
        assert results[0][1]["id"] == results[1][1]["id"]
        with live_app.app_context():
            count = get_session().scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.id == results[0][1]["id"])
            )
            assert count == 1
    with live_app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Invitation)) == 8
