"""Fuzz every operation of the API with schemathesis and count what it finds.

The long form of ``tests/api/test_fuzz.py``: every phase of schemathesis's engine
(examples, coverage, fuzzing, stateful), every check it has (server errors,
response schemas, status codes, content types, schema-violating requests
accepted, valid requests rejected, methods, auth...), against the app's own
OpenAPI document, served by gunicorn with this project's gunicorn.conf.py on
127.0.0.1 and a scratch PostgreSQL database (or SQLite with ``--sqlite``). Each
operation is called with a real API key of the scope it declares. Jobs are queued
on an embedded broker that no worker reads: what is fuzzed is the HTTP layer.
See bench/README-fuzz.md.

    .venv/bin/python bench/fuzz_api.py --max-examples 100 --seed 1
    .venv/bin/python bench/fuzz_api.py --sqlite
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA_DIR = tempfile.mkdtemp(prefix="fuzz-api-")
os.environ.setdefault("FEEDBACK_DATA_DIR", DATA_DIR)


@contextlib.contextmanager
def database(sqlite: bool) -> Iterator[str]:
    if sqlite:
        from feedback_service.cli import upgrade_database

        url = f"sqlite:///{DATA_DIR}/fuzz.sqlite3"
        upgrade_database(url)
        yield url
        return
    from bench.harness import scratch_database

    with scratch_database(f"fuzz_api_{uuid.uuid4().hex[:8]}") as url:
        yield url


# What "the document describes the answer" means: schema, status, content type, headers.
DOCUMENT_CHECKS = {
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
}


def _short(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100, help="per operation and phase")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--sqlite", action="store_true", help="the embedded SQLite default")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--details", default="fuzz-failures.txt", help="every failure, as curl")
    args = parser.parse_args()

    import schemathesis
    from schemathesis.engine import events, from_schema

    from bench.harness import gunicorn
    from feedback_service import create_app
    from feedback_service.db import get_session
    from tests.fuzzing import KeyRing, make_keys, with_keys

    env = {
        "FEEDBACK_DATA_DIR": DATA_DIR,
        "BROKER_URL": f"sqla+sqlite:///{DATA_DIR}/broker.sqlite3",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "outbox",
        "RATELIMIT_ENABLED": "0",
        "ACCESS_LOG": "",
    }
    with database(args.sqlite) as url:
        env["DATABASE_URL"] = url
        app = create_app({"DATABASE_URL": url, "BROKER_URL": env["BROKER_URL"]})
        with app.app_context():
            keys = make_keys(get_session())
            # As a deployment has it after set-up: the seed comment model built and
            # promoted. (With none, re-scoring answers 409 model_not_ready.)
            from feedback_service.analysis.comments.analyzer import model_dir
            from feedback_service.analysis.text.build import build

            build(model_dir(), Path(__file__).resolve().parents[1] / "var" / "build")
        settings: dict[str, Any] = {
            # NUL bytes stay in: the API must refuse them with a 422, never a 500.
            "generation": {"max-examples": args.max_examples},
            # A slow answer on a loaded 2-core machine is not a failure of the API.
            "request-timeout": 60,
            "cache": {"enabled": False},
        }
        if args.seed is not None:
            settings["seed"] = args.seed
        with gunicorn("feedback_service:create_app()", env, workers=args.workers) as base:
            schema = with_keys(
                schemathesis.openapi.from_url(
                    f"{base}/api/openapi.json", config=schemathesis.Config.from_dict(settings)
                ),
                KeyRing(app, keys),
            )
            operations = len(list(schema.get_all_operations()))
            started = time.monotonic()
            cases: collections.Counter[str] = collections.Counter()
            statuses: collections.Counter[int] = collections.Counter()
            failures: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
            for event in from_schema(schema).execute():
                if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
                    recorder = event.recorder
                    cases[recorder.label] += len(recorder.cases)
                    for interaction in recorder.interactions.values():
                        if interaction.response is not None:
                            statuses[interaction.response.status_code] += 1
                    for case_id, checks in recorder.checks.items():
                        for check in checks:
                            if check.failure_info is None:
                                continue
                            failure = check.failure_info.failure
                            case = recorder.cases[case_id].value
                            answer = recorder.interactions.get(case_id)
                            got = ""
                            if answer is not None and answer.response is not None:
                                body = answer.response.content or b""
                                got = f"{answer.response.status_code} {body[:300]!r}"
                            failures[(recorder.label, f"{check.name}: {failure.title}")].append(
                                f"{_short(case.as_curl_command())}\n      -> {got}\n"
                                f"      {_short(failure.message.strip(), 300)}"
                            )
                elif isinstance(event, events.NonFatalError):
                    failures[(event.label, f"error: {event.info.title}")].append(event.info.message)
                elif isinstance(event, events.FatalError):
                    print("fatal:", event.exception, file=sys.stderr)
                    return 2
            elapsed = time.monotonic() - started
            # Reported before gunicorn stops: a worker stuck in a request must not
            # take the figures with it.
            return report(operations, cases, statuses, failures, elapsed, args.details)
    return 2


def report(
    operations: int,
    cases: collections.Counter[str],
    statuses: collections.Counter[int],
    failures: dict[tuple[str, str], list[str]],
    elapsed: float,
    details: str,
) -> int:
    total = sum(cases.values())
    server_errors = sum(n for code, n in statuses.items() if code >= 500)
    tested = len([label for label in cases if label != "Stateful tests"])
    print(f"operations: {tested} tested of {operations} in the document (+ stateful sequences)")
    print(f"cases: {total} in {elapsed:.0f} s")
    print("answers:", ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    print(f"server errors (5xx): {server_errors}")
    violations = sum(
        len(found)
        for (_label, kind), found in failures.items()
        if kind.split(":")[0] in DOCUMENT_CHECKS
    )
    print(f"schema violations (answers the document does not describe): {violations}")
    kinds = collections.Counter(kind for _label, kind in failures)
    print(f"failures: {sum(len(v) for v in failures.values())} in {len(failures)} distinct")
    for kind, n in kinds.most_common():
        print(f"  {kind}: {n} operation(s)")
    with open(details, "w") as out:
        for (label, kind), found in sorted(failures.items()):
            out.write(f"== {label}  {kind}  x{len(found)}\n")
            for example in found[:3]:
                out.write(f"    {example}\n")
    if failures:
        print(f"details: {details}")
    return 1 if violations or server_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
