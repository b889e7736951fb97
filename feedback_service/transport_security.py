"""HTTPS-only cookies and HSTS wherever the service is reached over https.

``PUBLIC_BASE_URL`` says where customers and managers reach the service. When it
is https, the dashboard's session cookie is ``Secure`` (never sent over plain
HTTP) and every answer carries ``Strict-Transport-Security`` (``HSTS_MAX_AGE``
seconds, one year by default; 0 leaves the header out), so a browser that has
been here once never tries plain HTTP again. TLS itself ends at the proxy.
"""

from __future__ import annotations

from flask import Flask, Response

DEFAULT_HSTS_MAX_AGE = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    if not str(app.config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        return
    app.config["SESSION_COOKIE_SECURE"] = True
    max_age = int(app.config.get("HSTS_MAX_AGE", DEFAULT_HSTS_MAX_AGE))
    if max_age <= 0:
        return
    value = f"max-age={max_age}"

    @app.after_request
    def _hsts(response: Response) -> Response:
        response.headers.setdefault("Strict-Transport-Security", value)
        return response
