"""Bounds on every request, in one place (DESIGN.md section 6, issue 15 item 5).

- Body size: ``MAX_CONTENT_LENGTH`` (Flask's setting; 1 MiB by default) -> 413;
  a view that takes files declares its own limit with ``@body_limit``.
- Text the database cannot store: a NUL character or an unpaired surrogate in any
  string of the request (JSON keys and values at any depth, query arguments, form
  fields, path segments, headers) -> 422 naming the field. Rejected, never
  stripped: what is stored is what was sent.
- JSON nested deeper than ``MAX_JSON_DEPTH`` -> 400.
- ``<int:...>`` in a route is a database id: 0 to 2^31 - 1, else no such
  resource (404), and the OpenAPI document says so.
- Page numbers (``page_number()``): 1 to 100,000 -> 422 beyond; page sizes
  (``page_size()``): 1 to 500.
- Report date ranges (``DateRange``, the base of every query schema with
  ``from``/``to``): dates from 1970 to 2100, at most ``MAX_REPORT_DAYS`` (5 years)
  from ``from`` to ``to`` (today when not given) -> 422 naming the field.
- Every web request's SQL statements are cancelled after
  ``REQUEST_STATEMENT_TIMEOUT_MS`` (PostgreSQL ``statement_timeout``, below
  gunicorn's 30 s worker timeout; nothing on SQLite) -> 503 in the error shape.
  Workers and CLI commands are not bounded by it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, has_request_context, request
from flask_smorest.spec.plugins import integerconverter2paramschema
from marshmallow import RAISE, Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.routing import IntegerConverter, Map, ValidationError

from feedback_service import errors
from feedback_service.errors import (
    FeedbackError,
    error_response,
    unexpected_error_response,
    wants_json,
)

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

MAX_JSON_DEPTH = 32
DATABASE_ID_MAX = 2**31 - 1  # PostgreSQL integer
_JSON_TYPES = ("application/json", "application/merge-patch+json")


class DatabaseIdConverter(IntegerConverter):
    """``<int:id>``: a non-negative id the database's integer column can hold."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = DATABASE_ID_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(DATABASE_ID_MAX)):
            raise ValidationError()  # also spares int() a string of 10,000 digits
        return super().to_python(value)


EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
MAX_REPORT_DAYS = 5 * 365 + 1
_DATE_BOUNDS = validate.Range(
    min=EARLIEST_DATE, max=LATEST_DATE, error="Must be between {min} and {max}."
)


MAX_PAGE = 100_000


def page_number() -> fields.Integer:
    """``?page=``: 1 to ``MAX_PAGE`` (an offset the database can take)."""
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))


MAX_PER_PAGE = 500


