"""POST /api/v1/responses under gunicorn on PostgreSQL, next to the one-INSERT floor.

Two measurements, both against 127.0.0.1 only and bounded in time:
1. Throughput: wrk, closed loop (``--connections`` at once), floor then service.
2. Latency at a fixed rate (200 requests a second by default): an open-loop
   Python load generator that sends each request at its scheduled time and
   measures from that time, so a slow server cannot hide its queueing
   (no coordinated omission).

Every request answers a fresh invitation (a new response: the INSERT path); the
invitations are seeded in bulk beforehand.

Run:  .venv/bin/python -m bench.bench_responses [--seconds 15] [--rounds 3] [--connections 16]
      [--compare-ref REF]   (the previous code too, e.g. 7e894a7, from a temporary git worktree)

The floor and the service are served side by side with the same gunicorn
settings; the throughput runs alternate between them in rounds, so a busy spell
on the shared machine falls on both alike.
Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 (the broker the
after-commit enqueue publishes to) and wrk (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import redis
from sqlalchemy import create_engine, text

from bench.floor_app import create_table
from bench.harness import (
    TABLE_HEADER,
    LoadResult,
    combined,
    commit_of,
    gunicorn,
    machine_note,
    reference_checkout,
    request_bench_args,
    scratch_database,
    served_env,
    served_with,
    wrk,
)

ANSWER = {"answers": {"csat": 4, "ces": 6, "fcr": True}, "comment": "Quick and friendly, thanks."}

RESPONSE_LUA = r"""
local made = 0
function setup(thread)
  thread:set("id", made)
  made = made + 1
end
function init(args)
  tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
  counter = tonumber(os.getenv("BENCH_OFFSET")) + id
