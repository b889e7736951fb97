"""The HTTP API's shared plumbing: flask-smorest, authentication, scopes.

Every view under ``/api/v1`` requires an API key with the ``admin`` scope unless it
declares another scope with ``@requires_scope`` or opts out with ``@public`` (the
customer-facing survey endpoints, which authenticate by invitation token). The
default is the strictest, so a forgotten decorator fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from flask import Flask, current_app, g, request
from marshmallow import RAISE, Schema
from werkzeug.exceptions import HTTPException

from feedback_service.auth.ratelimit import check_key_rate
from feedback_service.auth.service import authenticate, note_key_use, verify_signature
from feedback_service.db import get_session
from feedback_service.errors import http_error_response
from feedback_service.openapi import ErrorOut, ServicePlugin

F = TypeVar("F", bound=Callable[..., Any])


class Api(flask_smorest.Api):
    # The OpenAPI document describes the service's error shape, not flask-smorest's.
    ERROR_SCHEMA = ErrorOut

    def handle_http_exception(self, error: HTTPException) -> Any:
        return http_error_response(error)


api = Api()


def api_blueprint(
    name: str, import_name: str, description: str, under: str = "", **options: Any
) -> flask_smorest.Blueprint:
    """A blueprint of the JSON API, under ``/api/v1`` (and ``under`` below it);
    ``description`` names its tag in the OpenAPI document."""
    return flask_smorest.Blueprint(
        name, import_name, url_prefix="/api/v1" + under, description=description, **options
    )


def requires_scope(scope: str) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        fn._required_scope = scope  # type: ignore[attr-defined]
        return fn

    return mark


def report_endpoint(
    blp: flask_smorest.Blueprint, path: str, query: type[Schema], out: type[Schema]
) -> Callable[[F], F]:
    """A report: ``GET path`` for keys with scope ``reports``, its filters read from
    the query string (an unknown one is a 422), the report serialised with ``out``."""

    def wrap(fn: F) -> F:
        fn = blp.response(200, out)(fn)
        fn = blp.arguments(query, location="query", unknown=RAISE)(fn)
        fn = requires_scope("reports")(fn)
        return blp.route(path, methods=["GET"])(fn)  # type: ignore[no-any-return]

    return wrap


def public(fn: F) -> F:
    fn._public = True  # type: ignore[attr-defined]
    return fn


def _authenticate_api_request() -> None:
    if not request.path.startswith("/api/v1") or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "_public", False) or request.method == "OPTIONS":
        return
    scope = getattr(view, "_required_scope", "admin")
    session = get_session()
    caller = authenticate(session, request.headers.get("Authorization"), scope)
    check_key_rate(caller.key_id, scope)
    if caller.signing_secret:
        verify_signature(
            caller.signing_secret,
            request.get_data(cache=True),
            request.headers.get("X-Signature"),
            request.headers.get("X-Timestamp"),
            current_app.config["SIGNATURE_MAX_AGE"],
        )
    if note_key_use(session, caller.key_id):
        # Nothing else is in the session yet: this commits the last-used time only.
        session.commit()
    g.caller = caller


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "feedback-service")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "/docs")
    # Swagger UI is served from the swagger-ui-bundle package: nothing from a CDN.
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", "/api/docs/static/")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                }
            },
            "security": [{"bearerAuth": []}],
        },
    )
    api.init_app(
        app,
        spec_kwargs={"extra_plugins": [ServicePlugin(app, api.DEFAULT_ERROR_RESPONSE_NAME)]},
    )
    app.before_request(_authenticate_api_request)

    import swagger_ui_bundle
    from flask import send_from_directory

    static_dir = swagger_ui_bundle.swagger_ui_path

    @app.route("/api/docs/static/<path:filename>")
    def swagger_static(filename: str) -> Any:
        return send_from_directory(static_dir, filename)
