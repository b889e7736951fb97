"""Who customers say it was about, on the dashboard: the overview's per-agent table
and an agent's own row with its stated x inferred counts equal an independent count
of the answers and the stored findings; an agent sees only their own row; without
stated reasons the section is not there."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.auth.users import create_user
from feedback_service.helpdesk.models import Agent
from feedback_service.scores.scoring import wilson_interval
from tests.api.test_dashboard import PASSWORD, sign_in
from tests.api.test_dashboard_pages import html_of, read_csv
from tests.api.test_stated_reasons import (
    REASON,
    answer,
    answered,  # noqa: F401 - fixture
    independent_inferred,
    make,
)

ROW = re.compile(
    r'<tr data-agent="([^"]*)">.*?<td class="num" data-n>(\d+)(.*?)</td>'
    r'\s*<td class="num" data-agreement="(\d+)/(\d+)">(.*?)</td>'
    r'\s*<td class="num" data-product-says-agent="(\d+)/(\d+)">(.*?)</td>',
    re.S,
)


def shown_rows(html: str) -> dict[str, dict[str, Any]]:
    """agent id -> what the attribution table shows for it ("" is the all-agents row)."""
    section = re.search(r'<section class="card" id="attribution">(.*?)</section>', html, re.S)
    assert section, "no attribution section"
    return {
        m[0]: {
            "n": int(m[1]),
            "low_sample": "low sample" in m[2],
            "agreement": (int(m[3]), int(m[4])),
            "agreement_text": re.sub(r"<[^>]+>", "", m[5]).strip(),
            "product_says_agent": (int(m[6]), int(m[7])),
        }
        for m in ROW.findall(section.group(1))
    }


def percent_text(count: int, n: int) -> str:
    interval = wilson_interval(count, n)
    low, high = interval.low * 100, interval.high * 100
    return f"{count / n * 100:.0f}% {count} of {n}; 95% {low:.0f}-{high:.0f}%"


def expected(
    stated: dict[int, tuple[str, str]], inferred: dict[int, str], agent: str | None
) -> dict[str, Any]:
    """What the table should show for ``agent`` (None: all agents), counted here."""
    rids = [r for r, (a, _) in stated.items() if agent is None or a == agent]
    agree = sum(1 for r in rids if stated[r][1] == inferred[r])
    product = [r for r in rids if stated[r][1] == "product"]
    return {
        "n": len(rids),
        "agreement": (agree, len(rids)),
        "agreement_text": percent_text(agree, len(rids)),
        "product_says_agent": (sum(1 for r in product if inferred[r] == "agent"), len(product)),
    }


def inferred_targets(db_session: Session, stated: dict[int, tuple[str, str]]) -> dict[int, str]:
    """The model's target of each answered comment, read from its stored findings here."""
    inferred = {rid: independent_inferred(db_session, rid) for rid in stated}
    db_session.commit()
    return inferred


def sign_in_as(client: FlaskClient, db_session: Session, role: str, agent: str | None) -> None:
    email = f"{role}@example.com"
    create_user(
        db_session,
        email=email,
        name=role,
        role=role,
        password=PASSWORD,
        agent_external_id=agent,
    )
    db_session.commit()
    assert sign_in(client, email).status_code == 302


def signed_in(
    client: FlaskClient,
    db_session: Session,
    stated: dict[int, tuple[str, str]],
    role: str,
    agent: str | None = None,
) -> dict[int, str]:
    """Signs ``client`` in as ``role``; gives each stated answer's inferred target."""
    inferred = inferred_targets(db_session, stated)
    sign_in_as(client, db_session, role, agent)
    return inferred


def agent_id(db_session: Session, external_id: str) -> int:
    return db_session.scalars(select(Agent.id).where(Agent.external_id == external_id)).one()


