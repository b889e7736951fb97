"""Creating and checking API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.auth.models import SCOPES, ApiKey
from feedback_service.cache import TTLCache
from feedback_service.db import utcnow
from feedback_service.errors import Forbidden, Unauthorized, ValidationError

KEY_PREFIX = "fbk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session, name: str, scopes: list[str], with_signing_secret: bool = False
) -> tuple[ApiKey, str]:
    """Create a key; the plain key is returned once and never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValidationError(
            "unknown scope", fields={"scope": [f"Must be among {', '.join(SCOPES)}."]}
        )
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(
        name=name,
        prefix=plain[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(plain),
        scopes=" ".join(sorted(set(scopes))),
        signing_secret=secrets.token_hex(32) if with_signing_secret else None,
    )
    session.add(api_key)
    session.flush()
    return api_key, plain


@dataclass(frozen=True)
class Caller:
    """The authenticated API key, as the request needs it."""

    key_id: int
    name: str
    scopes: frozenset[str]
    signing_secret: str | None


# Keys are read on every request; a revoked key stops working within this TTL.
_callers: TTLCache[str, Caller] = TTLCache(ttl_seconds=10)


def _load_caller(session: Session, key_hash: str) -> Caller:
    api_key = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )
    if api_key is None:
        raise Unauthorized(
            "The API key is unknown or revoked.", headers={"WWW-Authenticate": "Bearer"}
        )
    return Caller(api_key.id, api_key.name, api_key.scope_set, api_key.signing_secret)


def authenticate(session: Session, authorization: str | None, scope: str) -> Caller:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized(
            "An API key is required: send 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    key_hash = hash_key(authorization.removeprefix("Bearer ").strip())
    caller = _callers.get_or_load(key_hash, lambda: _load_caller(session, key_hash))
    # admin can do everything; otherwise the scope must be granted explicitly.
    if scope not in caller.scopes and "admin" not in caller.scopes:
        raise Forbidden(f"This API key lacks the '{scope}' scope.")
    return caller


def revoke_api_key(session: Session, api_key: ApiKey) -> None:
    api_key.revoked_at = utcnow()
    _callers.discard(api_key.key_hash)
    session.flush()


def verify_signature(
    secret: str, body: bytes, signature: str | None, timestamp: str | None, max_age: int
) -> None:
    """Check ``X-Signature: sha256=<hex>`` over ``<timestamp>.<body>``.

    The timestamp is signed with the body so a captured request cannot be replayed
    after ``max_age`` seconds.
    """
    if not signature or not timestamp:
        raise Unauthorized("This API key requires signed requests (X-Signature, X-Timestamp).")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Unauthorized("X-Timestamp must be Unix seconds.") from None
    if abs(time.time() - sent_at) > max_age:
        raise Unauthorized("The request signature has expired (X-Timestamp too old or new).")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    given = signature.removeprefix("sha256=")
    if not hmac.compare_digest(expected.hexdigest(), given):
        raise Unauthorized("The request signature does not match its body.")
