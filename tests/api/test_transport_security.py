"""Secure session cookies and HSTS when PUBLIC_BASE_URL is https; neither on http
(a browser would refuse a Secure cookie over plain HTTP in development)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import delete

from feedback_service.auth.models import User
from feedback_service.auth.users import create_user
from feedback_service.db import get_session
from tests.apps import another_app, give_back

PASSWORD = "correct horse battery"


@pytest.fixture
def make_app(app: Flask, database_url: str, broker_url: str) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(base_url: str, **extra: object) -> Flask:
        new = another_app(database_url, broker_url, PUBLIC_BASE_URL=base_url, **extra)
        with new.app_context():
            session = get_session()
            create_user(
                session, email="tls@example.test", name="T", role="manager", password=PASSWORD
            )
            session.commit()
        made.append(new)
        return new

    yield make
    for new in made:
        with new.app_context():
            session = get_session()
            session.execute(delete(User).where(User.email == "tls@example.test"))
            session.commit()
    give_back(app, *made)


def sign_in_cookies(app: Flask) -> list[str]:
    client = app.test_client()
    page = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = client.post(
        "/dashboard/login",
        data={"email": "tls@example.test", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 302
    cookies = answer.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} == {"session", "fs_device"}
    return cookies


def test_https_deployments_send_secure_cookies_and_hsts(make_app: Callable[..., Flask]) -> None:
    app = make_app("https://feedback.example.com")
    for cookie in sign_in_cookies(app):
        assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client = app.test_client()
    for path in ("/healthz", "/dashboard/login", "/api/v1/surveys", "/s/" + "x" * 32):
        answer = client.get(path)
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000", path


def test_http_deployments_send_neither(make_app: Callable[..., Flask]) -> None:
    app = make_app("http://127.0.0.1:5000")
    assert not any("Secure" in cookie for cookie in sign_in_cookies(app))
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers


def test_hsts_max_age_is_configurable(make_app: Callable[..., Flask]) -> None:
    app = make_app("https://feedback.example.com", HSTS_MAX_AGE=600)
    assert app.test_client().get("/healthz").headers["Strict-Transport-Security"] == "max-age=600"
