"""Rate limits on the public, token-authenticated endpoints: per client IP and
per invitation token, answering 429 with ``Retry-After``.

One Flask-Limiter per app (kept in ``app.extensions``), applied to the public
blueprints only, so API-key callers are not limited here. Storage comes from
RATELIMIT_STORAGE_URI (Redis in production, so every gunicorn worker shares the
counts); RATELIMIT_ENABLED=false turns it off. Behind a proxy, the deployment
must make ``request.remote_addr`` the client's address (werkzeug's ProxyFix).
"""

from __future__ import annotations

from flask import Blueprint, Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

DEFAULT_PER_IP = "300/minute"
DEFAULT_PER_TOKEN = "30/minute"  # noqa: S105 (a rate, not a secret)


def token_key() -> str:
    """The invitation token from the URL, or from a JSON body; the IP without one."""
    token = (request.view_args or {}).get("token")
    if not token and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            token = body["token"]
    return f"token:{token}" if token else f"ip:{get_remote_address()}"


def init_app(app: Flask, *blueprints: Blueprint) -> Limiter:
    per_ip = app.config.setdefault("RATELIMIT_PUBLIC_PER_IP", DEFAULT_PER_IP)
    per_token = app.config.setdefault("RATELIMIT_PUBLIC_PER_TOKEN", DEFAULT_PER_TOKEN)
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        headers_enabled=True,
        # A broken limit store must not take the survey down with it.
        swallow_errors=True,
    )
    for blueprint in blueprints:
        # Shared: one count per IP (and per token) across all public endpoints.
        limiter.shared_limit(per_ip, scope="public-ip", key_func=get_remote_address)(blueprint)
        limiter.shared_limit(per_token, scope="public-token", key_func=token_key)(blueprint)
    limiter.init_app(app)
    app.extensions["public_limiter"] = limiter
    return limiter
