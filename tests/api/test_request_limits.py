"""Bounds on every request (feedback_service/limits.py): no input gives a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.factories import invitation_payload


def test_a_nul_in_any_helpdesk_string_is_422_naming_the_field(
    client: FlaskClient, auth: Any
) -> None:
    headers = auth("ingest")
    for part, field in (("ticket", "subject"), ("agent", "name"), ("ticket", "id")):
        body = invitation_payload(**{part: {field: "bad\x00value"}})
        response = client.post("/api/v1/invitations", json=body, headers=headers)
        assert response.status_code == 422, (part, field)
        error = response.json["error"]
        assert error["code"] == "validation_error"
        assert list(error["fields"]) == [f"{part}.{field}"]
        assert "NUL" in error["fields"][f"{part}.{field}"][0]
    # Nothing was half-written: the same ticket without the NUL is a new invitation.
    clean = client.post("/api/v1/invitations", json=invitation_payload(), headers=headers)
    assert clean.status_code == 201


def test_a_nul_in_a_webhook_query_or_path_is_422(client: FlaskClient, auth: Any) -> None:
    headers = auth("admin")
    webhook = client.post(
        "/api/v1/integrations/zendesk",
        json={"ticket": {"id": 7, "status": "solved", "subject": "a\x00b"}},
        headers=headers,
    )
    assert webhook.status_code == 422
    assert "ticket.subject" in webhook.json["error"]["fields"]
    query = client.get("/api/v1/reports/summary?channel=e%00mail", headers=headers)
    assert query.status_code == 422
    assert list(query.json["error"]["fields"]) == ["channel"]
    path = client.get("/api/v1/surveys/post%00ticket", headers=headers)
    assert path.status_code == 422
    assert list(path.json["error"]["fields"]) == ["key"]


def test_a_lone_surrogate_on_the_public_answer_endpoint_is_422(client: FlaskClient) -> None:
    body = b'{"token": "abc", "comment": "broken \\ud800 text"}'
    response = client.post("/api/v1/responses", data=body, content_type="application/json")
    assert response.status_code == 422
    assert "surrogate" in response.json["error"]["fields"]["comment"][0]


def test_json_nested_1000_deep_is_400(client: FlaskClient) -> None:
    body = '{"token": "abc", "answers": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.post("/api/v1/responses", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json["error"]["message"]
    shallow = '{"token": "abc", "answers": {"csat": ' + "[" * 40 + "]" * 40 + "}}"
    response = client.post("/api/v1/responses", data=shallow, content_type="application/json")
    assert response.status_code == 400


def test_invalid_utf8_is_a_4xx_in_the_error_shape(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/responses", data=b'{"token": "\xff\xfe"}', content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert "error" in response.json


def test_ids_beyond_the_database_integer_are_404(client: FlaskClient, auth: Any) -> None:
    headers = auth("admin")
    for url in (
        "/api/v1/invitations/2147483648",
        "/api/v1/comments/99999999999999999999999",
        f"/api/v1/alerts/{'9' * 5000}",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.json["error"]["code"] == "not_found"
    doc = client.get("/api/openapi.json").json
    parameter = doc["paths"]["/api/v1/invitations/{invitation_id}"]["parameters"][0]
    assert parameter["schema"]["maximum"] == 2**31 - 1


def test_page_numbers_and_dates_out_of_range_are_422(client: FlaskClient, auth: Any) -> None:
    headers = auth("admin")
    for url, field in (
        ("/api/v1/comments?page=100000000000000000000", "page"),
        ("/api/v1/reports/agents?page=0", "page"),
        ("/api/v1/keys?page=100001", "page"),
        ("/api/v1/reports/summary?to=9999-12-31", "to"),
        ("/api/v1/reports/summary?from=0001-01-01", "from"),
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 422, url
        assert field in response.json["error"]["fields"], url


def test_report_ranges_are_at_most_five_years(client: FlaskClient, auth: Any) -> None:
    headers = auth("reports")
    too_long = client.get(
        "/api/v1/reports/agents/A-1?from=1986-08-16&to=2055-12-11", headers=headers
    )
    assert too_long.status_code == 422
    assert "5 years" in too_long.json["error"]["fields"]["from"][0]
    since = (dt.date.today() - dt.timedelta(days=6 * 365)).isoformat()
    assert client.get(f"/api/v1/reports/summary?from={since}", headers=headers).status_code == 422
    five_years = "/api/v1/reports/summary?from=2021-12-01&to=2026-11-30"
    assert client.get(five_years, headers=headers).status_code == 200


def test_a_body_over_max_content_length_is_413(app: Flask, client: FlaskClient) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    body = b'{"token": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/api/v1/responses", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_a_label_import_may_be_larger_than_max_content_length(
    client: FlaskClient, auth: Any
) -> None:
    # 2.4 MB, refused for its missing `text` column (422), not for its size (413).
    rows = "comment,sentiment\n" + "the agent was rude to me,negative\n" * 70_000
    response = client.post(
        "/api/v1/labels/import",
        data=rows.encode(),
        headers={**auth("reports"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.json


def test_405_names_the_allowed_methods(client: FlaskClient, auth: Any) -> None:
    response = client.delete("/api/v1/surveys", headers=auth("admin"))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_every_operation_documents_the_error_shape_and_csv(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").json
    error = doc["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]
    detail = doc["components"]["schemas"]["ErrorDetailOut"]["properties"]
    assert {"status", "code", "message", "fields"} <= set(detail)
    default = {"$ref": "#/components/responses/DEFAULT_ERROR"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation["responses"]["default"] == default, (method, path)
            assert "security" in operation or "x-required-scope" in operation, (method, path)
            formats = [p for p in operation.get("parameters", []) if p["name"] == "format"]
            if formats and "csv" in formats[0]["schema"].get("enum", []):
                assert "text/csv" in operation["responses"]["200"]["content"], (method, path)
    assert doc["paths"]["/api/v1/responses"]["post"]["security"] == []
    summary = doc["paths"]["/api/v1/reports/summary"]["get"]
    assert summary["x-required-scope"] == "reports"
    assert "text/csv" in summary["responses"]["200"]["content"]


def test_a_slow_statement_in_a_request_is_cancelled_with_503(database_url: str) -> None:
    """PostgreSQL only: web requests run under statement_timeout; a worker does not."""
    if not database_url.startswith("postgresql"):
        pytest.skip("statement_timeout is PostgreSQL's; nothing to bound on SQLite")
    from feedback_service import create_app
    from feedback_service.db import get_session

    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "REQUEST_STATEMENT_TIMEOUT_MS": 200}
    )

    @app.get("/api/slow")
    def slow() -> Any:
        get_session().execute(text("SELECT pg_sleep(2)"))
        return {"done": True}

    response = app.test_client().get("/api/slow")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "timeout"
    assert response.headers["Retry-After"] == "30"
    # Outside a request (a worker, a command) the same pool's connections are unbounded.
    with app.app_context():
        assert get_session().execute(text("SHOW statement_timeout")).scalar() == "0"
    with app.test_request_context("/api/anything"):
        assert get_session().execute(text("SHOW statement_timeout")).scalar() == "200ms"
    app.extensions["db"].engine.dispose()
