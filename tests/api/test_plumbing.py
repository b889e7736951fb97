"""The API's shared behaviour: health, OpenAPI, one error shape, keys and scopes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from feedback_service.auth.models import ApiKey
from tests.factories import invitation_payload


def test_healthz_and_readyz_answer(client: FlaskClient, db_session: Any) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_names_an_unreachable_broker(app: Any, client: FlaskClient, db_session: Any) -> None:
    celery = app.extensions["celery"]
    saved = celery.conf.broker_url
    celery.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/readyz")
    finally:
        celery.conf.broker_url = saved
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["broker"].startswith("error")


def test_openapi_document_is_generated_from_the_schemas(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    body = doc["paths"]["/api/v1/invitations"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    schema = doc["components"]["schemas"][ref]
    assert {"ticket", "agent", "customer"} <= set(schema["required"])


def test_interactive_docs_load_nothing_from_a_cdn(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs/static/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert client.get("/api/docs/static/swagger-ui-bundle.js").status_code == 200


def test_no_key_is_401_in_the_error_shape(client: FlaskClient, db_session: Any) -> None:
    response = client.post("/api/v1/invitations", json=invitation_payload())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["error"]["status"] == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_unknown_key_is_401(client: FlaskClient, db_session: Any) -> None:
    response = client.get("/api/v1/surveys", headers={"Authorization": "Bearer fbk_nope"})
    assert response.status_code == 401


def test_wrong_scope_is_403(client: FlaskClient, auth: Any) -> None:
    response = client.get("/api/v1/surveys", headers=auth("ingest"))
    assert response.status_code == 403
    assert "admin" in response.json["error"]["message"]


def test_admin_scope_may_ingest(client: FlaskClient, auth: Any) -> None:
    response = client.post("/api/v1/invitations", json=invitation_payload(), headers=auth("admin"))
    assert response.status_code == 201


def test_keys_are_stored_hashed(make_key: Any, db_session: Any) -> None:
    plain, _ = make_key("reports")
    stored = db_session.scalars(select(ApiKey)).all()
    assert all(plain not in (k.key_hash, k.prefix) for k in stored)
    assert hashlib.sha256(plain.encode()).hexdigest() in {k.key_hash for k in stored}


def test_every_api_route_requires_a_key_unless_marked_public(
    app: Any, client: FlaskClient, db_session: Any
) -> None:
    """A route added without a scope fails closed; only @public routes answer keyless."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        view = app.view_functions[rule.endpoint]
        values = {
            arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"
            for arg in rule.arguments
        }
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            status = client.open(url, method=method, json={}).status_code
            if getattr(view, "_public", False):
                assert status != 401, (method, url)
            else:
                assert status == 401, (method, url)
            checked += 1
    assert checked >= 5


def test_validation_error_names_nested_fields(client: FlaskClient, auth: Any) -> None:
    body = invitation_payload()
    del body["ticket"]["id"]
    body["customer"]["locale"] = 5
    body["ticket"]["contacts"] = "many"
    response = client.post("/api/v1/invitations", json=body, headers=auth("ingest"))
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["ticket.id"] == ["Missing data for required field."]
    assert "ticket.contacts" in error["fields"]
    assert "customer.locale" in error["fields"]


def test_not_json_is_a_4xx_in_the_error_shape(client: FlaskClient, auth: Any) -> None:
    response = client.post(
        "/api/v1/invitations",
        data="{not json",
        headers={**auth("ingest"), "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.json


def test_unknown_route_and_method_use_the_error_shape(client: FlaskClient, auth: Any) -> None:
    missing = client.get("/api/v1/nothing-here", headers=auth("admin"))
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/invitations", headers=auth("admin"))
    assert wrong.status_code == 405
    assert wrong.json["error"]["code"] == "method_not_allowed"


def _signed(secret: str, body: bytes, at: int | None = None) -> dict[str, str]:
    stamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Timestamp": stamp, "X-Signature": f"sha256={digest}"}


def test_signed_keys_need_a_valid_fresh_signature(client: FlaskClient, make_key: Any) -> None:
    plain, secret = make_key("ingest", signed=True)
    headers = {"Authorization": f"Bearer {plain}", "Content-Type": "application/json"}
    body = json.dumps(invitation_payload()).encode()

    unsigned = client.post("/api/v1/invitations", data=body, headers=headers)
    assert unsigned.status_code == 401

    tampered = client.post(
        "/api/v1/invitations", data=body + b" ", headers={**headers, **_signed(secret, body)}
    )
    assert tampered.status_code == 401

    replayed = client.post(
        "/api/v1/invitations",
        data=body,
        headers={**headers, **_signed(secret, body, int(time.time()) - 3600)},
    )
    assert replayed.status_code == 401
    assert "expired" in replayed.json["error"]["message"]

    good = client.post(
        "/api/v1/invitations", data=body, headers={**headers, **_signed(secret, body)}
    )
    assert good.status_code == 201
