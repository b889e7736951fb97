"""POST /api/v1/invitations under gunicorn on PostgreSQL, next to the one-INSERT floor.

Run:  .venv/bin/python -m bench.bench_invitations [--seconds 15] [--rounds 3] [--connections 16]
      [--cpu]   (then also: where the CPU goes per request, and GET /healthz of both)
      [--compare-ref REF]   (the previous code too, e.g. 7e894a7, from a temporary git worktree)

The floor and the service are served side by side with the same gunicorn
settings and measured in alternating rounds, so a busy spell on the shared
machine falls on both alike; the ratio is over all rounds.
Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 (the broker the
after-commit enqueue publishes to) and wrk (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path

import redis

from bench.floor_app import create_table
from bench.harness import (
    TABLE_HEADER,
    LoadResult,
    alternate,
    combined,
    commit_of,
    cpu_per_request,
    gunicorn,
    machine_note,
    reference_checkout,
    request_bench_args,
    scratch_database,
    served_env,
    served_with,
    wrk,
)

# Every request a new ticket and customer: ids made of the wrk run (BENCH_RUN, new
# for every wrk started), the wrk thread and a counter.
INVITATION_LUA = r"""
local made = 0
setup = function(thread)
  made = made + 1
  thread:set("thread_id", made)
end
local prefix = ""
local counter = 0
init = function(args)
  prefix = os.getenv("BENCH_RUN") .. "-" .. thread_id .. "-"
end
request = function()
  counter = counter + 1
  local n = prefix .. counter
  local body = '{"ticket": {"id": "B-' .. n .. '", "channel": "email", "product": "App",' ..
    ' "closed_at": "2026-11-20T11:05:00Z", "contacts": 1},' ..
    ' "agent": {"id": "agent-' .. (counter % 200) .. '",' ..
    ' "team": "Tier ' .. (counter % 5) .. '"},' ..
    ' "customer": {"id": "C-' .. n .. '", "email": "c' .. counter .. '@example.com"},' ..
    ' "send_after": 3600}'
  return wrk.format("POST", "/api/v1/invitations", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")}, body)
end
"""

GET_LUA = 'request = function() return wrk.format("GET", nil) end\n'

FLOOR_LUA = r"""
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"ticket": {"id": "F-' .. counter .. '"}, "agent": {"id": "a"},' ..
    ' "customer": {"id": "c", "email": "c@example.com"}}'
  return wrk.format("POST", "/floor", {["Content-Type"] = "application/json"}, body)
end
"""


def parse_args() -> argparse.Namespace:
    parser = request_bench_args(__doc__)
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="after the rounds, the CPU per request of each endpoint by process group",
    )
    return parser.parse_args()


def make_api_key() -> str:
    """An ingest key in the scratch database (both services read the same table)."""
    from feedback_service import create_app
    from feedback_service.auth.service import create_api_key
    from feedback_service.db import get_session

    app = create_app()
    with app.app_context():
        session = get_session()
        _key, plain = create_api_key(session, "bench", ["ingest"])
        session.commit()
    return plain


def measure(
    args: argparse.Namespace, env: dict[str, str], tmp: Path
) -> tuple[list[tuple[str, str, Path]], list[list[LoadResult]], list[str]]:
    """Serve the floor, this service and (``--compare-ref``) the reference side by
    side with the same gunicorn settings; measure them in alternating rounds."""
    served = (args.workers, args.worker_class, args.threads)
    with contextlib.ExitStack() as stack:
        floor_url = stack.enter_context(gunicorn("bench.floor_app:app", env, *served))
        service_url = stack.enter_context(gunicorn("feedback_service:create_app()", env, *served))
        runs = [
            ("one-INSERT floor", floor_url, tmp / "floor.lua"),
            ("POST /api/v1/invitations", service_url, tmp / "invitation.lua"),
        ]
        if args.compare_ref:
            ref_root = stack.enter_context(reference_checkout(args.compare_ref))
            ref_url = stack.enter_context(
                gunicorn("feedback_service:create_app()", env, *served, root=ref_root)
            )
            name = f"POST /api/v1/invitations ({args.compare_ref})"
            runs.append((name, ref_url, tmp / "invitation.lua"))
        for _name, url, script in runs:
            wrk("warm-up", url, script, seconds=3, connections=args.connections)
        rounds = alternate(
            runs, seconds=args.seconds, rounds=args.rounds, connections=args.connections
        )
        # The gunicorn processes of each endpoint, told apart by their app spec.
        groups = {"floor gunicorn": "floor_app", "service gunicorn": "create_app"}
        cpu_runs = [
            *runs[:2],
            ("GET /healthz of the floor", f"{floor_url}/healthz", tmp / "get.lua"),
            ("GET /healthz of the service", f"{service_url}/healthz", tmp / "get.lua"),
        ]
        cpu = [
            cpu_per_request(
                name,
                url,
                script,
                groups,
                seconds=max(1, args.seconds // args.rounds),
                connections=args.connections,
            )
            for name, url, script in (cpu_runs if args.cpu else [])
        ]
    return runs, rounds, cpu


def report(
    args: argparse.Namespace,
    runs: list[tuple[str, str, Path]],
    rounds: list[list[LoadResult]],
) -> None:
    served = (args.workers, args.worker_class, args.threads)
    print(
        f"\n{args.seconds}s per endpoint in {args.rounds} alternating rounds, "
        f"{args.connections} connections, {served_with(*served)}, PostgreSQL, Redis broker"
        + (
            f"; reference: {args.compare_ref} = {commit_of(args.compare_ref)}"
            if args.compare_ref
            else ""
        )
        + "\n"
    )
    print(TABLE_HEADER)
    for parts in zip(*rounds, strict=True):
        for result in parts:
            print(result.row())
    totals = [
        combined(f"**all rounds**: {name}", rounds[i]) for i, (name, _u, _s) in enumerate(runs)
    ]
    for total in totals:
        print(total.row())
    floor = totals[0]
    print()
    for i, total in enumerate(totals[1:], start=1):
        ratios = [
            s.requests_per_second / f.requests_per_second
            for f, s in zip(rounds[0], rounds[i], strict=True)
        ]
        print(
            f"throughput ratio {runs[i][0]} / floor: "
            f"{total.requests_per_second / floor.requests_per_second:.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
    if len(totals) == 3 and totals[2].requests_per_second:
        print(
            f"this code / {args.compare_ref}: "
            f"{totals[1].requests_per_second / totals[2].requests_per_second:.2f}"
        )


def main() -> None:
    args = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    (tmp / "invitation.lua").write_text(INVITATION_LUA)
    (tmp / "floor.lua").write_text(FLOOR_LUA)
    (tmp / "get.lua").write_text(GET_LUA)
    broker = "redis://127.0.0.1:6379/14"
    with scratch_database("fs_bench_invitations") as database_url:
        create_table(database_url)
        # POST /api/v1/invitations has no rate limit either (API-key callers are not
        # limited), so turning the limits off changes nothing measured here.
        env = served_env(database_url, broker, tmp / "data")
        os.environ["BENCH_KEY"] = make_api_key()
        before = machine_note()
        runs, rounds, cpu = measure(args, env, tmp)
        after = machine_note()
        redis.Redis.from_url(broker).flushdb()
    report(args, runs, rounds)
    if cpu:
        print("\n" + "\n".join(cpu))
    print(f"\nbefore: {before}\nafter: {after}")


if __name__ == "__main__":
    main()
