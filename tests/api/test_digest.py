"""The scheduled digest: its figures against an independent computation from the
raw rows, one digest per period however often the beat fires, text and HTML."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.alerts import digest
from feedback_service.alerts.models import Alert, Digest
from feedback_service.alerts.tasks import run_digest
from feedback_service.analysis.models import CommentAnalysis
from feedback_service.scores.models import ScoreTarget
from feedback_service.surveys.models import Invitation
from tests.api.test_alerts import body_text, emails
from tests.api.test_reports import MIN_N, expected_score, in_range, raw_responses
from tests.apps import committed_for_module
from tests.integration.test_rollups import World, make_world, process, reloaded

# A Monday inside the generated data (2026-09-01 .. 2026-10-30).
MONDAY = dt.datetime(2026, 10, 12, 8, 0, tzinfo=dt.UTC)
WEEK = (dt.date(2026, 10, 5), dt.date(2026, 10, 11))
PREVIOUS_WEEK = (dt.date(2026, 9, 28), dt.date(2026, 10, 4))


def test_periods_are_the_last_complete_day_or_iso_week() -> None:
    assert digest.last_period("daily", dt.date(2026, 10, 12)) == (
        dt.date(2026, 10, 11),
        dt.date(2026, 10, 11),
    )
    for today in (dt.date(2026, 10, 12), dt.date(2026, 10, 15), dt.date(2026, 10, 18)):
        assert digest.last_period("weekly", today) == WEEK
    assert digest.previous_period(*WEEK) == PREVIOUS_WEEK
    day = dt.date(2026, 10, 11)
    assert digest.previous_period(day, day) == (dt.date(2026, 10, 10), dt.date(2026, 10, 10))
    assert not digest.is_due(WEEK[1], 7, dt.datetime(2026, 10, 12, 6, 59, tzinfo=dt.UTC))
    assert digest.is_due(WEEK[1], 7, dt.datetime(2026, 10, 12, 7, 0, tzinfo=dt.UTC))


FINDINGS = {
    # category: (comments in the previous week, comments this week)
    "billing": (2, 6),
    "slow_response": (0, 2),
    "rude": (3, 3),
    "did_not_resolve": (4, 1),
}


@pytest.fixture(scope="module")
def committed_world(app: Flask) -> Iterator[World]:
    """Seeded once for the module's tests; each test's own writes are rolled back."""
    with committed_for_module(app, seed_world) as built:
        yield built


@pytest.fixture
def world(db_session: Session, committed_world: World) -> World:
    return reloaded(db_session, committed_world)


def seed_world(db_session: Session) -> World:
    """60 days of answers, agent 0's CSAT collapsing in WEEK, comment findings per
    week, targets and open alerts."""
    rng = random.Random(2026)
    built = make_world(db_session, rng, n_tickets=700, days=60)
    # Agent 0's customers turn unhappy this week: every CSAT answer becomes a 1.
    collapsed = built.agents[0].id
    for response in built.responses:
        this_week = in_range(response.submitted_at, *WEEK)
        if response.agent_id == collapsed and this_week and response.csat is not None:
            response.csat = 1
    for response in built.responses:
        process(db_session, response)
    # Comment analyses: negative findings per category in each week, plus noise
    # that must not count (a positive finding, a provisional response's).
    confirmed = [r for r in built.responses if r.status == "confirmed"]
    pools = {
        "previous": [r for r in confirmed if in_range(r.submitted_at, *PREVIOUS_WEEK)],
        "current": [r for r in confirmed if in_range(r.submitted_at, *WEEK)],
    }
    used: set[int] = set()

    def analyse(pool: str, findings: list[dict[str, Any]]) -> None:
        response = next(r for r in pools[pool] if r.id not in used)
        used.add(response.id)
        db_session.add(
            CommentAnalysis(
                response_id=response.id,
                model_version="test",
                language="en",
                sentiment="negative",
                findings=findings,
            )
        )

    def finding(category: str, sentiment: str = "negative") -> dict[str, Any]:
        return {"target": "agent", "category": category, "sentiment": sentiment, "sentence": "x"}

    for category, (before, now) in FINDINGS.items():
        for _ in range(before):
            analyse("previous", [finding(category)])
        for _ in range(now):
            # Said twice in one comment: still one comment about it.
            analyse("current", [finding(category), finding(category)])
    analyse("current", [finding("billing", "positive")])
    db_session.add_all(
        [
            ScoreTarget(metric="csat", team_id=0, agent_id=0, value=80.0),
            ScoreTarget(metric="nps", team_id=0, agent_id=0, value=20.0),
        ]
    )
    db_session.add_all(
        [
            Alert(kind="detractor_response", title="a", payload={}, dedupe_key="t:1"),
            Alert(kind="detractor_response", title="b", payload={}, dedupe_key="t:2"),
            Alert(
                kind="detractor_response",
                title="c",
                payload={},
                dedupe_key="t:3",
                status="acknowledged",
            ),
        ]
    )
    return built


def weekly(client: FlaskClient, auth: Any, **digest_settings: Any) -> None:
    body = {"frequency": "weekly", "recipients": ["cx@example.com", "head@example.com"]}
    body.update(digest_settings)
    answer = client.put("/api/v1/alerts/settings", json={"digest": body}, headers=auth("admin"))
    assert answer.status_code == 200, answer.json


def digest_emails(outbox: Path) -> list[Any]:
    return [m for m in emails(outbox) if m["X-Feedback-Digest"]]


def test_the_digest_figures_match_the_raw_rows(
    app: Flask, world: World, db_session: Session
) -> None:
    with app.app_context():
        from feedback_service.db import get_session

        built = digest.build(get_session(), "weekly", *WEEK, MIN_N)
    assert built["period"] == {"from": "2026-10-05", "to": "2026-10-11"}
    assert built["previous_period"] == {"from": "2026-09-28", "to": "2026-10-04"}
    now_rows = raw_responses(db_session, start=WEEK[0], end=WEEK[1])
    old_rows = raw_responses(db_session, start=PREVIOUS_WEEK[0], end=PREVIOUS_WEEK[1])
    assert now_rows and old_rows
    assert built["responses"] == {"current": len(now_rows), "previous": len(old_rows)}
    sent = [i for i in db_session.scalars(select(Invitation)) if in_range(i.sent_at, *WEEK)]
    assert built["response_rate"]["current"] == pytest.approx(100 * len(now_rows) / len(sent))
    commented = sum(1 for r in now_rows if r.comment)
    assert built["comment_rate"]["current"] == pytest.approx(100 * commented / len(now_rows))
    targets = {"csat": 80.0, "nps": 20.0, "ces": None, "fcr": None}
    for metric in ("csat", "nps", "ces", "fcr"):
        now_e = expected_score(
            metric, [getattr(r, metric) for r in now_rows if getattr(r, metric) is not None]
        )
        old_e = expected_score(
            metric, [getattr(r, metric) for r in old_rows if getattr(r, metric) is not None]
        )
        got = built["metrics"][metric]
        assert got["n"] == now_e["n"] and got["previous"]["n"] == old_e["n"]
        assert got["value"] == pytest.approx(now_e["value"])
        assert got["previous"]["value"] == pytest.approx(old_e["value"])
        assert got["change"] == pytest.approx(now_e["value"] - old_e["value"])
        assert got["low_sample"] == (now_e["n"] < MIN_N)
        if now_e.get("interval"):
            assert got["interval"]["low"] == pytest.approx(now_e["interval"][0])
            assert got["interval"]["high"] == pytest.approx(now_e["interval"][1])
        assert got["target"] == targets[metric]
        if targets[metric] is not None:
            assert got["gap"] == pytest.approx(now_e["value"] - targets[metric])
        if got["significant"]:
            a, b = got["interval"], got["previous"]["interval"]
            assert a["high"] < b["low"] or b["high"] < a["low"]

    # The agent whose customers turned unhappy tops the list of falls.
    collapsed = world.agents[0]
    worst = built["worst_agents"]
    assert worst and worst[0]["agent"] == collapsed.external_id
    assert all(a["change"] < 0 for a in worst)
    assert [a["change"] for a in worst] == sorted(a["change"] for a in worst)
    for entry in worst:
        agent_id = next(a.id for a in world.agents if a.external_id == entry["agent"])
        mine = [r.csat for r in now_rows if r.agent_id == agent_id and r.csat is not None]
        before = [r.csat for r in old_rows if r.agent_id == agent_id and r.csat is not None]
        assert entry["n"] == len(mine) and entry["previous_n"] == len(before)
        assert entry["value"] == pytest.approx(expected_score("csat", mine)["value"])
        assert entry["previous_value"] == pytest.approx(expected_score("csat", before)["value"])
        assert entry["change"] == pytest.approx(entry["estimate"] - entry["previous_estimate"])
    assert worst[0]["value"] == 0.0

    expected_rising = sorted(
        (
            (now - before, now, before, category)
            for category, (before, now) in FINDINGS.items()
            if now > before
        ),
        key=lambda t: (-t[0], -t[1], t[3]),
    )
    assert built["rising_categories"] == [
        {"category": c, "count": now, "previous_count": before, "change": change}
        for change, now, before, c in expected_rising
    ]
    assert built["open_alerts"] == 2
    assert built["alerts_in_period"] == 0


def test_the_digest_email_is_sent_once_per_period_in_text_and_html(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    world: World,
    db_session: Session,
    outbox: Path,
) -> None:
    weekly(client, auth)
    assert run_digest(MONDAY) == "sent"
    # The beat fires again, and again later in the week: the same period, no second mail.
    assert run_digest(MONDAY + dt.timedelta(minutes=15)) == "already-sent"
    assert run_digest(MONDAY + dt.timedelta(days=3)) == "already-sent"
    [mail] = digest_emails(outbox)
    assert mail["Subject"] == "Weekly feedback digest: 2026-10-05 to 2026-10-11"
    assert mail["To"] == "cx@example.com, head@example.com"
    with app.app_context():
        from feedback_service.db import get_session

        built = digest.build(get_session(), "weekly", *WEEK, MIN_N)
    text = body_text(mail)
    assert (
        f"Responses: {built['responses']['current']} (previous {built['responses']['previous']})"
        in text
    )
    csat = built["metrics"]["csat"]
    assert (
        f"CSAT: {csat['value']:.1f} [{csat['interval']['low']:.1f}, {csat['interval']['high']:.1f}]"
        in text
    )
    assert f"target 80.0, gap {csat['gap']:+.1f}" in text
    assert "Open alerts: 2" in text
    assert world.agents[0].name in text
    assert "billing: 6 (previous 2, +4)" in text
    html = body_text(mail, "html")
    assert "<table" in html and f"{csat['value']:.1f}" in html and "billing" in html
    db_session.expire_all()
    [row] = db_session.scalars(select(Digest)).all()
    assert (row.status, row.period_start, row.attempts) == ("sent", WEEK[0], 1)
    db_session.commit()
    # The next week is a new period: one more digest.
    assert run_digest(MONDAY + dt.timedelta(days=7)) == "sent"
    assert len(digest_emails(outbox)) == 2


def test_no_digest_before_its_hour_or_when_off(
    client: FlaskClient, auth: Any, world: World, outbox: Path
) -> None:
    assert run_digest(MONDAY) == "off"
    weekly(client, auth, hour_utc=9)
    assert run_digest(MONDAY) == "not-due"  # 08:00, due from 09:00
    assert digest_emails(outbox) == []
    assert run_digest(MONDAY + dt.timedelta(hours=1)) == "sent"
    daily = {"frequency": "daily", "recipients": ["cx@example.com"], "hour_utc": 0}
    client.put("/api/v1/alerts/settings", json={"digest": daily}, headers=auth("admin"))
    assert run_digest(MONDAY) == "sent"
    assert sorted(m["Subject"] for m in digest_emails(outbox)) == [
        "Daily feedback digest: 2026-10-11",
        "Weekly feedback digest: 2026-10-05 to 2026-10-11",
    ]
    assert run_digest(MONDAY) == "already-sent"


@pytest.mark.usefixtures("world", "outbox")
def test_an_smtp_refusal_is_recorded_and_a_deferral_retried_by_the_next_beat(
    client: FlaskClient, auth: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feedback_service.alerts import tasks
    from feedback_service.surveys.delivery import TemporaryDeliveryError

    weekly(client, auth)
    calls: list[Any] = []

    def flaky(message: Any) -> None:
        calls.append(message)
        if len(calls) == 1:
            raise TemporaryDeliveryError("451 try later")

    monkeypatch.setattr(tasks, "deliver", flaky)
    assert run_digest(MONDAY) == "pending"
    db_session.expire_all()
    row = db_session.scalars(select(Digest)).one()
    assert (row.status, row.last_error) == ("pending", "451 try later")
    db_session.commit()
    assert run_digest(MONDAY + dt.timedelta(minutes=15)) == "sent"
    assert run_digest(MONDAY + dt.timedelta(minutes=30)) == "already-sent"
    assert len(calls) == 2
    db_session.expire_all()
    assert db_session.scalars(select(Digest)).one().attempts == 2
    db_session.commit()
