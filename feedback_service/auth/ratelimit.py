"""Per-key rate limits on the API: 429 with ``Retry-After`` past the limit.

Each API key has its own count per scope of the endpoints it calls: an
``ingest`` call counts against ``RATELIMIT_KEY_INGEST``, a report against
``RATELIMIT_KEY_REPORTS``, an admin call against ``RATELIMIT_KEY_ADMIN``
(``limits`` notation, e.g. ``600/minute``; an empty value means no limit for that
scope). One key running hot never slows another key down.

Counted with the ``limits`` library (what Flask-Limiter uses for the public
endpoints) in ``RATELIMIT_STORAGE_URI``: Redis when configured, so every web
process shares one count; otherwise in each process's memory (the embedded
default; with N gunicorn workers a key may then make up to N times the limit).
``RATELIMIT_ENABLED=false`` turns it off. A broken store lets requests through
rather than taking the API down.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from feedback_service.auth.models import SCOPES
from feedback_service.errors import FeedbackError

log = logging.getLogger(__name__)

DEFAULT_LIMITS = {"ingest": "1200/minute", "reports": "300/minute", "admin": "300/minute"}


class KeyRateLimited(FeedbackError):
    status = 429
    code = "rate_limited"


class KeyRateLimiter:
    def __init__(self, storage: Storage, limits_by_scope: dict[str, RateLimitItem]) -> None:
        self.storage = storage
        self.strategy = SlidingWindowCounterRateLimiter(storage)
        self.limits = limits_by_scope

    def check(self, key_id: int, scope: str) -> None:
        """Count one call of the key to an endpoint of ``scope``; raise past the limit."""
        item = self.limits.get(scope)
        if item is None:
            return
        try:
            if self.strategy.hit(item, "api-key", str(key_id), scope):
                return
            reset_at = self.strategy.get_window_stats(item, "api-key", str(key_id), scope)[0]
        except Exception:
            log.exception("rate-limit store failed; letting the request through")
            return
        retry_after = max(math.ceil(reset_at - time.time()), 1)
        raise KeyRateLimited(
            f"This API key made more than {item} '{scope}' calls; retry after {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def init_app(app: Flask) -> None:
    limits_by_scope: dict[str, RateLimitItem] = {}
    for scope in SCOPES:
        name = f"RATELIMIT_KEY_{scope.upper()}"
        value = app.config.setdefault(name, DEFAULT_LIMITS[scope])
        if value:
            limits_by_scope[scope] = parse(value)
    if app.config.get("RATELIMIT_ENABLED", True):
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        assert isinstance(storage, Storage)  # the synchronous kind, for a sync app
        app.extensions["key_rate_limiter"] = KeyRateLimiter(storage, limits_by_scope)


def check_key_rate(key_id: int, scope: str) -> None:
    limiter: KeyRateLimiter | None = current_app.extensions.get("key_rate_limiter")
    if limiter is not None:
        limiter.check(key_id, scope)
