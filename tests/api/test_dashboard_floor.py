"""The floor's KPIs on the dashboard: the agents page's complaints table and Pareto,
the overview's weekly ticket KPIs and response-rate split, each number counted
here from the demo's rows (and the findings this test adds), within the
viewer's scope."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.analysis.models import CommentFinding
from feedback_service.auth.models import User
from feedback_service.demo.seed import DemoSummary
from feedback_service.helpdesk.models import Agent, Ticket
from feedback_service.surveys.models import Invitation, Response
from tests.api.test_dashboard import seeded_demo, sign_in
from tests.api.test_dashboard_pages import analyse, html_of
from tests.apps import committed_for_module

CAUSES = [("agent", "rude"), ("product", "bug"), ("process", "wait-time"), ("agent", "praised")]


@pytest.fixture(scope="module")
def committed_demo(app: Flask) -> Iterator[DemoSummary]:
    """Seeded once for this module's tests (each test's own writes are rolled back)."""
    with committed_for_module(app, demo_with_findings) as summary:
        yield summary


@pytest.fixture
def demo(db_session: Session, committed_demo: DemoSummary) -> DemoSummary:
    return committed_demo


def demo_with_findings(db_session: Session) -> DemoSummary:
    """The demo over 35 days, with findings of the causes above on 120 comments."""
    summary = seeded_demo(db_session, days=35)
    rng = random.Random(3)
    commented = db_session.scalars(
        select(Response)
        .where(Response.status == "confirmed", Response.comment.is_not(None))
        .order_by(Response.id)
    ).all()
    for response in commented[:120]:
        findings = []
        for _ in range(rng.randint(1, 2)):
            target, category = rng.choice(CAUSES)
            sentiment = rng.choice(["negative", "negative", "mixed", "positive"])
            findings.append(
                {"target": target, "category": category, "sentiment": sentiment, "sentence": "s"}
            )
        analyse(db_session, response.id, findings)
    db_session.commit()
    return summary


def signed_in(client: FlaskClient, email: str) -> FlaskClient:
    assert sign_in(client, email).status_code == 302
    return client


def complaints_by_agent(session: Session) -> Counter[str]:
    """Complaint answers per agent external id: a confirmed answer with a negative
    or mixed finding in a category about the agent, product or process."""
    hits = {
        f.response_id
        for f in session.scalars(select(CommentFinding))
        if f.target in ("agent", "product", "process")
        and f.category is not None
        and f.sentiment in ("negative", "mixed")
    }
    ext = dict(session.execute(select(Agent.id, Agent.external_id)).all())
    return Counter(
        ext[r.agent_id]
        for r in session.scalars(select(Response))
        if r.id in hits and r.status == "confirmed" and r.agent_id is not None
    )


def table(html: str, table_id: str) -> str:
    match = re.search(rf'<table class="data" id="{table_id}">.*?</table>', html, re.S)
    assert match, table_id
    return match.group(0)


def test_agents_page_shows_every_agents_complaints_and_the_pareto(
    client: FlaskClient, demo: DemoSummary, db_session: Session
) -> None:
    html = html_of(signed_in(client, "manager@demo.test"), "/dashboard/agents")
    expected = complaints_by_agent(db_session)
    assert sum(expected.values()) > 10
    shown = dict(
        re.findall(
            r'data-complaints-of="([^"]+)">.*?class="num complaints-count">(\d+)<',
            table(html, "complaints-table"),
            re.S,
        )
    )
    answering = {
        a
        for (a,) in db_session.execute(
            select(Agent.external_id)
            .join(Response, Response.agent_id == Agent.id)
            .where(Response.status == "confirmed")
        )
    }
    assert set(shown) == answering  # every agent with answers, not only outliers
    assert {a: int(n) for a, n in shown.items()} == {a: expected.get(a, 0) for a in answering}

    rows = re.findall(
        r'<tr data-pareto-agent="([^"]*)"( class="vital")?>.*?pareto-count">(\d+)<',
        table(html, "pareto-agents"),
        re.S,
    )
    ordered = sorted(expected.items(), key=lambda kc: (-kc[1], kc[0]))
    assert [(a, int(n)) for a, _, n in rows] == ordered
    total, running, vital = sum(expected.values()), 0, []
    for _, count in ordered:
        vital.append(100 * running / total < 80)
        running += count
    assert [bool(v) for _, v, _ in rows] == vital
    causes = re.findall(r'data-cause="([^"]+)"', table(html, "pareto-causes"))
    complained = {
        f"{f.target}/{f.category}"
        for f in db_session.scalars(select(CommentFinding))
        if f.sentiment in ("negative", "mixed")
    }
    assert set(causes) == complained and len(complained) == len(CAUSES)


def test_a_team_lead_sees_only_their_teams_complaints(
    client: FlaskClient, demo: DemoSummary, db_session: Session
) -> None:
    lead = db_session.scalars(select(User).where(User.email == "lead@demo.test")).one()
    team_ids = {t.id for t in lead.teams}
    theirs = set(db_session.scalars(select(Agent.external_id).where(Agent.team_id.in_(team_ids))))
    html = html_of(signed_in(client, "lead@demo.test"), "/dashboard/agents")
    shown = set(re.findall(r'data-complaints-of="([^"]+)"', html))
    in_pareto = set(re.findall(r'data-pareto-agent="([^"]+)"', html))
    assert shown and shown <= theirs
    assert in_pareto <= theirs
    expected = complaints_by_agent(db_session)
    assert in_pareto == {a for a in theirs if expected.get(a)}


def test_overview_shows_the_weekly_ticket_kpis_and_the_response_rate_split(
    client: FlaskClient, demo: DemoSummary, db_session: Session
) -> None:
    html = html_of(signed_in(client, "manager@demo.test"), "/dashboard/")
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=89)

    def in_view(moment: dt.datetime | None) -> bool:
        return moment is not None and start <= moment.astimezone(dt.UTC).date() <= today

    weekly: Counter[str] = Counter()
    for t in db_session.scalars(select(Ticket)):
        if in_view(t.closed_at):
            day = t.closed_at.astimezone(dt.UTC).date()  # type: ignore[union-attr]
            weekly[(day - dt.timedelta(days=day.weekday())).isoformat()] += 1
    shown = re.findall(
        r'data-week="([\d-]+)">.*?class="num tickets">(\d+)<', table(html, "floor-weeks"), re.S
    )
    assert {w: int(n) for w, n in shown if int(n)} == dict(weekly)
    assert sum(weekly.values()) > 0

    sent = Counter(i.delivery for i in db_session.scalars(select(Invitation)) if in_view(i.sent_at))
    rates = table(html, "rate-by-delivery")
    for delivery in ("email", "link"):
        match = re.search(rf'data-delivery="{delivery}">.*?<td class="num">(\d+)</td>', rates, re.S)
        assert match and int(match.group(1)) == sent[delivery]
    assert 'data-reminder="after"' in html and 'data-way="widget"' in html


def test_an_agent_is_sent_to_their_own_page_not_the_floor_table(
    client: FlaskClient, demo: DemoSummary
) -> None:
    answer = signed_in(client, "agent@demo.test").get("/dashboard/agents")
    assert answer.status_code == 302
    assert "/dashboard/agents/" in answer.headers["Location"]
