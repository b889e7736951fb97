"""Schemathesis against the app's own OpenAPI document, shared by the suite's fuzz test
(tests/api/test_fuzz.py) and the longer run in bench/fuzz_api.py.

Every operation is called with a real API key of the scope the document says it
needs (``x-required-scope``); public operations (``security: []``) get no key.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from sqlalchemy.orm import Session

from feedback_service.auth.models import SCOPES
from feedback_service.auth.service import create_api_key

OPENAPI_PATH = "/api/openapi.json"


def make_keys(session: Session) -> dict[str, str]:
    """One key per scope, committed: ``{"ingest": "fbk_...", ...}``."""
    keys = {scope: create_api_key(session, f"fuzz-{scope}", [scope])[1] for scope in SCOPES}
    session.commit()
    return keys


def load_schema(app: Flask, keys: dict[str, str], config: Any = None) -> Any:
    """The app's document, loaded in-process, with each operation's key attached."""
    return with_keys(schemathesis.openapi.from_wsgi(OPENAPI_PATH, app, config=config), keys)


def with_keys(schema: Any, keys: dict[str, str]) -> Any:
    """Each operation called with the key of the scope it declares (none if public)."""

    @schema.auth(refresh_interval=None)
    class ScopedKey:
        def get(self, case: Any, ctx: Any) -> str | None:
            scope = case.operation.definition.raw.get("x-required-scope")
            return keys[scope] if scope else None

        def set(self, case: Any, data: str | None, ctx: Any) -> None:
            if data is not None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema
