"""POST /api/v1/invitations under gunicorn on PostgreSQL, next to the one-INSERT floor.

Run:  .venv/bin/python -m bench.bench_invitations [--seconds 15] [--connections 16]
Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 (the broker the
after-commit enqueue publishes to) and wrk (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import redis

from bench.floor_app import create_table
from bench.harness import TABLE_HEADER, gunicorn, scratch_database, wrk

INVITATION_LUA = r"""
local counter = 0
local thread_id = 0
setup = function(thread)
  thread:set("thread_id", math.random(1, 1000000000))
end
request = function()
  counter = counter + 1
  local n = thread_id .. "-" .. counter
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

FLOOR_LUA = r"""
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"ticket": {"id": "F-' .. counter .. '"}, "agent": {"id": "a"},' ..
    ' "customer": {"id": "c", "email": "c@example.com"}}'
  return wrk.format("POST", "/floor", {["Content-Type"] = "application/json"}, body)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=5)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    (tmp / "invitation.lua").write_text(INVITATION_LUA)
    (tmp / "floor.lua").write_text(FLOOR_LUA)
    broker = "redis://127.0.0.1:6379/14"
    with scratch_database("fs_bench_invitations") as database_url:
        create_table(database_url)
        env = {
            "DATABASE_URL": database_url,
            "BROKER_URL": broker,
            "FEEDBACK_DATA_DIR": str(tmp / "data"),
            "RATELIMIT_ENABLED": "false",
        }
        os.environ.update(env)
        from feedback_service import create_app
        from feedback_service.auth.service import create_api_key
        from feedback_service.db import get_session

        app = create_app()
        with app.app_context():
            session = get_session()
            _key, plain = create_api_key(session, "bench", ["ingest"])
            session.commit()
        os.environ["BENCH_KEY"] = plain

        results = []
        with gunicorn("bench.floor_app:app", env, args.workers) as url:
            wrk("warm-up", url, tmp / "floor.lua", seconds=3, connections=args.connections)
            results.append(
                wrk(
                    "one-INSERT floor",
                    url,
                    tmp / "floor.lua",
                    seconds=args.seconds,
                    connections=args.connections,
                )
            )
        with gunicorn("feedback_service:create_app()", env, args.workers) as url:
            wrk("warm-up", url, tmp / "invitation.lua", seconds=3, connections=args.connections)
            results.append(
                wrk(
                    "POST /api/v1/invitations",
                    url,
                    tmp / "invitation.lua",
                    seconds=args.seconds,
                    connections=args.connections,
                )
            )
        redis.Redis.from_url(broker).flushdb()

    print(
        f"\n{args.seconds}s per endpoint, {args.connections} connections, "
        f"gunicorn --workers {args.workers}, PostgreSQL, Redis broker\n"
    )
    print(TABLE_HEADER)
    for result in results:
        print(result.row())
    floor, service = results
    ratio = service.requests_per_second / floor.requests_per_second
    print(f"\nthroughput ratio service/floor: {ratio:.2f}")


if __name__ == "__main__":
    main()
