"""Rate limits on the public endpoints, on an app of their own (the shared test
app runs with them off)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.apps import another_app, give_back


@pytest.fixture
def limited_app(app: Flask, database_url: str, broker_url: str) -> Iterator[Flask]:
    limited = another_app(
        database_url,
        broker_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_PUBLIC_PER_IP="5/minute",
        RATELIMIT_PUBLIC_PER_TOKEN="2/minute",
    )
    yield limited
    give_back(app, limited)


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
