"""API keys for machines, dashboard users for people: storage, checks, throttles."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The sign-in counters' store, the per-key rate limiter and the keys API."""
    from feedback_service.api import api
    from feedback_service.auth import ratelimit
    from feedback_service.auth.counters import make_store
    from feedback_service.auth.routes import keys_blp

    app.extensions["auth_counters"] = make_store(app.config.get("REDIS_URL", ""))
    ratelimit.init_app(app)
    api.register_blueprint(keys_blp)
