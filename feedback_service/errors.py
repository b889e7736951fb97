"""One JSON error shape for every 4xx and 5xx (DESIGN.md section 7).

``{"error": {"status": 422, "code": "validation_error", "message": "...",
"fields": {"ticket.id": ["Missing data."]}}}``

Features raise ``FeedbackError`` subclasses; this module is the one place that
turns them, and every HTTP exception, into that shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class FeedbackError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


class ValidationError(FeedbackError):
    status = 422
    code = "validation_error"


class NotFound(FeedbackError):
    status = 404
    code = "not_found"


class Conflict(FeedbackError):
    status = 409
    code = "conflict"


class Gone(FeedbackError):
    status = 410
    code = "gone"


class Unauthorized(FeedbackError):
    status = 401
    code = "unauthorized"


class Forbidden(FeedbackError):
    status = 403
    code = "forbidden"


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"ticket": {"id": ["Missing data."]}}`` -> ``{"ticket.id": ["Missing data."]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, Mapping):
                flat.update(flatten_messages(value, name))
            elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                for item in value:
                    flat.update(flatten_messages(item, name))
            elif isinstance(value, list):
                flat[name] = [str(v) for v in value]
            else:
                flat[name] = [str(value)]
    elif isinstance(messages, list):
        flat[prefix or "_schema"] = [str(m) for m in messages]
    return flat


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = dict(fields)
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def http_error_response(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields: dict[str, list[str]] = {}
    message = error.description or error.name
    if "messages" in data:
        # webargs: {"json": {...}} or {"query": {...}}; the location is noise to callers.
        messages = data["messages"]
        if isinstance(messages, Mapping) and len(messages) == 1:
            messages = next(iter(messages.values()))
        fields = flatten_messages(messages)
        message = "The request has invalid fields: " + ", ".join(sorted(fields))
    elif "message" in data:
        message = str(data["message"])
    headers = dict(data.get("headers") or {})
    # RFC 9110: a 405 names the methods the resource has.
    allow = next((value for name, value in error.get_headers() if name == "Allow"), None)
    if allow:
        headers["Allow"] = allow
    if status == 429 and error.response is not None:
        retry = error.response.headers.get("Retry-After")
        if retry:
            headers["Retry-After"] = retry
    return error_response(status, _CODES.get(status, "error"), message, fields, headers)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(FeedbackError)
    def _feedback_error(error: FeedbackError) -> Response:
        return error_response(error.status, error.code, error.message, error.fields, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if not wants_json() and error.code not in (422,):
            return error
        return http_error_response(error)

    app.register_error_handler(Exception, unexpected_error_response)


def unexpected_error_response(error: Exception) -> Any:
    log.exception("unhandled error on %s %s", request.method, request.path)
    if not wants_json():
        return InternalServerError()
    return error_response(500, "internal_error", "Something went wrong on our side.")