end
function request()
  local token = tokens[(counter % #tokens) + 1]
  counter = counter + 2  -- wrk -t 2: the threads take alternate tokens
  local body = '{"token": "' .. token .. '", "answers": {"csat": 4, "ces": 6, "fcr": true},' ..
    ' "comment": "Quick and friendly, thanks."}'
  return wrk.format("POST", "/api/v1/responses", {["Content-Type"] = "application/json"}, body)
end
"""

FLOOR_LUA = r"""
request = function()
  local body = '{"token": "x", "answers": {"csat": 4, "ces": 6, "fcr": true},' ..
    ' "comment": "Quick and friendly, thanks."}'
  return wrk.format("POST", "/floor", {["Content-Type"] = "application/json"}, body)
end
"""


SEED = [
    "INSERT INTO teams (external_id, name, created_at) VALUES ('Tier 1', 'Tier 1', now())",
    """INSERT INTO agents (external_id, name, team_id, created_at, updated_at)
       SELECT 'agent-' || g, 'Agent ' || g, (SELECT id FROM teams), now(), now()
       FROM generate_series(1, 50) g""",
    """INSERT INTO customers (external_id, email, created_at, updated_at)
       VALUES ('bench-customer', 'c@example.com', now(), now())""",
    """INSERT INTO tickets (source, external_id, channel, tags, agent_id, team_id,
                           customer_id, created_at, updated_at)
       SELECT 'api', 'BT-' || g, 'email', '[]', (SELECT min(id) FROM agents) + g % 50,
              (SELECT id FROM teams), (SELECT id FROM customers), now(), now()
       FROM generate_series(1, :count) g""",
    """INSERT INTO invitations (token, survey_id, ticket_id, customer_id, agent_id,
                               team_id, channel, locale, delivery, status, send_at,
                               sent_at, expires_at, attempts, created_at, updated_at)
       SELECT 'bench-' || lpad(t.id::text, 24, '0'),
              (SELECT id FROM surveys WHERE key = 'post-ticket'), t.id,
              t.customer_id, t.agent_id, t.team_id, t.channel, 'en', 'link', 'sent',
              now(), now(), now() + interval '14 days', 0, now(), now()
       FROM tickets t""",
]


def seed_invitations(database_url: str, count: int) -> list[str]:
    """``count`` sent invitations of the post-ticket survey, one ticket each."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for statement in SEED:
            conn.execute(text(statement), {"count": count})
        tokens = list(conn.execute(text("SELECT token FROM invitations ORDER BY id")).scalars())
    engine.dispose()
    return tokens


def fixed_rate(
    name: str, url: str, path: str, bodies: list[bytes], rate: float, workers: int = 32
) -> tuple[LoadResult, list[float], float]:
    """Send ``bodies`` at ``rate`` per second, open loop; latency from schedule.

    Returns the result, every latency (seconds) and the time taken."""
    target = urlparse(url)
    jobs: queue.Queue[tuple[int, float] | None] = queue.Queue()
    start = time.perf_counter() + 0.5
    for i in range(len(bodies)):
        jobs.put((i, start + i / rate))
    for _ in range(workers):
        jobs.put(None)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def work() -> None:
        conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=10)
        while (job := jobs.get()) is not None:
            index, scheduled = job
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                conn.request(
                    "POST", path, body=bodies[index], headers={"Content-Type": "application/json"}
                )
                answer = conn.getresponse()
                answer.read()
                ok = 200 <= answer.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(
                    target.hostname or "127.0.0.1", target.port, timeout=10
                )
                ok = False
            elapsed = time.perf_counter() - scheduled
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    result = LoadResult(name, len(bodies) / took, pct(0.50), pct(0.99), len(bodies), errors[0])
    return result, latencies, took


def fixed_rate_rounds(
    runs: list[tuple[str, str, str, list[bytes]]], rate: float, rounds: int
) -> list[LoadResult]:
    """``fixed_rate`` for each (name, url, path, bodies) in turn, its bodies split
    over ``rounds`` alternating parts (a busy spell falls on every endpoint
    alike); one result per endpoint over all its parts."""
    parts: list[list[tuple[LoadResult, list[float], float]]] = [[] for _ in runs]
    for round_ in range(rounds):
        for i, (name, url, path, bodies) in enumerate(runs):
            size = len(bodies) // rounds
            chunk = bodies[round_ * size : (round_ + 1) * size]
            parts[i].append(fixed_rate(name, url, path, chunk, rate))
    results = []
    for (name, _url, _path, _bodies), done in zip(runs, parts, strict=True):
        latencies = sorted(x for _r, lat, _t in done for x in lat)

        def pct(p: float, latencies: list[float] = latencies) -> float:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

        results.append(
            LoadResult(
                name,
                len(latencies) / sum(t for _r, _l, t in done),
                pct(0.50),
                pct(0.99),
                len(latencies),
                sum(r.errors for r, _l, _t in done),
            )
        )
    return results


def parse_args() -> argparse.Namespace:
    parser = request_bench_args(__doc__)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--rate-seconds", type=int, default=20, help="per endpoint")
    parser.add_argument("--rate-rounds", type=int, default=2)
    return parser.parse_args()


@dataclass
class Endpoint:
    name: str
    url: str
    path: str
    script: Path
    bodies: list[bytes]  # for the fixed-rate phase
    runs: list[LoadResult] = field(default_factory=list)


def throughput_rounds(endpoints: list[Endpoint], args: argparse.Namespace) -> None:
    """wrk on each endpoint in turn, ``args.rounds`` times. Every service run starts
    past the tokens earlier runs answered (all services share the invitations)."""
    per_run = max(1, args.seconds // args.rounds)
    offset = 0
    for endpoint in endpoints:
        os.environ["BENCH_OFFSET"] = str(offset)
        warm = wrk(
            "warm-up", endpoint.url, endpoint.script, seconds=3, connections=args.connections
        )
        offset += warm.requests + 100
    for round_ in range(args.rounds):
        for endpoint in endpoints:
            os.environ["BENCH_OFFSET"] = str(offset)
            result = wrk(
                f"{endpoint.name} (round {round_ + 1})",
                endpoint.url,
                endpoint.script,
                seconds=per_run,
                connections=args.connections,
            )
            endpoint.runs.append(result)
            offset += result.requests + 100


def measure(
    args: argparse.Namespace, env: dict[str, str], tmp: Path, rate_tokens: list[str]
) -> tuple[list[Endpoint], list[LoadResult]]:
    """Floor, service and (``--compare-ref``) the reference served side by side with
    the same gunicorn settings: throughput rounds, then the fixed-rate rounds."""
    served = (args.workers, args.worker_class, args.threads)
    fixed_count = int(args.rate * args.rate_seconds)
    floor_body = json.dumps({"token": "x", **ANSWER}).encode()
    with contextlib.ExitStack() as stack:
        urls = [
            stack.enter_context(gunicorn("bench.floor_app:app", env, *served)),
            stack.enter_context(gunicorn("feedback_service:create_app()", env, *served)),
        ]
        names = ["one-INSERT floor", "POST /api/v1/responses"]
        if args.compare_ref:
            ref_root = stack.enter_context(reference_checkout(args.compare_ref))
            urls.append(
                stack.enter_context(
                    gunicorn("feedback_service:create_app()", env, *served, root=ref_root)
                )
            )
            names.append(f"POST /api/v1/responses ({args.compare_ref})")
        endpoints = [
            Endpoint(names[0], urls[0], "/floor", tmp / "floor.lua", [floor_body] * fixed_count)
        ]
        for i, (name, url) in enumerate(zip(names[1:], urls[1:], strict=True)):
            tokens = rate_tokens[i * fixed_count : (i + 1) * fixed_count]
            bodies = [json.dumps({"token": t, **ANSWER}).encode() for t in tokens]
            endpoints.append(Endpoint(name, url, "/api/v1/responses", tmp / "response.lua", bodies))
        throughput_rounds(endpoints, args)
        fixed = fixed_rate_rounds(
            [(f"{e.name} @ {args.rate:.0f}/s", e.url, e.path, e.bodies) for e in endpoints],
            args.rate,
            args.rate_rounds,
        )
    return endpoints, fixed


def report(args: argparse.Namespace, endpoints: list[Endpoint], fixed: list[LoadResult]) -> None:
    served = (args.workers, args.worker_class, args.threads)
    reference = (
        f"; reference: {args.compare_ref} = {commit_of(args.compare_ref)}"
        if args.compare_ref
        else ""
    )
    print(
        f"\nThroughput: wrk, {args.seconds}s per endpoint in {args.rounds} alternating rounds, "
        f"{args.connections} connections, {served_with(*served)}, "
        f"PostgreSQL, Redis broker{reference}\n"
    )
    print(TABLE_HEADER)
    for parts in zip(*(e.runs for e in endpoints), strict=True):
        for result in parts:
            print(result.row())
    totals = [combined(f"**all rounds**: {e.name}", e.runs) for e in endpoints]
    for total in totals:
        print(total.row())
    print()
    floor = endpoints[0]
    for endpoint, total in zip(endpoints[1:], totals[1:], strict=True):
        ratios = [
            s.requests_per_second / f.requests_per_second
            for f, s in zip(floor.runs, endpoint.runs, strict=True)
        ]
        overall = total.requests_per_second / totals[0].requests_per_second
        print(
            f"throughput ratio {endpoint.name} / floor: {overall:.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
    if len(totals) == 3 and totals[2].requests_per_second:
        print(
            f"this code / {args.compare_ref}: "
            f"{totals[1].requests_per_second / totals[2].requests_per_second:.2f}"
        )
    print(
        f"\nFixed rate: open loop, {args.rate_seconds}s per endpoint in {args.rate_rounds} "
        "alternating rounds, latency from each request's schedule\n"
    )
    print(TABLE_HEADER)
    for result in fixed:
        print(result.row())


def main() -> None:
    args = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-responses-"))
    (tmp / "response.lua").write_text(RESPONSE_LUA)
    (tmp / "floor.lua").write_text(FLOOR_LUA)
    broker = "redis://127.0.0.1:6379/13"
    fixed_count = int(args.rate * args.rate_seconds)
    services = 2 if args.compare_ref else 1
    with scratch_database("fs_bench_responses") as database_url:
        create_table(database_url)
        # Enough fresh invitations for warm-up, the wrk runs and the fixed-rate runs.
        tokens = seed_invitations(database_url, 60_000 * services + fixed_count * services)
        wrk_tokens, rate_tokens = (
            tokens[: -fixed_count * services],
            tokens[-fixed_count * services :],
        )
        (tmp / "tokens.txt").write_text("\n".join(wrk_tokens) + "\n")
        # One client address sends everything here: the public limits (300/min per
        # IP) are off for the run.
        env = served_env(database_url, broker, tmp / "data")
        os.environ["BENCH_TOKENS"] = str(tmp / "tokens.txt")
        before = machine_note()
        endpoints, fixed = measure(args, env, tmp, rate_tokens)
        after = machine_note()
        engine = create_engine(database_url)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM responses")).scalar_one()
        engine.dispose()
        redis.Redis.from_url(broker).flushdb()
    report(args, endpoints, fixed)
    print(f"\nresponses stored: {stored:,} (every request a new one)")
    print(f"\nbefore: {before}\nafter: {after}")


if __name__ == "__main__":
    main()
