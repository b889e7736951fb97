"""Schemathesis against the app's own OpenAPI document, shared by the suite's fuzz test
(tests/api/test_fuzz.py) and the longer run in bench/fuzz_api.py.

Every operation is called with a real API key of the scope the document says it
needs (``x-required-scope``); public operations (``security: []``) get no key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.auth.models import SCOPES, ApiKey
from feedback_service.auth.service import create_api_key, hash_key
from feedback_service.db import get_session

OPENAPI_PATH = "/api/openapi.json"


def make_keys(session: Session) -> dict[str, str]:
    """One key per scope, committed: ``{"ingest": "fbk_...", ...}``."""
    keys = {scope: create_api_key(session, f"fuzz-{scope}", [scope])[1] for scope in SCOPES}
    session.commit()
    return keys


class KeyRing:
    """The fuzzer's keys, one per scope, replaced when the fuzzer itself revoked or
    rotated one: ``POST /api/v1/keys/{id}/revoke`` with a small generated id hits
    the fuzzer's own keys, and every later case would then only test the 401."""

    def __init__(self, app: Flask, keys: dict[str, str]) -> None:
        self.app = app
        self.keys = dict(keys)

    def __call__(self, scope: str) -> str:
        key = self.keys[scope]
        with self.app.app_context():
            session = get_session()
            live = session.scalar(
                select(ApiKey.id).where(
                    ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None)
                )
            )
            if live is None:
                key = self.keys[scope] = create_api_key(session, f"fuzz-{scope}", [scope])[1]
            session.commit()
        return key


def load_schema(app: Flask, keys: dict[str, str], config: Any = None) -> Any:
    """The app's document, loaded in-process, with each operation's key attached."""
    schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, app, config=config)
    return with_keys(schema, KeyRing(app, keys))


def with_keys(schema: Any, key_for: Callable[[str], str]) -> Any:
    """Each operation called with the key of the scope it declares (none if public)."""

    @schema.auth(refresh_interval=None)
    class ScopedKey:
        def get(self, case: Any, ctx: Any) -> str | None:
            scope = case.operation.definition.raw.get("x-required-scope")
            return key_for(scope) if scope else None

        def set(self, case: Any, data: str | None, ctx: Any) -> None:
            if data is not None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema
