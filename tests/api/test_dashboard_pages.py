"""The dashboard's report pages through the test client: what each role may see and
change, targets and their gaps, notes, survey editing and previews, exports, and
escaping of everything customers typed."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from feedback_service.analysis.models import CommentAnalysis, CommentFinding
from feedback_service.auth.models import User
from feedback_service.dashboard.models import CommentNote
from feedback_service.demo.seed import DEMO_TARGETS, DemoSummary
from feedback_service.helpdesk.models import Agent, Team
from feedback_service.scores.targets import list_targets
from feedback_service.surveys.models import Response, Survey
from tests.api.test_dashboard import CSRF, csrf_from, seeded_demo, sign_in, sign_out
from tests.apps import committed_for_module

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def committed_demo(app: Flask) -> Iterator[DemoSummary]:
    """Seeded once for this module's tests (each test's own writes are rolled back)."""
    with committed_for_module(app, lambda session: seeded_demo(session, days=35)) as summary:
        yield summary


@pytest.fixture
def demo(db_session: Session, committed_demo: DemoSummary) -> DemoSummary:
    return committed_demo


@pytest.fixture
def as_role(client: FlaskClient, demo: DemoSummary) -> Any:
    def login(email: str) -> FlaskClient:
        response = sign_in(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login


def user(db_session: Session, email: str) -> User:
    return db_session.scalars(select(User).where(User.email == email)).one()


def html_of(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def token_on(html: str) -> str:
    match = CSRF.search(html)
    assert match
    return match.group(1)


def post_form(client: FlaskClient, path: str, page: str, **fields: str) -> TestResponse:
    """Submits ``fields`` to ``path`` as the form on ``page`` (with its CSRF token) does."""
    return client.post(path, data={"csrf_token": token_on(page), **fields})


def newest_comment_of(db_session: Session, me: User) -> int | None:
    """The id of the newest commented answer about the agent ``me`` signs in as."""
    return db_session.scalar(
        select(Response.id)
        .where(Response.agent_id == me.agent_id, Response.comment.is_not(None))
        .order_by(Response.submitted_at.desc())
        .limit(1)
    )


def tile_text(html: str, metric: str) -> str:
    match = re.search(rf'id="tile-{metric}".*?</div>', html, re.S)
    assert match, metric
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def analyse(db_session: Session, response_id: int, findings: list[dict[str, Any]]) -> None:
    """Store a comment's analysis as the analysis worker does: the analysis, and
    each finding as a row with the response's agent, team, ticket and time."""
    analysis = CommentAnalysis(
        response_id=response_id,
        model_version="test",
        language="en",
        supported=True,
        sentiment="negative",
        sentiment_score=-0.7,
        findings=findings,
        key_phrases=[],
    )
    db_session.add(analysis)
    db_session.flush()
    response = db_session.get(Response, response_id)
    assert response is not None
    for position, finding in enumerate(findings):
        db_session.add(
            CommentFinding(
                analysis_id=analysis.id,
                response_id=response_id,
                position=position,
                target=finding["target"],
                category=finding["category"],
                confidence=finding.get("confidence", 0.8),
                sentence=finding["sentence"],
                sentiment=finding["sentiment"],
                corrected=False,
                agent_id=response.agent_id,
                team_id=response.team_id,
                ticket_id=response.ticket_id,
                submitted_at=response.submitted_at,
            )
        )


# --- overview ------------------------------------------------------------------------


def test_overview_shows_every_metric_with_interval_target_and_response_rate(
    as_role: Any, db_session: Session
) -> None:
    client = as_role("manager@demo.test")
    html = html_of(client, "/dashboard/")
    for metric in ("csat", "nps", "ces", "fcr"):
        text = tile_text(html, metric)
        assert "95%" in text and "n=" in text, text
        assert "target" in text and "gap" in text  # the demo's targets
    assert re.search(r'id="tile-response-rate".*?\d+\.\d%', html, re.S)
    # Four weekly control charts, each an accessible SVG with dashed control limits.
    assert html.count('class="chart chart-trend"') == 4
    assert 'class="control-limit"' in html
    assert "Alerts are not set up" in html or 'id="alerts"' in html


def test_overview_shows_the_ratings_waiting_for_a_person(as_role: Any, db_session: Session) -> None:
    client = as_role("manager@demo.test")

    def waiting() -> tuple[int, int]:
        html = html_of(client, "/dashboard/")
        found = re.search(
            r'id="tile-unconfirmed">.*?tile-value">(\d+)<.*?(\d+) from mail scanners', html, re.S
        )
        assert found, "no tile of unconfirmed ratings"
        return int(found.group(1)), int(found.group(2))

    before = waiting()
    ids = list(db_session.scalars(select(Response.id).order_by(Response.id).limit(3)))
    db_session.execute(
        update(Response).where(Response.id.in_(ids[:2])).values(status="provisional")
    )
    db_session.execute(update(Response).where(Response.id == ids[2]).values(status="scanner"))
    db_session.commit()
    assert waiting() == (before[0] + 2, before[1] + 1)


def test_overview_complaint_themes_come_from_the_analysed_comments(
    as_role: Any, db_session: Session
) -> None:
    ids = list(
        db_session.scalars(
            select(Response.id).where(Response.comment.is_not(None)).order_by(Response.id).limit(7)
        )
    )
    for i, response_id in enumerate(ids):
        category = "bug" if i < 5 else "rude"
        target = "product" if i < 5 else "agent"
        analyse(
            db_session,
            response_id,
            [
                {
                    "target": target,
                    "category": category,
                    "sentence": f"s{i}",
                    "sentiment": "negative",
                }
            ],
        )
    db_session.commit()
    html = html_of(as_role("manager@demo.test"), "/dashboard/?days=365")
    assert 'class="chart chart-pareto"' in html
    bars = re.findall(r'class="bar" data-label="([^"]+)"', html)
    assert bars == ["product: bug", "agent: rude"]


def test_overview_without_analysis_says_so(as_role: Any) -> None:
    html = html_of(as_role("manager@demo.test"), "/dashboard/")
    assert "has been analysed yet" in html


# --- agents ---------------------------------------------------------------------------


def scorecard_order(html: str) -> list[str]:
    return re.findall(r'<tr data-agent="([^"]+)"', html)