def test_the_overview_and_an_agents_page_show_the_attribution_as_counted(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    answered: dict[int, tuple[str, str]],  # noqa: F811
) -> None:
    inferred = inferred_targets(db_session, answered)
    min_n = int(app.config["MIN_SAMPLE"])
    sign_in_as(client, db_session, "manager", None)

    html = html_of(client, "/dashboard/")
    assert "Who customers say it was about" in html
    rows = shown_rows(html)
    assert set(rows) == {"A-1", "A-2", ""}  # A-3 stated no reason; "" is all agents
    for agent in ("A-1", "A-2", None):
        shown = rows[agent or ""]
        want = expected(answered, inferred, agent)
        assert {k: shown[k] for k in want} == want, agent
        assert shown["low_sample"] == (want["n"] < min_n)
    assert 'class="table-wrap"><table class="data" id="attribution-agents"' in html

    page = html_of(client, f"/dashboard/agents/{agent_id(db_session, 'A-1')}")
    mine = shown_rows(page)
    assert list(mine) == ["A-1"]
    want = expected(answered, inferred, "A-1")
    assert {k: mine["A-1"][k] for k in want} == want
    table = re.search(r'id="attribution-counts">(.*?)</table>', page, re.S)
    assert table
    cells = {
        (stated, target): int(count)
        for stated, row in re.findall(r'<tr data-stated="(\w+)">(.*?)</tr>', table.group(1), re.S)
        for target, count in re.findall(r'data-inferred="(\w+)">(\d+)<', row)
    }
    pairs = Counter((s, inferred[r]) for r, (a, s) in answered.items() if a == "A-1")
    assert {k: c for k, c in cells.items() if c} == dict(pairs)
    assert len(cells) == 3 * 4  # agent/product/process x agent/product/process/none


def test_an_agent_sees_only_their_own_row(
    client: FlaskClient,
    db_session: Session,
    answered: dict[int, tuple[str, str]],  # noqa: F811
) -> None:
    inferred = signed_in(client, db_session, answered, "agent", "A-2")

    rows = shown_rows(html_of(client, "/dashboard/"))
    assert list(rows) == ["A-2"]
    want = expected(answered, inferred, "A-2")
    assert {k: rows["A-2"][k] for k in want} == want
    page = html_of(client, f"/dashboard/agents/{agent_id(db_session, 'A-2')}")
    assert list(shown_rows(page)) == ["A-2"]
    html_of(client, f"/dashboard/agents/{agent_id(db_session, 'A-1')}", status=404)


def test_without_stated_reasons_there_is_no_section(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    # A reason question not mapped to the target states nothing.
    assert make(client, auth, [{"metric": "csat"}, REASON]).status_code == 201
    answer(client, auth, "The agent was rude and hung up on me.", csat=1, reason="agent")
    sign_in_as(client, db_session, "manager", None)

    html = html_of(client, "/dashboard/")
    assert 'id="own-questions"' in html  # the page has the period's answers
    assert 'id="attribution"' not in html and "Who customers say" not in html
    page = html_of(client, f"/dashboard/agents/{agent_id(db_session, 'A-1')}")
    assert 'id="attribution"' not in page


def test_the_printable_report_and_the_export_carry_the_attribution(
    client: FlaskClient,
    db_session: Session,
    answered: dict[int, tuple[str, str]],  # noqa: F811
) -> None:
    inferred = signed_in(client, db_session, answered, "manager")

    rows = shown_rows(html_of(client, "/dashboard/report"))
    assert set(rows) == {"A-1", "A-2", ""}
    for agent in ("A-1", "A-2", None):
        want = expected(answered, inferred, agent)
        assert {k: rows[agent or ""][k] for k in want} == want, agent

    assert "attribution.csv" in html_of(client, "/dashboard/exports")
    exported = read_csv(client, "/dashboard/exports/attribution.csv")
    assert [(r["scope"], r["id"]) for r in exported] == [
        ("all", ""),
        ("agent", "A-1"),
        ("agent", "A-2"),
    ]
    for row in exported:
        agent = row["id"] or None
        rids = [r for r, (a, _) in answered.items() if agent is None or a == agent]
        pairs = Counter((answered[r][1], inferred[r]) for r in rids)
        cells = {
            tuple(column.removeprefix("stated_").split("_model_")): int(count)
            for column, count in row.items()
            if column.startswith("stated_")
        }
        assert {k: c for k, c in cells.items() if c} == dict(pairs), agent
        want = expected(answered, inferred, agent)
        assert int(row["n"]) == want["n"]
        agree, n = want["agreement"]
        assert float(row["agreement"]) == pytest.approx(agree / n)
