"""Rate limits on the public endpoints, on an app of their own (the shared test
app runs with them off)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask


@pytest.fixture
def limited_app(app: Flask, database_url: str, broker_url: str) -> Iterator[Flask]:
    from feedback_service import create_app

    limited = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": True,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_PUBLIC_PER_IP": "5/minute",
            "RATELIMIT_PUBLIC_PER_TOKEN": "2/minute",
        }
    )
    yield limited
    limited.extensions["db"].engine.dispose()
    # create_app made its Celery app the current and default one; later tests that call
    # tasks directly must find the shared test app's again.
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()


def test_one_token_is_limited_with_retry_after(limited_app: Flask) -> None:
    client = limited_app.test_client()
    token = "R" * 32
    codes = [client.get(f"/s/{token}").status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    blocked = client.get(f"/s/{token}")
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert "Too many attempts" in blocked.text
    # The JSON API counts the token from the body and answers in the error shape.
    api = client.post("/api/v1/responses", json={"token": token, "answers": {"csat": 5}})
    assert api.status_code == 429
    assert api.json["error"]["code"] == "rate_limited"
    assert int(api.headers["Retry-After"]) > 0


def test_one_ip_is_limited_across_tokens(limited_app: Flask) -> None:
    client = limited_app.test_client()
    codes = [client.get(f"/s/{'T' * 31}{n}").status_code for n in range(6)]
    assert codes == [404] * 5 + [429]
    assert "Retry-After" in client.get("/s/" + "U" * 32).headers
    # Another client address is not held back by the first one's count.
    other = limited_app.test_client()
    answer = other.get("/s/" + "V" * 32, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert answer.status_code == 404


def test_key_authenticated_api_is_not_limited_by_the_public_limits(limited_app: Flask) -> None:
    client = limited_app.test_client()
    codes = {client.get("/api/v1/surveys").status_code for _ in range(8)}
    assert codes == {401}