def page_size() -> fields.Integer:
    """``?per_page=``: 1 to ``MAX_PER_PAGE``, 50 when not given."""
    return fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageOut(Schema):
    """What every paged listing answers besides its ``items``: the page asked for,
    its size and the total over all pages."""

    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class DateRange(Schema):
    """``from``/``to`` (inclusive ISO dates) of a report or a listing, bounded."""

    from_ = fields.Date(
        data_key="from",
        attribute="from",
        load_default=None,
        validate=_DATE_BOUNDS,
        metadata={"description": f"{EARLIEST_DATE} to {LATEST_DATE}"},
    )
    to = fields.Date(
        load_default=None,
        validate=_DATE_BOUNDS,
        metadata={
            "description": f"{EARLIEST_DATE} to {LATEST_DATE}, at most "
            f"{MAX_REPORT_DAYS} days after `from`"
        },
    )

    @validates_schema
    def _at_most_five_years(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("from"), data.get("to")
        if start is None:
            return
        last = end if end is not None else dt.datetime.now(dt.UTC).date()
        if (last - start).days >= MAX_REPORT_DAYS:
            raise SchemaError(
                f"A range spans at most {MAX_REPORT_DAYS} days (5 years); from {start} to "
                f"{last} is {(last - start).days + 1}.",
                field_name="from",
            )


class ScopeFilters(DateRange):
    """A listing's or a report's range and the team and channel it is narrowed to,
    by the names every report shares (DESIGN.md section 7); an unknown name is a 422."""

    class Meta:
        unknown = RAISE

    team = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    channel = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


def body_limit(max_bytes: int) -> Callable[[F], F]:
    """A view that takes bodies larger than ``MAX_CONTENT_LENGTH`` (a file upload).
    Put it right under ``@blp.route``, like ``@requires_scope``."""

    def mark(fn: F) -> F:
        fn._max_content_length = max_bytes  # type: ignore[attr-defined]
        return fn

    return mark


def _apply_body_limit(app: Flask, endpoint: str | None) -> None:
    """``url_value_preprocessor``: runs before any ``before_request`` reads the body."""
    view = app.view_functions.get(endpoint) if endpoint else None
    limit = getattr(view, "_max_content_length", None)
    if limit is not None:
        request.max_content_length = limit


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "Contains a NUL character (\\u0000), which cannot be stored."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Contains an unpaired surrogate: not valid Unicode text."
    return None


def _walk_json(value: Any, path: str, depth: int, problems: dict[str, list[str]]) -> None:
    if depth > MAX_JSON_DEPTH:
        raise FeedbackError(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            problems.setdefault(path or "_body", []).append(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(key)
            if problem:
                problems.setdefault(path or "_body", []).append("A field name: " + problem)
                continue
            _walk_json(item, f"{path}.{key}" if path else key, depth + 1, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_json(item, f"{path}.{index}" if path else str(index), depth + 1, problems)


def _check_pairs(pairs: Iterable[tuple[str, Any]], problems: dict[str, list[str]]) -> None:
    for name, value in pairs:
        problem = _text_problem(name)
        if problem:
            problems.setdefault("_name", []).append("A parameter name: " + problem)
        elif isinstance(value, str) and (problem := _text_problem(value)):
            problems.setdefault(name, []).append(problem)


def check_request_text() -> None:
    """``before_request``: 422 for text the database cannot store, 400 for deep JSON."""
    problems: dict[str, list[str]] = {}
    _check_pairs((request.view_args or {}).items(), problems)
    _check_pairs(request.args.items(multi=True), problems)
    _check_pairs(request.headers.items(), problems)
    if request.mimetype in _JSON_TYPES or request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            raise FeedbackError(
                f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
            ) from None
        _walk_json(body, "", 0, problems)
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        _check_pairs(request.form.items(multi=True), problems)
    if problems:
        raise errors.ValidationError(
            "The request has text that cannot be stored: " + ", ".join(sorted(problems)),
            fields=problems,
        )


def _is_statement_timeout(error: BaseException) -> bool:
    try:
        from psycopg.errors import QueryCanceled
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(error, QueryCanceled) or isinstance(
        getattr(error, "orig", None), QueryCanceled
    )


def _statement_timeout_response(error: Exception) -> Any:
    if not _is_statement_timeout(error):
        return unexpected_error_response(error)
    log.warning("statement timeout on %s %s", request.method, request.path)
    if not wants_json():
        return ServiceUnavailable()
    return error_response(
        503,
        "timeout",
        "The request took too long and was stopped. Narrow it (a shorter date range, "
        "fewer filters) or try again later.",
        headers={"Retry-After": "30"},
    )


def bound_statements(engine: Any, timeout_ms: int) -> None:
    """PostgreSQL ``statement_timeout`` on connections used by web requests.

    Set when a request checks a connection out and reset when a worker or a command
    does, each time only if the connection's setting has to change (kept in the
    pool record), so a web process pays for it once per connection.
    """
    if engine.dialect.name != "postgresql" or timeout_ms <= 0:
        return

    @event.listens_for(engine, "checkout")
    def _set_timeout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        wanted = timeout_ms if has_request_context() else None
        if record.info.get("statement_timeout") == wanted:
            return
        with dbapi_connection.cursor() as cursor:
            if wanted is None:
                cursor.execute("RESET statement_timeout")
            else:
                cursor.execute(f"SET statement_timeout = {int(wanted)}")
        dbapi_connection.commit()
        record.info["statement_timeout"] = wanted


def init_app(app: Flask) -> None:
    """Before any blueprint is registered (the ``int`` converter binds at registration)."""
    from feedback_service.api import api

    app.url_map.converters["int"] = DatabaseIdConverter
    api.register_converter(DatabaseIdConverter, integerconverter2paramschema)
    app.url_value_preprocessor(lambda endpoint, _values: _apply_body_limit(app, endpoint))
    app.before_request(check_request_text)
    app.register_error_handler(OperationalError, _statement_timeout_response)
    try:
        from psycopg.errors import QueryCanceled
    except ImportError:  # pragma: no cover
        pass
    else:
        app.register_error_handler(QueryCanceled, _statement_timeout_response)
    bound_statements(app.extensions["db"].engine, int(app.config["REQUEST_STATEMENT_TIMEOUT_MS"]))