def test_scorecards_sort_on_the_server_and_mark_low_samples(
    as_role: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = as_role("manager@demo.test")
    by_name = scorecard_order(html_of(client, "/dashboard/agents?sort=name&dir=asc"))
    names = dict(db_session.execute(select(Agent.external_id, Agent.name)).all())
    assert [names[a] for a in by_name] == sorted(names[a] for a in by_name)
    reverse = scorecard_order(html_of(client, "/dashboard/agents?sort=name&dir=desc"))
    assert reverse == list(reversed(by_name))

    by_responses = html_of(client, "/dashboard/agents?sort=responses&dir=desc")
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', by_responses)]
    assert counts == sorted(counts, reverse=True) and len(counts) == 8

    # Below the minimum sample a score is marked and never ranked; and sorted by
    # that metric, it comes after every solid one. The minimum is set between the
    # agents' NPS answer counts, so both kinds are on the page.
    def nps_cells() -> tuple[list[str], list[int]]:
        html = html_of(client, "/dashboard/agents?sort=nps&dir=desc")
        cells = re.findall(r'data-metric="nps".*?</td>', html, re.S)
        return cells, [int(re.search(r"n=(\d+)", c).group(1)) for c in cells]  # type: ignore[union-attr]

    _, sizes = nps_cells()
    minimum = sorted(sizes)[len(sizes) // 2] + 1
    monkeypatch.setitem(client.application.config, "MIN_SAMPLE", minimum)
    cells, sizes = nps_cells()
    assert any(0 < n < minimum for n in sizes) and any(n >= minimum for n in sizes)
    for cell, n in zip(cells, sizes, strict=True):
        assert ("low sample" in cell) == (0 < n < minimum)
        if n < minimum:
            assert "rank" not in cell
    solid = [n >= minimum for n in sizes]
    assert solid == sorted(solid, reverse=True)


def test_a_target_change_moves_the_gap(as_role: Any, db_session: Session) -> None:
    client = as_role("manager@demo.test")
    page = html_of(client, "/dashboard/targets")
    saved = post_form(
        client, "/dashboard/targets", page, metric="csat", scope="everyone", value="50"
    )
    assert saved.status_code == 302
    overview = html_of(client, "/dashboard/")
    first = tile_text(overview, "csat")
    assert "target 50.0%" in first
    gap_low = float(
        re.search(r'data-gap="([-0-9.]+)"', overview.split('id="tile-csat"')[1]).group(1)
    )

    post_form(client, "/dashboard/targets", page, metric="csat", scope="everyone", value="99")
    overview = html_of(client, "/dashboard/")
    assert "target 99.0%" in tile_text(overview, "csat")
    gap_high = float(
        re.search(r'data-gap="([-0-9.]+)"', overview.split('id="tile-csat"')[1]).group(1)
    )
    assert gap_low - gap_high == pytest.approx(49.0)
    # The scorecards and the targets page show the same gaps.
    agents = html_of(client, "/dashboard/agents")
    assert "gap-below" in agents or "gap-unclear" in agents
    assert 'data-metric="csat"' in html_of(client, "/dashboard/targets")


def test_a_bad_target_is_refused_with_the_field_named_and_nothing_saved(
    as_role: Any, db_session: Session
) -> None:
    client = as_role("manager@demo.test")
    page = html_of(client, "/dashboard/targets")
    for value in ("150", "lots"):
        refused = post_form(
            client, "/dashboard/targets", page, metric="csat", scope="everyone", value=value
        )
        assert refused.status_code == 422
        assert "value" in refused.get_data(as_text=True)
    assert {(t["metric"], t["value"]) for t in list_targets(db_session)} == set(
        DEMO_TARGETS.items()
    )


def test_only_managers_change_targets(as_role: Any) -> None:
    client = as_role("lead@demo.test")
    assert client.get("/dashboard/targets").status_code == 403
    token = csrf_from(client, "/dashboard/")
    refused = client.post(
        "/dashboard/targets",
        data={"csrf_token": token, "metric": "csat", "scope": "everyone", "value": "10"},
    )
    assert refused.status_code == 403


def test_agent_page_shows_the_fcr_gap_and_the_comments_about_them(
    as_role: Any, db_session: Session
) -> None:
    me = user(db_session, "agent@demo.test")
    html = html_of(as_role("agent@demo.test"), f"/dashboard/agents/{me.agent_id}")
    assert re.search(r"the desk counted <strong>\d+%</strong>", html)
    shown = {int(i) for i in re.findall(r'data-response="(\d+)"', html)}
    owners = set(db_session.scalars(select(Response.agent_id).where(Response.id.in_(shown))))
    assert shown and owners == {me.agent_id}
    assert "Add context" in html


# --- agent context on comments --------------------------------------------------------


def test_an_agent_adds_context_that_their_lead_reads(
    client: FlaskClient, demo: DemoSummary, db_session: Session
) -> None:
    me = user(db_session, "agent@demo.test")
    response_id = newest_comment_of(db_session, me)
    assert sign_in(client, "agent@demo.test").status_code == 302
    token = csrf_from(client, "/dashboard/comments")
    saved = client.post(
        f"/dashboard/comments/{response_id}/notes",
        data={"csrf_token": token, "body": "Refund was already issued " + EVIL},
    )
    assert saved.status_code == 303
    assert db_session.scalar(select(func.count(CommentNote.id))) == 1
    sign_out(client)

    assert sign_in(client, "lead@demo.test").status_code == 302
    html = html_of(client, f"/dashboard/agents/{me.agent_id}")
    assert "Refund was already issued" in html and "Context from" in html
    assert "<script>alert" not in html
    # The lead reads it but cannot write on the agent's comment.
    token = csrf_from(client, "/dashboard/comments")
    assert (
        client.post(
            f"/dashboard/comments/{response_id}/notes", data={"csrf_token": token, "body": "x"}
        ).status_code
        == 403
    )


def test_an_agent_cannot_add_context_to_another_agents_comment(
    as_role: Any, db_session: Session
) -> None:
    me = user(db_session, "agent@demo.test")
    other = db_session.scalar(
        select(Response.id).where(Response.agent_id != me.agent_id, Response.comment.is_not(None))
    )
    client = as_role("agent@demo.test")
    token = csrf_from(client, "/dashboard/comments")
    response = client.post(
        f"/dashboard/comments/{other}/notes", data={"csrf_token": token, "body": "mine now"}
    )
    assert response.status_code == 404
    assert db_session.scalar(select(func.count(CommentNote.id))) == 0


# --- comments explorer ------------------------------------------------------------------


def test_comment_search_and_filters(as_role: Any, db_session: Session) -> None:
    client = as_role("manager@demo.test")
    expected = db_session.scalar(
        select(func.count(Response.id)).where(Response.comment.ilike("%took%"))
    )
    assert expected
    html = html_of(client, "/dashboard/comments?q=TOOK")
    assert f"{expected} found" in html
    texts = re.findall(r'<p class="comment-text">(.*?)</p>', html, re.S)
    assert texts and all("took" in t.lower() for t in texts)
    low = html_of(client, "/dashboard/comments?rating=low")
    scores = {int(s) for s in re.findall(r'class="score score-(\d)"', low)}
    assert scores and scores <= {1, 2}
    # A wildcard typed by the user is a literal character, not "match anything".
    assert "No comment matches." in html_of(client, "/dashboard/comments?q=%25%25%25")


def test_comment_filters_never_widen_an_agents_scope(as_role: Any, db_session: Session) -> None:
    me = user(db_session, "agent@demo.test")
    other = db_session.scalar(select(Agent.id).where(Agent.id != me.agent_id))
    team = db_session.scalars(select(Team)).first()
    assert team is not None
    html = html_of(
        as_role("agent@demo.test"), f"/dashboard/comments?agent={other}&team={team.external_id}"
    )
    shown = {int(i) for i in re.findall(r'data-response="(\d+)"', html)}
    owners = set(db_session.scalars(select(Response.agent_id).where(Response.id.in_(shown))))
    assert owners == {me.agent_id}


# --- surveys --------------------------------------------------------------------------------


def test_a_manager_edits_wording_and_rules(as_role: Any, db_session: Session) -> None:
    client = as_role("manager@demo.test")
    page = html_of(client, "/dashboard/surveys/post-ticket")
    form = {
        "csrf_token": token_on(page),
        "name": "After each ticket",
        "active": "1",
        "ask_csat": "1",
        "position_csat": "2",
        "wording_csat_de": "Wie zufrieden waren Sie mit uns?",
        "ask_fcr": "1",
        "position_fcr": "1",
        "comment_enabled": "1",
        "comment_en": "Tell us more",
        "throttle_days": "14",
        "sampling_pct": "50",
        "send_delay_minutes": "30",
        "reminder_after_hours": "",
        "expire_after_days": "7",
        "amend_window_hours": "12",
    }
    saved = client.post("/dashboard/surveys/post-ticket", data=form)
    assert saved.status_code == 303, saved.get_data(as_text=True)
    db_session.expire_all()
    survey = db_session.scalars(select(Survey).where(Survey.key == "post-ticket")).one()
    assert survey.name == "After each ticket"
    assert [q["metric"] for q in survey.questions] == ["fcr", "csat"]
    assert survey.questions[1]["wording"] == {"de": "Wie zufrieden waren Sie mit uns?"}
    assert survey.comment_prompt == {"en": "Tell us more"}
    assert (survey.throttle_days, survey.sampling_rate, survey.send_delay_seconds) == (
        14,
        0.5,
        1800,
    )
    assert survey.reminder_after_hours is None and survey.expire_after_days == 7

    # The German preview shows the new wording; the email's first question is FCR now.
    preview = client.get("/dashboard/surveys/post-ticket/preview/page?locale=de")
    assert "Wie zufrieden waren Sie mit uns?" in preview.get_data(as_text=True)
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    email = client.get("/dashboard/surveys/post-ticket/preview/email?locale=en")
    body = email.get_data(as_text=True)
    assert email.status_code == 200 and "PREVIEW-1042" in body and "fcr=1" in body


def test_survey_edits_are_validated_and_not_half_saved(as_role: Any, db_session: Session) -> None:
    client = as_role("manager@demo.test")
    page = html_of(client, "/dashboard/surveys/post-ticket")
    before = db_session.scalars(select(Survey).where(Survey.key == "post-ticket")).one()
    name_before = before.name
    rules = {
        "sampling_pct": "50",
        "send_delay_minutes": "30",
        "expire_after_days": "7",
        "amend_window_hours": "12",
    }
    refused = post_form(
        client,
        "/dashboard/surveys/post-ticket",
        page,
        name="Changed",
        ask_csat="1",
        position_csat="1",
        throttle_days="9999",
        **rules,
    )
    assert refused.status_code == 422
    assert 'data-field="throttle_days"' in refused.get_data(as_text=True)
    no_questions = post_form(
        client, "/dashboard/surveys/post-ticket", page, name="Changed", throttle_days="9", **rules
    )
    assert no_questions.status_code == 422
    db_session.expire_all()
    assert db_session.scalars(select(Survey).where(Survey.key == "post-ticket")).one().name == (
        name_before
    )


def test_survey_pages_are_for_managers_only(as_role: Any) -> None:
    client = as_role("lead@demo.test")
    for path in (
        "/dashboard/surveys",
        "/dashboard/surveys/post-ticket",
        "/dashboard/surveys/post-ticket/preview/email",
        "/dashboard/surveys/post-ticket/preview/page",
    ):
        assert client.get(path).status_code == 403, path


# --- exports --------------------------------------------------------------------------------


def read_csv(client: FlaskClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_exports_are_csv_and_limited_to_the_viewers_scope(
    as_role: Any, db_session: Session
) -> None:
    lead_user = user(db_session, "lead@demo.test")
    team_ids = {t.id for t in lead_user.teams}
    mine = set(db_session.scalars(select(Agent.external_id).where(Agent.team_id.in_(team_ids))))
    client = as_role("lead@demo.test")
    rows = read_csv(client, "/dashboard/exports/agents.csv")
    assert {r["agent"] for r in rows} == mine
    assert {r["metric"] for r in rows} == {
        *("csat", "nps", "ces", "fcr"),
        *("complaints", "complaints_per_100_answered", "complaints_per_100_tickets"),
    }
    comments = read_csv(client, "/dashboard/exports/comments.csv")
    names = set(db_session.scalars(select(Agent.name).where(Agent.team_id.in_(team_ids))))
    assert comments and {r["agent"] for r in comments} <= names
    summary = read_csv(client, "/dashboard/exports/summary.csv")
    assert {"csat", "response_rate", "tickets"} <= {r["figure"] for r in summary}
    assert client.get("/dashboard/exports/nothing.csv").status_code == 404
    html = html_of(client, "/dashboard/report")
    assert 'media="print"' in html or "@media print" in html or "print-report" in html


def test_agents_cannot_export(as_role: Any) -> None:
    client = as_role("agent@demo.test")
    assert client.get("/dashboard/exports/comments.csv").status_code == 403
    assert client.get("/dashboard/report").status_code == 403


# --- escaping, everywhere ----------------------------------------------------------------------


def test_every_page_escapes_what_customers_typed(as_role: Any, db_session: Session) -> None:
    me = user(db_session, "agent@demo.test")
    newest = newest_comment_of(db_session, me)
    assert newest is not None
    db_session.execute(update(Response).where(Response.id == newest).values(comment=EVIL))
    analyse(
        db_session,
        newest,
        [{"target": "product", "category": "bug", "sentence": EVIL, "sentiment": "negative"}],
    )
    db_session.execute(
        update(Agent).where(Agent.id == me.agent_id).values(name='Eve <b onmouseover="x">')
    )
    db_session.commit()
    client = as_role("manager@demo.test")
    for path in (
        "/dashboard/",
        "/dashboard/agents",
        f"/dashboard/agents/{me.agent_id}",
        "/dashboard/comments",
        "/dashboard/comments?q=script",
        "/dashboard/product-gaps",
        "/dashboard/report",
        "/dashboard/targets",
    ):
        html = html_of(client, path)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "<b onmouseover" not in html, path
    gaps = html_of(client, "/dashboard/product-gaps")
    assert "&lt;script&gt;" in gaps


# --- relabelling -------------------------------------------------------------------------------


def test_a_manager_relabels_a_comment_and_it_becomes_training_data(
    as_role: Any, db_session: Session
) -> None:
    from feedback_service.analysis.models import CommentLabel

    response_id = db_session.scalar(
        select(Response.id)
        .where(Response.comment.is_not(None))
        .order_by(Response.submitted_at.desc())
        .limit(1)
    )
    assert response_id is not None
    comment = db_session.get(Response, response_id).comment  # type: ignore[union-attr]
    analyse(
        db_session,
        response_id,
        [
            {
                "target": "product",
                "category": "bug",
                "sentence": comment,
                "sentiment": "negative",
                "confidence": 0.6,
            }
        ],
    )
    db_session.commit()
    client = as_role("manager@demo.test")
    page = html_of(client, "/dashboard/comments")
    assert f"/dashboard/comments/{response_id}/relabel" in page
    relabel = f"/dashboard/comments/{response_id}/relabel"
    saved = post_form(client, relabel, page, finding="0", label="agent/rude", sentiment="negative")
    assert saved.status_code == 303
    stored = db_session.scalars(
        select(CommentLabel).where(CommentLabel.response_id == response_id)
    ).all()
    assert {(row.target, row.category) for row in stored if row.target} == {("agent", "rude")}
    html = html_of(client, f"/dashboard/comments?category=rude&q={comment[:20]}")
    assert f'data-response="{response_id}"' in html

    bad = post_form(client, relabel, page, finding="0", label="agent/no-such")
    assert bad.status_code == 303
    assert "Not relabelled" in html_of(client, "/dashboard/comments")


def test_agents_cannot_relabel(as_role: Any, db_session: Session) -> None:
    me = user(db_session, "agent@demo.test")
    response_id = db_session.scalar(
        select(Response.id).where(Response.agent_id == me.agent_id, Response.comment.is_not(None))
    )
    client = as_role("agent@demo.test")
    token = csrf_from(client, "/dashboard/comments")
    response = client.post(
        f"/dashboard/comments/{response_id}/relabel",
        data={"csrf_token": token, "label": "agent/praised"},
    )
    assert response.status_code == 403


# --- alerts ------------------------------------------------------------------------------------


def test_open_alerts_show_by_scope_and_are_acknowledged(
    app: Flask,
    client: FlaskClient,
    demo: DemoSummary,
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from feedback_service.alerts.models import Alert
    from feedback_service.alerts.responses import alert_on_response

    # About who sees which alert, not about the answers' age (tests/api/test_alerts_fresh.py).
    monkeypatch.setitem(app.config, "ALERT_MAX_AGE_HOURS", 0)
    lead_team = {t.id for t in user(db_session, "lead@demo.test").teams}
    raised = {}
    # Very dissatisfied (the default trigger: CSAT 2 or less) with a comment; the
    # demo's answers are drawn relative to today, so which ones exist varies.
    for response in db_session.scalars(
        select(Response)
        .where(Response.csat <= 2, Response.comment.is_not(None), Response.comment != "")
        .order_by(Response.id)
    ):
        inside = response.team_id in lead_team
        if inside not in raised and (alert := alert_on_response(db_session, response)):
            raised[inside] = alert.id
    db_session.commit()
    assert set(raised) == {True, False}

    assert sign_in(client, "lead@demo.test").status_code == 302
    html = html_of(client, "/dashboard/")
    shown = {int(i) for i in re.findall(r'data-alert="(\d+)"', html)}
    assert raised[True] in shown and raised[False] not in shown
    token = token_on(html)
    refused = client.post(
        f"/dashboard/alerts/{raised[False]}/acknowledge", data={"csrf_token": token}
    )
    assert refused.status_code == 404
    done = client.post(f"/dashboard/alerts/{raised[True]}/acknowledge", data={"csrf_token": token})
    assert done.status_code == 303
    db_session.expire_all()
    alert = db_session.get(Alert, raised[True])
    assert alert is not None and alert.status == "acknowledged"
    assert alert.acknowledged_by == "lead@demo.test"
    assert f'data-alert="{raised[True]}"' not in html_of(client, "/dashboard/")
    sign_out(client)

    assert sign_in(client, "agent@demo.test").status_code == 302
    assert 'id="alerts"' not in html_of(client, "/dashboard/")
