"""API keys under /api/v1/keys and `flask keys`: list (prefix only, never a secret),
create, rotate (new secret once), revoke (401 after), last-used time to the minute."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.auth.models import ApiKey
from feedback_service.auth.service import hash_key
from feedback_service.cache import clear_all
from feedback_service.db import utcnow


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_row(db_session: Session, plain: str) -> ApiKey:
    db_session.expire_all()
    row = db_session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(plain))).one()
    # Ends the test session's savepoint: requests' sessions share its connection.
    db_session.commit()
    return row


def test_the_list_shows_prefixes_and_scopes_never_secrets(
    client: FlaskClient, make_key: Any, db_session: Session
) -> None:
    admin, _ = make_key("admin")
    ingest, secret = make_key("ingest", signed=True)
    answer = client.get("/api/v1/keys", headers=bearer(admin))
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    for hidden in (admin, ingest, str(secret), key_row(db_session, ingest).key_hash):
        assert hidden not in body
    by_prefix = {item["prefix"]: item for item in answer.json["items"]}
    listed = by_prefix[ingest[:10]]
    assert listed["scopes"] == ["ingest"]
    assert listed["signed"] is True
    assert listed["revoked_at"] is None
    assert answer.json["total"] == len(answer.json["items"]) >= 2
    assert {"page", "per_page"} <= answer.json.keys()


def test_only_admin_keys_manage_keys(client: FlaskClient, make_key: Any) -> None:
    reports, _ = make_key("reports")
    assert client.get("/api/v1/keys", headers=bearer(reports)).status_code == 403
    assert client.get("/api/v1/keys").status_code == 401


def test_a_revoked_key_gets_401(client: FlaskClient, make_key: Any, db_session: Session) -> None:
    admin, _ = make_key("admin")
    reports, _ = make_key("reports")
    assert client.get("/api/v1/alerts", headers=bearer(reports)).status_code == 200
    key_id = key_row(db_session, reports).id
    revoked = client.post(f"/api/v1/keys/{key_id}/revoke", headers=bearer(admin))
    assert revoked.status_code == 200
    assert revoked.json["revoked_at"] is not None
    refused = client.get("/api/v1/alerts", headers=bearer(reports))
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthorized"
    # Revoking again changes nothing; unknown ids are 404, never a 500.
    again = client.post(f"/api/v1/keys/{key_id}/revoke", headers=bearer(admin))
    assert again.json["revoked_at"] == revoked.json["revoked_at"]
    for missing in (999_999, 2**40):
        gone = client.post(f"/api/v1/keys/{missing}/revoke", headers=bearer(admin))
        assert gone.status_code == 404
        assert gone.json["error"]["code"] == "not_found"
    active = client.get("/api/v1/keys?include_revoked=false", headers=bearer(admin)).json
    assert key_id not in {item["id"] for item in active["items"]}


def test_rotation_returns_a_new_secret_once_and_the_old_one_stops_working(
    client: FlaskClient, make_key: Any, db_session: Session
) -> None:
    admin, _ = make_key("admin")
    old, _ = make_key("reports")
    key_id = key_row(db_session, old).id
    rotated = client.post(f"/api/v1/keys/{key_id}/rotate", headers=bearer(admin))
    assert rotated.status_code == 200
    new = rotated.json["key"]
    assert new != old and new.startswith(rotated.json["prefix"])
    assert rotated.json["id"] == key_id and rotated.json["rotated_at"] is not None
    assert rotated.json["scopes"] == ["reports"]
    assert client.get("/api/v1/alerts", headers=bearer(old)).status_code == 401
    assert client.get("/api/v1/alerts", headers=bearer(new)).status_code == 200
    # The listing shows the new prefix, and neither secret.
    listing = client.get("/api/v1/keys", headers=bearer(admin)).get_data(as_text=True)
    assert new not in listing and old not in listing
    assert rotated.json["prefix"] in listing
    # A signed key gets a new signing secret with its new key.
    signed, secret = make_key("ingest", signed=True)
    signed_id = key_row(db_session, signed).id
    again = client.post(f"/api/v1/keys/{signed_id}/rotate", headers=bearer(admin)).json
    assert again["signing_secret"] and again["signing_secret"] != secret
    # A revoked key stays revoked.
    client.post(f"/api/v1/keys/{signed_id}/revoke", headers=bearer(admin))
    refused = client.post(f"/api/v1/keys/{signed_id}/rotate", headers=bearer(admin))
    assert refused.status_code == 409
    assert "revoked" in refused.json["error"]["message"]


def test_keys_created_through_the_api_work_and_bad_input_names_the_field(
    client: FlaskClient, make_key: Any
) -> None:
    admin, _ = make_key("admin")
    created = client.post(
        "/api/v1/keys", json={"name": "zendesk", "scopes": ["reports"]}, headers=bearer(admin)
    )
    assert created.status_code == 201
    assert created.json["signing_secret"] is None
    assert client.get("/api/v1/alerts", headers=bearer(created.json["key"])).status_code == 200
    bad = client.post("/api/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=bearer(admin))
    assert bad.status_code == 422
    assert any(name.startswith("scopes") for name in bad.json["error"]["fields"])


def test_last_used_is_recorded_at_most_once_a_minute(
    client: FlaskClient, make_key: Any, db_session: Session
) -> None:
    admin, _ = make_key("admin")
    reports, _ = make_key("reports")
    assert key_row(db_session, reports).last_used_at is None
    client.get("/api/v1/alerts", headers=bearer(reports))
    first = key_row(db_session, reports).last_used_at
    assert first is not None
    listed = client.get("/api/v1/keys", headers=bearer(admin)).json["items"]
    shown = next(i for i in listed if i["prefix"] == reports[:10])
    assert dt.datetime.fromisoformat(shown["last_used_at"]) == first
    # Within the minute: no new write.
    client.get("/api/v1/alerts", headers=bearer(reports))
    assert key_row(db_session, reports).last_used_at == first
    # A minute later (in another process, or after this one's memory expired): written.
    row = key_row(db_session, reports)
    row.last_used_at = utcnow() - dt.timedelta(minutes=2)
    db_session.commit()
    clear_all()
    client.get("/api/v1/alerts", headers=bearer(reports))
    assert key_row(db_session, reports).last_used_at > first  # type: ignore[operator]


def test_keys_commands(app: Flask, make_key: Any, db_session: Session) -> None:
    runner = app.test_cli_runner()
    reports, _ = make_key("reports")
    key_id = key_row(db_session, reports).id
    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0, listed.output
    assert reports[:10] in listed.output and reports not in listed.output

    rotated = runner.invoke(args=["keys", "rotate", str(key_id)])
    assert rotated.exit_code == 0, rotated.output
    new = rotated.output.strip().splitlines()[1]
    assert new.startswith("fbk_") and new != reports
    assert key_row(db_session, new).id == key_id

    revoked = runner.invoke(args=["keys", "revoke", str(key_id)])
    assert revoked.exit_code == 0, revoked.output
    assert key_row(db_session, new).revoked_at is not None
    active = runner.invoke(args=["keys", "list", "--active"])
    assert new[:10] not in active.output
    missing = runner.invoke(args=["keys", "revoke", "999999"])
    assert missing.exit_code != 0 and "No API key" in missing.output
