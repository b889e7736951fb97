"""Schemathesis over every operation of the app's own OpenAPI document.

Every operation in the document is tested (none is listed here: an endpoint added
later is fuzzed too), in-process, with a real API key of the scope the operation
declares, with valid and with invalid data. Each answer must be no server error,
of a status and content type the document lists, and match the documented schema,
errors included; invalid data must be refused. The long run, with every check
schemathesis has (valid requests refused too), is bench/fuzz_api.py
(bench/README-fuzz.md).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from celery import Task
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from tests.fuzzing import load_schema, make_keys

# Per operation and mode (valid, invalid): 39 operations in about a minute.
MAX_EXAMPLES = 8
# NUL is not valid data here (limits.py rejects it, tests/api/test_request_limits.py).
SETTINGS = {"seed": 15, "generation": {"allow-x00": False}, "cache": {"enabled": False}}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def fuzz(operation: Any, mode: GenerationMode, app: Flask, seen: Counter[int]) -> None:
    """``MAX_EXAMPLES`` cases of one operation; raises what schemathesis found."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        with app.app_context():  # each call its own session, as in production
            response = case.call(app=app)
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    call()


def test_every_operation_answers_as_documented(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jobs (training, re-scoring, pattern runs, emails) are recorded, not run: what is
    # fuzzed is the HTTP layer, and a training per generated case would take hours.
    queued: Counter[str] = Counter()

    def record(task: Task, *args: Any, **kwargs: Any) -> None:
        queued[task.name] += 1

    monkeypatch.setattr(Task, "apply_async", record)
    schema = load_schema(app, make_keys(db_session), schemathesis.Config.from_dict(SETTINGS))
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    statuses: dict[str, Counter[int]] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            seen = statuses[f"{operation.label} ({mode.value})"] = Counter()
            try:
                fuzz(operation, mode, app, seen)
            except Unsatisfiable:
                pass  # no invalid value exists (a path segment that takes any string)
            except (Exception, BaseExceptionGroup) as exc:  # every operation, not the first
                failures.append(f"{operation.label} ({mode.value}): {exc}")

    assert len(operations) >= 39
    assert not failures, "\n\n".join(failures)
    # The keys worked: no valid request was refused for want of a key or a scope
    # (invalid ones include a missing or mangled key, and are refused).
    refused = {label: seen for label, seen in statuses.items() if seen[401] or seen[403]}
    assert refused and all(label.endswith("(negative)") for label in refused)
    assert queued  # and the operations that queue jobs got that far
