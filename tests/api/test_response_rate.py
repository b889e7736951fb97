"""One response rate everywhere it is shown: of the surveys sent in the period, those
answered (a confirmed answer, whenever it came).

The period is the dashboard's 30 days over a 35-day demo, with answers given
yesterday to surveys sent before the period: answers submitted in the period over
surveys sent in it (the summary's old rate) then differ from the cohort rate, and
every place that shows a response rate must show the cohort one, counted here
from the raw rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.alerts import digest
from feedback_service.demo.seed import DemoSummary
from feedback_service.surveys.models import Invitation, Response
from tests.api.test_dashboard import seeded_demo, sign_in
from tests.api.test_dashboard_pages import html_of, tile_text
from tests.apps import committed_for_module
from tests.factories import response_to

DAYS = 30  # the dashboard's shortest period
LATE_ANSWERS = 12


@pytest.fixture(scope="module")
def committed_demo(app: Flask) -> Iterator[DemoSummary]:
    with committed_for_module(app, lambda session: seeded_demo(session, days=35)) as summary:
        yield summary


def period() -> tuple[dt.date, dt.date]:
    end = dt.datetime.now(dt.UTC).date()
    return end - dt.timedelta(days=DAYS - 1), end


def in_period(moment: dt.datetime | None) -> bool:
    start, end = period()
    return moment is not None and start <= moment.astimezone(dt.UTC).date() <= end


def answer_older_surveys_yesterday(session: Session) -> None:
    """Confirmed answers, given yesterday, to surveys sent before the period."""
    answered = set(session.scalars(select(Response.invitation_id)))
    older = [
        i
        for i in session.scalars(select(Invitation).order_by(Invitation.id))
        if i.sent_at is not None and not in_period(i.sent_at) and i.id not in answered
    ][:LATE_ANSWERS]
    assert len(older) == LATE_ANSWERS
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    for i in older:
        session.add(
            response_to(
                i,
                csat=5,
                status="confirmed",
                source="page",
                submitted_at=yesterday,
                confirmed_at=yesterday,
            )
        )
    session.commit()


def expected(session: Session) -> dict[str, Any]:
    """The cohort's counts from the raw rows, and the old rate for contrast."""
    confirmed = {
        r.invitation_id: r for r in session.scalars(select(Response)) if r.status == "confirmed"
    }
    sent = [i for i in session.scalars(select(Invitation)) if in_period(i.sent_at)]
    answered = sum(1 for i in sent if i.id in confirmed)
    submitted = sum(1 for r in confirmed.values() if in_period(r.submitted_at))
    return {
        "sent": len(sent),
        "answered": answered,
        "rate": 100 * answered / len(sent),
        "old_rate": 100 * submitted / len(sent),
    }


def test_every_response_rate_shown_is_the_cohort_rate(
    client: FlaskClient,
    app: Flask,
    committed_demo: DemoSummary,
    db_session: Session,
    auth: Any,
) -> None:
    answer_older_surveys_yesterday(db_session)
    want = expected(db_session)
    # The two definitions differ here, so the test tells them apart.
    assert abs(want["rate"] - want["old_rate"]) > 1.0, want
    start, end = period()
    query = {"from": start.isoformat(), "to": end.isoformat()}
    headers = auth("reports")

    summary = client.get("/api/v1/reports/summary", query_string=query, headers=headers).json
    assert summary["invitations_sent"] == want["sent"]
    assert summary["invitations_answered"] == want["answered"]
    assert summary["response_rate"]["value"] == pytest.approx(want["rate"])
    assert summary["response_rate"]["count"] == want["answered"]

    body = client.get(
        "/api/v1/reports/summary", query_string={**query, "format": "csv"}, headers=headers
    ).get_data(as_text=True)
    rows = {row["figure"]: row for row in csv.DictReader(io.StringIO(body))}
    assert float(rows["response_rate"]["value"]) == pytest.approx(want["rate"])
    assert int(float(rows["invitations_answered"]["value"])) == want["answered"]

    rates = client.get("/api/v1/reports/response-rates", query_string=query, headers=headers).json
    assert (rates["sent"], rates["answered"]) == (want["sent"], want["answered"])
    assert rates["response_rate"]["value"] == pytest.approx(want["rate"])

    assert sign_in(client, "manager@demo.test").status_code == 302
    shown = f"{want['rate']:.1f}%"
    tile = tile_text(html_of(client, f"/dashboard/?days={DAYS}"), "response-rate")
    assert shown in tile, tile
    assert f"{want['answered']} of {want['sent']} surveys sent in the period were answered" in tile
    printable = re.sub(r"\s+", " ", html_of(client, f"/dashboard/report?days={DAYS}"))
    assert (
        f"{want['answered']} of {want['sent']} surveys sent in the period were answered "
        f"(response rate {shown})"
    ) in printable

    with app.app_context():
        from feedback_service.db import get_session

        built = digest.build(get_session(), "weekly", start, end, 30)
    assert built["response_rate"]["current"] == pytest.approx(want["rate"])
