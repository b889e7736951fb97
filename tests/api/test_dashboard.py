"""The dashboard through the Flask test client: sign-in, CSRF, sessions, and above
all that each role sees exactly what it may (an agent never another agent)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from feedback_service.auth.models import User
from feedback_service.auth.users import set_password, visible_scope
from feedback_service.config import load_settings
from feedback_service.demo.cli import rebuild_rollups
from feedback_service.demo.seed import DemoSummary, seed_demo
from feedback_service.helpdesk.models import Agent, Team
from feedback_service.surveys.models import Response
from tests.apps import committed_for_module

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seeded_demo(session: Session, days: int) -> DemoSummary:
    """The demo data over ``days`` (8 agents, seed 5, ``PASSWORD``), rollups built, committed."""
    summary = seed_demo(session, days=days, agents=8, seed=5, password=PASSWORD)
    rebuild_rollups(session)
    session.commit()
    return summary


@pytest.fixture(scope="module")
def committed_demo(app: Flask) -> Iterator[DemoSummary]:
    """Seeded once for this module's tests (each test's own writes are rolled back)."""
    with committed_for_module(app, lambda session: seeded_demo(session, days=21)) as summary:
        yield summary


@pytest.fixture
def demo(db_session: Session, committed_demo: DemoSummary) -> DemoSummary:
    return committed_demo


def user(db_session: Session, email: str) -> User:
    return db_session.scalars(select(User).where(User.email == email)).one()


def csrf_from(client: FlaskClient, path: str = "/dashboard/login") -> str:
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, **extra: str) -> Any:
    token = csrf_from(client)
    return client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": token, **extra},
    )


def sign_out(client: FlaskClient) -> None:
    token = csrf_from(client, "/dashboard/")
    assert client.post("/dashboard/logout", data={"csrf_token": token}).status_code == 302


@pytest.fixture
def as_role(client: FlaskClient, demo: DemoSummary) -> Iterator[Any]:
    def login(email: str) -> FlaskClient:
        response = sign_in(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    yield login


def agent_links(html: str) -> set[int]:
    return {int(m) for m in re.findall(r'href="/dashboard/agents/(\d+)[?"]', html)}


# --- sign-in, sessions, CSRF -----------------------------------------------------------


def test_signed_out_visitors_are_sent_to_the_sign_in_page(client: FlaskClient) -> None:
    response = client.get("/dashboard/agents")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dashboard/login?next=/dashboard/agents")


def test_sign_in_and_out(client: FlaskClient, demo: DemoSummary) -> None:
    response = sign_in(client, "Manager@Demo.test")  # emails are case-insensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "Morgan Manager" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]

    # Logout is a POST with the session's token; a GET does nothing.
    assert client.get("/dashboard/logout").status_code == 405
    token = csrf_from(client, "/dashboard/")
    out = client.post("/dashboard/logout", data={"csrf_token": token})
    assert out.status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: FlaskClient, demo: DemoSummary
) -> None:
    wrong = sign_in(client, "manager@demo.test", "not the password")
    unknown = sign_in(client, "nobody@demo.test", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_posts_without_a_valid_csrf_token_are_refused(
    client: FlaskClient, demo: DemoSummary
) -> None:
    csrf_from(client)  # a session exists, but the form below does not carry its token
    refused = client.post(
        "/dashboard/login", data={"email": "manager@demo.test", "password": PASSWORD}
    )
    assert refused.status_code == 400
    forged = client.post(
        "/dashboard/login",
        data={"email": "manager@demo.test", "password": PASSWORD, "csrf_token": "forged"},
    )
    assert forged.status_code == 400
    assert client.get("/dashboard/").status_code == 302

    assert sign_in(client, "manager@demo.test").status_code == 302
    # A token from another session (another browser) does not work in this one.
    other = client.application.test_client()
    foreign = csrf_from(other)
    assert client.post("/dashboard/logout", data={"csrf_token": foreign}).status_code == 400
    assert client.post("/dashboard/logout").status_code == 400
    assert client.get("/dashboard/").status_code == 200  # still signed in


def test_next_only_leads_inside_the_dashboard(client: FlaskClient, demo: DemoSummary) -> None:
    evil = sign_in(client, "manager@demo.test", next="https://evil.example/phish")
    assert evil.headers["Location"] == "/dashboard/"
    sign_out(client)
    ok = sign_in(client, "manager@demo.test", next="/dashboard/agents")
    assert ok.headers["Location"] == "/dashboard/agents"


def test_a_password_change_signs_out_existing_sessions(as_role: Any, db_session: Session) -> None:
    client = as_role("manager@demo.test")
    assert client.get("/dashboard/").status_code == 200
    set_password(db_session, user(db_session, "manager@demo.test"), "a brand new password")
    db_session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_deactivated_users_lose_access_at_once(as_role: Any, db_session: Session) -> None:
    client = as_role("lead@demo.test")
    user(db_session, "lead@demo.test").active = False
    db_session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_session_cookie_secure_comes_from_the_environment(tmp_path: Any) -> None:
    base = {"FEEDBACK_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"}
    assert load_settings(base)["SESSION_COOKIE_SECURE"] is False
    assert load_settings({**base, "SESSION_COOKIE_SECURE": "true"})["SESSION_COOKIE_SECURE"]
    settings = load_settings(base)
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


# --- role scoping ------------------------------------------------------------------------


def test_visible_scope_per_role(demo: DemoSummary, db_session: Session) -> None:
    manager = visible_scope(db_session, user(db_session, "manager@demo.test"))
    lead_user = user(db_session, "lead@demo.test")
    lead = visible_scope(db_session, lead_user)
    agent_user = user(db_session, "agent@demo.test")
    agent = visible_scope(db_session, agent_user)

    assert manager.everything
    team_ids = {t.id for t in lead_user.teams}
    assert lead.team_ids == team_ids
    in_team = set(db_session.scalars(select(Agent.id).where(Agent.team_id.in_(team_ids))))
    assert lead.agent_ids == in_team and len(in_team) == 2
    assert agent.agent_ids == {agent_user.agent_id}
    assert not agent.team_ids


def test_an_agent_sees_only_their_own_scorecard(as_role: Any, db_session: Session) -> None:
    me = user(db_session, "agent@demo.test")
    client = as_role("agent@demo.test")
    listing = client.get("/dashboard/agents")
    assert listing.status_code == 302
    assert listing.headers["Location"] == f"/dashboard/agents/{me.agent_id}"
    own = client.get(f"/dashboard/agents/{me.agent_id}")
    assert own.status_code == 200
    for other in db_session.scalars(select(Agent.id).where(Agent.id != me.agent_id)):
        assert client.get(f"/dashboard/agents/{other}").status_code == 404
    assert client.get("/dashboard/agents/999999").status_code == 404
    # Pages for leads and managers are refused, not merely hidden from the menu.
    assert client.get("/dashboard/surveys").status_code == 403
    assert client.get("/dashboard/product-gaps").status_code == 403
    nav = client.get("/dashboard/").get_data(as_text=True)
    assert "Product gaps" not in nav and "Surveys</a>" not in nav


def test_an_agents_overview_counts_only_their_own_responses(
    as_role: Any, db_session: Session
) -> None:
    me = user(db_session, "agent@demo.test")
    mine = db_session.scalar(
        select(func.count(Response.id)).where(Response.agent_id == me.agent_id)
    )
    total = db_session.scalar(select(func.count(Response.id)))
    assert mine and total and mine < total
    html = as_role("agent@demo.test").get("/dashboard/").get_data(as_text=True)
    shown = re.search(r'id="tile-responses">.*?tile-value">(\d+)<', html, re.S)
    assert shown and int(shown.group(1)) == mine


def test_an_agents_comment_list_holds_only_comments_about_them(
    as_role: Any, db_session: Session
) -> None:
    me = user(db_session, "agent@demo.test")
    others = db_session.get(Agent, me.agent_id)
    assert others is not None
    html = as_role("agent@demo.test").get("/dashboard/comments").get_data(as_text=True)
    shown = set(re.findall(r'data-response="(\d+)"', html))
    assert shown
    owners = set(
        db_session.scalars(
            select(Response.agent_id).where(Response.id.in_([int(i) for i in shown]))
        )
    )
    assert owners == {me.agent_id}


def test_a_team_lead_sees_their_team_only(as_role: Any, db_session: Session) -> None:
    lead_user = user(db_session, "lead@demo.test")
    team_ids = {t.id for t in lead_user.teams}
    mine = set(db_session.scalars(select(Agent.id).where(Agent.team_id.in_(team_ids))))
    others = set(db_session.scalars(select(Agent.id))) - mine
    client = as_role("lead@demo.test")
    assert agent_links(client.get("/dashboard/agents").get_data(as_text=True)) == mine
    for agent_id in mine:
        assert client.get(f"/dashboard/agents/{agent_id}").status_code == 200
    for agent_id in others:
        assert client.get(f"/dashboard/agents/{agent_id}").status_code == 404
    assert client.get("/dashboard/surveys").status_code == 403
    assert client.get("/dashboard/exports").status_code == 200


def test_a_manager_sees_every_agent(as_role: Any, db_session: Session) -> None:
    client = as_role("manager@demo.test")
    everyone = set(db_session.scalars(select(Agent.id)))
    assert agent_links(client.get("/dashboard/agents").get_data(as_text=True)) == everyone
    for path in ("/dashboard/surveys", "/dashboard/product-gaps", "/dashboard/exports"):
        assert client.get(path).status_code == 200


def test_what_customers_typed_is_escaped(as_role: Any, db_session: Session) -> None:
    me = user(db_session, "agent@demo.test")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    newest = db_session.scalar(
        select(Response.id)
        .where(Response.agent_id == me.agent_id)
        .order_by(Response.submitted_at.desc())
        .limit(1)
    )
    db_session.execute(update(Response).where(Response.id == newest).values(comment=evil))
    team = db_session.scalars(select(Team)).first()
    assert team is not None
    db_session.execute(
        update(Agent).where(Agent.id == me.agent_id).values(name='Eve <b onmouseover="x">')
    )
    db_session.commit()
    for email in ("agent@demo.test", "manager@demo.test"):
        client = as_role(email)
        for path in ("/dashboard/", "/dashboard/comments", f"/dashboard/agents/{me.agent_id}"):
            html = client.get(path).get_data(as_text=True)
            assert "<script>alert" not in html and "<img src=x" not in html, path
            assert "<b onmouseover" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in client.get(
            "/dashboard/comments"
        ).get_data(as_text=True)
        sign_out(client)


# --- commands ------------------------------------------------------------------------------


def test_users_create_command(app: Flask, db_session: Session, demo: DemoSummary) -> None:
    runner = app.test_cli_runner()

    def create(email: str, name: str, role: str, *more: str, **kw: Any) -> Any:
        """``flask users create``; the password is given unless ``input`` types it."""
        args = ["users", "create", "--email", email, "--name", name, "--role", role, *more]
        if "input" not in kw:
            args += ["--password", "long enough pw"]
        return runner.invoke(args=args, **kw)

    team = db_session.scalars(select(Team).order_by(Team.id)).first()
    assert team is not None
    result = create("new.lead@demo.test", "New Lead", "team_lead", "--team", team.name)
    assert result.exit_code == 0, result.output
    created = user(db_session, "new.lead@demo.test")
    assert [t.name for t in created.teams] == [team.name]
    assert created.password_hash != "long enough pw"

    again = create("NEW.lead@demo.test", "X", "manager")
    assert again.exit_code != 0 and "exists already" in again.output
    bad = create("a@demo.test", "A", "agent", "--agent", "no-such-agent")
    assert bad.exit_code != 0 and "no-such-agent" in bad.output
    prompted = create(
        "m2@demo.test", "M", "manager", input="prompted password\nprompted password\n"
    )
    assert prompted.exit_code == 0, prompted.output
