"""API keys: creating, listing, rotating, revoking and checking them.

Only a key's hash is stored; the plain key is shown once, by the call that
creates or rotates it. ``last_used_at`` is written at most once a minute per key
and web process (``note_key_use``), not on every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from feedback_service.auth.models import SCOPES, ApiKey
from feedback_service.cache import TTLCache
from feedback_service.db import utcnow
from feedback_service.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError

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
    plain = _new_plain_key()
    api_key = ApiKey(
        name=name,
        prefix=key_prefix(plain),
        key_hash=hash_key(plain),
        scopes=" ".join(sorted(set(scopes))),
        signing_secret=secrets.token_hex(32) if with_signing_secret else None,
    )
    session.add(api_key)
    session.flush()
    return api_key, plain


def _new_plain_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_prefix(plain: str) -> str:
    """What listings show of a key: enough to tell keys apart, nothing to use."""
    return plain[: len(KEY_PREFIX) + 6]


def list_api_keys(
    session: Session, *, include_revoked: bool = True, page: int = 1, per_page: int = 50
) -> tuple[list[ApiKey], int]:
    query = select(ApiKey)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(ApiKey.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(items), total


def get_api_key(session: Session, key_id: int) -> ApiKey:
    # Ids past the column's range name no key (and must not reach the database).
    api_key = session.get(ApiKey, key_id) if 0 < key_id < 2**31 else None
    if api_key is None:
        raise NotFound(f"No API key with id {key_id}.")
    return api_key


def rotate_api_key(session: Session, api_key: ApiKey) -> str:
    """Give the key a new secret (and a new signing secret if it signs); the old
    one stops working at once here, within the cache TTL in other processes. Same
    id, name and scopes. Returns the new plain key, shown once."""
    if api_key.revoked_at is not None:
        raise Conflict(f"API key {api_key.id} is revoked; create a new key instead.")
    _callers.discard(api_key.key_hash)
    plain = _new_plain_key()
    api_key.key_hash = hash_key(plain)
    api_key.prefix = key_prefix(plain)
    if api_key.signing_secret is not None:
        api_key.signing_secret = secrets.token_hex(32)
    api_key.rotated_at = utcnow()
    session.flush()
    return plain


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
    """Revoke the key (revoking it again changes nothing)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
    _callers.discard(api_key.key_hash)
    session.flush()


# Keys whose use this process wrote down within the last minute.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_noted_uses: TTLCache[int, bool] = TTLCache(
    ttl_seconds=LAST_USED_RESOLUTION.total_seconds(), max_entries=10_000
)


def note_key_use(session: Session, key_id: int) -> bool:
    """Record that the key was used now, unless this process did so within the
    last minute; the WHERE also skips the write when another process did. Flushes
    only; True if a write was attempted (the caller commits it)."""
    if _noted_uses.get(key_id):
        return False
    _noted_uses.put(key_id, True)
    now = utcnow()
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
    )
    return True


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
