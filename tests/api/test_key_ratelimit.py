"""Per-key rate limits on the API, on an app of their own (the shared test app runs
with limits off): 429 in the error shape with Retry-After, per key, per scope;
counted in Redis when the tests have one, else in the process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete

from feedback_service.auth.models import ApiKey
from feedback_service.auth.service import create_api_key
from feedback_service.db import get_session
from tests.apps import another_app, give_back


@pytest.fixture
def limited_app(app: Flask, database_url: str, broker_url: str) -> Iterator[Flask]:
    storage = broker_url if broker_url.startswith("redis") else "memory://"
    limited = another_app(
        database_url,
        broker_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_KEY_REPORTS="3/minute",
        RATELIMIT_KEY_ADMIN="5/minute",
    )
    # Key ids start again in every fresh test database: old counts must not match.
    limited.extensions["key_rate_limiter"].storage.reset()
    yield limited
    with limited.app_context():
        session = get_session()
        session.execute(delete(ApiKey))
        session.commit()
    give_back(app, limited)


def new_key(app: Flask, *scopes: str) -> dict[str, str]:
    with app.app_context():
        session = get_session()
        _row, plain = create_api_key(session, "limited", list(scopes))
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_a_key_past_its_limit_gets_429_with_retry_after(limited_app: Flask) -> None:
    if os.environ.get("TEST_BROKER_URL", "").startswith("redis"):
        assert limited_app.config["RATELIMIT_STORAGE_URI"].startswith("redis")
    client = limited_app.test_client()
    hot = new_key(limited_app, "reports")
    calm = new_key(limited_app, "reports")
    codes = [client.get("/api/v1/alerts", headers=hot).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/alerts", headers=hot)
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert limited.json["error"]["status"] == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Another key is not held back by the hot one.
    assert client.get("/api/v1/alerts", headers=calm).status_code == 200


def test_limits_are_set_per_scope(limited_app: Flask) -> None:
    client = limited_app.test_client()
    admin = new_key(limited_app, "admin")
    codes = [client.get("/api/v1/keys", headers=admin).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    # The admin key's report calls have their own count, under the reports limit.
    reports = [client.get("/api/v1/alerts", headers=admin).status_code for _ in range(4)]
    assert reports == [200, 200, 200, 429]


def test_calls_without_a_valid_key_are_refused_before_counting(limited_app: Flask) -> None:
    client = limited_app.test_client()
    bad = {"Authorization": "Bearer fbk_not-a-key"}
    assert {client.get("/api/v1/alerts", headers=bad).status_code for _ in range(6)} == {401}
