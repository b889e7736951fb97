"""A team's own survey questions on the dashboard: the overview and an agent's page
show how the answers to each rating, choice and multi question spread, and the
counts equal an independent count of the answers given."""

from __future__ import annotations

import re
from collections import Counter

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.auth.users import create_user
from feedback_service.helpdesk.models import Agent
from tests.api.test_dashboard import PASSWORD, sign_in
from tests.api.test_dashboard_pages import html_of
from tests.api.test_survey_question_reports import ANSWERS, answered  # noqa: F401 - fixture


def shown_counts(html: str, key: str) -> dict[str, int]:
    """value -> count in the page's table of question ``key``."""
    table = re.search(rf'<table class="data" data-question="{key}">(.*?)</table>', html, re.S)
    assert table, f"no table for {key}"
    rows = re.findall(
        r'<tr data-value="([^"]+)">.*?<td class="num" data-count>(\d+)</td>', table.group(1), re.S
    )
    return {value: int(count) for value, count in rows}


def test_the_overview_and_an_agents_page_show_the_own_questions_as_counted(
    client: FlaskClient,
    db_session: Session,
    answered: None,  # noqa: F811
) -> None:
    create_user(db_session, email="cx@example.com", name="CX", role="manager", password=PASSWORD)
    db_session.commit()
    assert sign_in(client, "cx@example.com").status_code == 302

    html = html_of(client, "/dashboard/")
    assert 'id="own-questions"' in html
    assert "What was the main reason for your score?" in html
    reasons = Counter(reason for *_, reason, _channels in ANSWERS if reason)
    assert shown_counts(html, "reason") == {
        "agent": reasons["agent"],
        "product": reasons["product"],
        "process": reasons["process"],
        "other": reasons["other"],
    }
    channels = Counter(c for *_, given in ANSWERS for c in (given or []))
    assert shown_counts(html, "channels") == {v: channels[v] for v in ("email", "chat", "phone")}
    assert 'data-question="improve"' not in html  # free text is read in the comments

    agent_id = db_session.scalars(select(Agent.id).where(Agent.external_id == "A-1")).one()
    assert f"/dashboard/agents/{agent_id}" in html_of(client, "/dashboard/agents")
    mine = html_of(client, f"/dashboard/agents/{agent_id}")
    theirs = Counter(reason for agent, *_, reason, _c in ANSWERS if agent == "A-1" and reason)
    assert shown_counts(mine, "reason") == {
        v: theirs[v] for v in ("agent", "product", "process", "other")
    }
