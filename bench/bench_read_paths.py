"""The reports' two read paths side by side at one million answers (issue 18, item 2).

On PostgreSQL, triggers keep the ticket and invitation rollups and each answer's
ticket factors (``feedback_service/scores/trigger_rollups.py``); the reports read
those. SQLite has no such triggers, so there the same figures are computed from
the tickets, the invitations and a join: the general path. Issue 18 asks for one
read path where that costs less than 10% at 1 M answers. This bench serves the
same report requests from the same PostgreSQL database with the fast path on and
switched off (``REPORTS_FROM_TRIGGER_ROLLUPS``), alternating, and prints the
median wall time of each and their ratio.

    .venv/bin/python -m bench.bench_reports --keep      # loads bench_reports_kept once
    .venv/bin/python -m bench.bench_read_paths [--repeat 5]

Needs the database ``bench_reports --keep`` leaves (or ``--reuse URL``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench.harness import PG_SERVER, key_headers
from feedback_service.cli import upgrade_database

KEPT = f"{PG_SERVER}/bench_reports_kept"

MONTH = "from=2026-10-21&to=2026-11-20"
CASES = [
    ("summary, whole year", "/api/v1/reports/summary"),
    ("summary, 1 month", f"/api/v1/reports/summary?{MONTH}"),
    ("summary, 1 month, 1 team", f"/api/v1/reports/summary?{MONTH}&team=team-2"),
    ("one agent, whole year", "/api/v1/reports/agents/agent-0"),
    ("trends operations weekly, whole year", "/api/v1/reports/trends?metric=operations"),
    ("drivers, 1 month", f"/api/v1/reports/drivers?{MONTH}"),
    ("drivers, 1 team, whole year", "/api/v1/reports/drivers?team=team-2"),
    ("drivers, channel chat, whole year", "/api/v1/reports/drivers?channel=chat"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", metavar="URL", default=KEPT)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    upgrade_database(args.reuse)

    from feedback_service import create_app

    app = create_app({"DATABASE_URL": args.reuse, "RATELIMIT_ENABLED": False, "TESTING": True})
    client, headers = app.test_client(), key_headers(app, "reports")

    def timed(path: str, fast: bool) -> tuple[float, Any]:
        app.config["REPORTS_FROM_TRIGGER_ROLLUPS"] = fast
        started = time.perf_counter()
        answer = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.data[:300]!r}")
        return elapsed, answer.json

    print(
        "| report | fast path (trigger rollups) median ms | one path (general) median ms "
        "| general / fast | same answer |\n|---|---:|---:|---:|---|"
    )
    for name, path in CASES:
        timed(path, True)
        timed(path, False)  # warm both
        fast: list[float] = []
        general: list[float] = []
        same = True
        for _ in range(args.repeat):
            a, fast_body = timed(path, True)
            b, general_body = timed(path, False)
            fast.append(a)
            general.append(b)
            same = same and _comparable(fast_body) == _comparable(general_body)
        f, g = statistics.median(fast), statistics.median(general)
        print(f"| {name} | {f:.0f} | {g:.0f} | {g / f:.2f} | {'yes' if same else '**no**'} |")


def _comparable(body: Any) -> Any:
    """The answer with floats rounded (the two paths sum in different orders)."""
    if isinstance(body, dict):
        return {k: _comparable(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_comparable(v) for v in body]
    if isinstance(body, float):
        return round(body, 9)
    return body


if __name__ == "__main__":
    main()
