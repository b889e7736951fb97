"""HTTP layer of API keys (scope ``admin``): list, create, rotate, revoke.

The same operations as ``flask keys list|create|rotate|revoke``; a secret is in
the answer of the call that creates or rotates it, and nowhere else.
"""

from __future__ import annotations

from typing import Any

from feedback_service.api import api_blueprint, requires_scope
from feedback_service.auth import service
from feedback_service.auth.models import ApiKey
from feedback_service.auth.schemas import KeyIn, KeyOut, KeyPageOut, KeyQuery, KeySecretOut
from feedback_service.db import get_session

keys_blp = api_blueprint("keys", __name__, "API keys: list, rotate, revoke")


def key_view(api_key: ApiKey) -> dict[str, Any]:
    return {
        "id": api_key.id,
        "name": api_key.name,
        "prefix": api_key.prefix,
        "scopes": sorted(api_key.scope_set),
        "signed": api_key.signing_secret is not None,
        "created_at": api_key.created_at,
        "rotated_at": api_key.rotated_at,
        "last_used_at": api_key.last_used_at,
        "revoked_at": api_key.revoked_at,
    }


@keys_blp.route("/keys", methods=["GET"])
@requires_scope("admin")
@keys_blp.arguments(KeyQuery, location="query")
@keys_blp.response(200, KeyPageOut)
def list_keys(args: dict[str, Any]) -> Any:
    """Every key, oldest first, with its prefix and when it was last used."""
    items, total = service.list_api_keys(
        get_session(),
        include_revoked=args["include_revoked"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return {
        "items": [key_view(k) for k in items],
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
    }


@keys_blp.route("/keys", methods=["POST"])
@requires_scope("admin")
@keys_blp.arguments(KeyIn)
@keys_blp.response(201, KeySecretOut)
def create_key(data: dict[str, Any]) -> Any:
    """Create a key; the answer holds the key (and signing secret) this once."""
    session = get_session()
    api_key, plain = service.create_api_key(
        session, data["name"], data["scopes"], with_signing_secret=data["signed"]
    )
    session.commit()
    return {**key_view(api_key), "key": plain, "signing_secret": api_key.signing_secret}


@keys_blp.route("/keys/<int:key_id>", methods=["GET"])
@requires_scope("admin")
@keys_blp.response(200, KeyOut)
def get_key(key_id: int) -> Any:
    return key_view(service.get_api_key(get_session(), key_id))


@keys_blp.route("/keys/<int:key_id>/rotate", methods=["POST"])
@requires_scope("admin")
@keys_blp.response(200, KeySecretOut)
def rotate_key(key_id: int) -> Any:
    """A new secret for the key (same id, name, scopes); the old one stops working.
    A signed key gets a new signing secret too. Both are in this answer only."""
    session = get_session()
    api_key = service.get_api_key(session, key_id)
    plain = service.rotate_api_key(session, api_key)
    session.commit()
    return {**key_view(api_key), "key": plain, "signing_secret": api_key.signing_secret}


@keys_blp.route("/keys/<int:key_id>/revoke", methods=["POST"])
@requires_scope("admin")
@keys_blp.response(200, KeyOut)
def revoke_key(key_id: int) -> Any:
    """Revoke the key: it gets 401 from then on. Revoking again changes nothing."""
    session = get_session()
    api_key = service.get_api_key(session, key_id)
    service.revoke_api_key(session, api_key)
    session.commit()
    return key_view(api_key)
