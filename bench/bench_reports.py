"""Reports at one million responses: each endpoint against a plain GROUP BY.

Loads 200 agents in 10 teams, a year of closed tickets with one invitation each
and 1,000,000 responses into a scratch PostgreSQL database (COPY), builds the
rollups with the rebuild path (``flask scores rebuild``'s function), then times
every report endpoint through the Flask test client and, in the same run, the
same figures computed by a plain GROUP BY over the raw responses table.

    .venv/bin/python -m bench.bench_reports [--responses 1000000] [--repeat 7]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) or BENCH_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.harness import fresh_database, scratch_database
from feedback_service.cli import upgrade_database

END = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
CHANNELS = ["email", "chat", "phone", "web"]
N_TEAMS = 10
N_AGENTS = 200
N_CUSTOMERS = 100_000
ANSWER_RATE = 0.8


def _ts(seconds: np.ndarray) -> list[str]:
    """Epoch seconds -> timestamptz text for COPY."""
    return [
        dt.datetime.fromtimestamp(int(s), dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00") for s in seconds
    ]


def _copy(conn: psycopg.Connection[Any], table: str, columns: str, rows: Any) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
        buffer.write("\n")
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
        cp.write(buffer.getvalue())


def load(url: str, n_responses: int, seed: int = 1) -> dict[str, Any]:
    """Bulk-load the data set; returns a few facts the timings are reported with."""
    rng = np.random.default_rng(seed)
    n_tickets = int(n_responses / ANSWER_RATE)
    pg_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    now = "2026-11-21 00:00:00+00"
    with psycopg.connect(pg_url) as conn:
        surveys = dict(conn.execute("SELECT key, id FROM surveys").fetchall())
        _copy(
            conn,
            "teams",
            "id, external_id, name, created_at",
            ((t + 1, f"team-{t}", f"Team {t}", now) for t in range(N_TEAMS)),
        )
        _copy(
            conn,
            "agents",
            "id, external_id, name, team_id, created_at, updated_at",
            (
                (a + 1, f"agent-{a}", f"Agent {a}", a % N_TEAMS + 1, now, now)
                for a in range(N_AGENTS)
            ),
        )
        _copy(
            conn,
            "customers",
            "id, external_id, created_at, updated_at",
            ((c + 1, f"cust-{c}", now, now) for c in range(N_CUSTOMERS)),
        )
        end = END.timestamp()
        closed = np.sort(rng.uniform(end - 365 * 86400, end, n_tickets)).astype(np.int64)
        # Agents are not equally busy: a few handle many tickets, some very few.
        weights = rng.gamma(2.0, 1.0, N_AGENTS)
        agent = rng.choice(N_AGENTS, n_tickets, p=weights / weights.sum()) + 1
        team = (agent - 1) % N_TEAMS + 1
        channel = rng.choice(len(CHANNELS), n_tickets, p=[0.5, 0.3, 0.15, 0.05])
        resolution = rng.lognormal(9.0, 1.2, n_tickets).astype(np.int64)
        opened = closed - resolution - rng.integers(0, 3600, n_tickets)
        first = opened + rng.lognormal(7.0, 1.0, n_tickets).astype(np.int64)
        first = np.minimum(first, opened + resolution)
        contacts = rng.choice([1, 1, 1, 2, 3, 4], n_tickets)
        escalated = rng.random(n_tickets) < 0.1
        reopened = rng.random(n_tickets) < 0.07
        customer = rng.integers(1, N_CUSTOMERS + 1, n_tickets)
        opened_s, first_s = _ts(opened), _ts(first)
        resolved_s, closed_s = _ts(opened + resolution), _ts(closed)
        _copy(
            conn,
            "tickets",
            "id, source, external_id, channel, tags, opened_at, first_response_at, "
            "resolved_at, closed_at, contacts, escalated, reopened, agent_id, team_id, "
            "customer_id, created_at, updated_at",
            (
                (
                    i + 1,
                    "api",
                    f"T-{i}",
                    CHANNELS[channel[i]],
                    "[]",
                    opened_s[i],
                    first_s[i],
                    resolved_s[i],
                    closed_s[i],
                    contacts[i],
                    bool(escalated[i]),
                    bool(reopened[i]),
                    agent[i],
                    team[i],
                    customer[i],
                    closed_s[i],
                    closed_s[i],
                )
                for i in range(n_tickets)
            ),
        )
        is_nps = rng.random(n_tickets) < 0.2
        survey = np.where(is_nps, surveys["nps"], surveys["post-ticket"])
        sent = closed + 3600
        sent_s = _ts(sent)

        def about(i: int) -> tuple[Any, ...]:
            """Who and what ticket ``i``'s invitation (and its answer) are about: survey,
            ticket, customer, agent, team, channel, and its locale."""
            return (survey[i], i + 1, customer[i], agent[i], team[i], CHANNELS[channel[i]], "en")

        _copy(
            conn,
            "invitations",
            "id, token, survey_id, ticket_id, customer_id, agent_id, team_id, channel, "
            "locale, delivery, status, sent_at, attempts, created_at, updated_at",
            (
                (
                    i + 1,
                    f"bench-{i:012d}",
                    *about(i),
                    "email",
                    "sent",
                    sent_s[i],
                    1,
                    closed_s[i],
                    sent_s[i],
                )
                for i in range(n_tickets)
            ),
        )
        answered = np.sort(rng.choice(n_tickets, n_responses, replace=False))
        submitted = sent[answered] + rng.integers(600, 3 * 86400, n_responses)
        submitted = np.minimum(submitted, int(end))
        submitted_s = _ts(submitted)
        # Scores lean on the ticket: slow or reopened tickets make unhappier customers.
        slow = (resolution[answered] > np.exp(10.0)).astype(float)
        mood = rng.normal(0.6, 1.0, n_responses) - 0.8 * slow - 1.0 * reopened[answered]
        csat = np.clip(np.round(3.6 + mood), 1, 5).astype(int)
        ces = np.clip(np.round(5.0 + 1.3 * mood), 1, 7).astype(int)
        nps = np.clip(np.round(7.5 + 2.0 * mood), 0, 10).astype(int)
        fcr = (rng.random(n_responses) < 0.75 - 0.3 * reopened[answered]).astype(int)
        skip = rng.random((n_responses, 3)) < 0.08
        commented = rng.random(n_responses) < 0.3
        provisional = rng.random(n_responses) < 0.01
        comments = ["Quick and helpful, thanks.", "Took too long.", "Still not fixed."]

        def response_row(k: int) -> tuple[Any, ...]:
            i = answered[k]
            nps_survey = bool(is_nps[i])
            return (
                k + 1,
                i + 1,
                *about(i),
                None if nps_survey or skip[k, 0] else csat[k],
                nps[k] if nps_survey else None,
                None if nps_survey or skip[k, 1] else ces[k],
                None if nps_survey or skip[k, 2] else fcr[k],
                comments[k % 3] if commented[k] else None,
                "provisional" if provisional[k] else "confirmed",
                "email",
                submitted_s[k],
                submitted_s[k],
                None if provisional[k] else submitted_s[k],
                1,
                1,
            )

        _copy(
            conn,
            "responses",
            "id, invitation_id, survey_id, ticket_id, customer_id, agent_id, team_id, "
            "channel, locale, csat, nps, ces, fcr, comment, status, source, submitted_at, "
            "updated_at, confirmed_at, version, processed_version",
            (response_row(k) for k in range(n_responses)),
        )
        for table in ("teams", "agents", "customers", "tickets", "invitations", "responses"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
        conn.execute("ANALYZE")
    return {"tickets": n_tickets, "responses": n_responses}


@contextlib.contextmanager
def engine_for_vacuum(url: str) -> Iterator[Any]:
    """An autocommit connection (VACUUM cannot run in a transaction)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@contextlib.contextmanager
def kept_database(name: str) -> Iterator[str]:
    """Like ``harness.scratch_database`` but left in place for ``--reuse`` runs."""
    yield fresh_database(name)


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(median, min) wall time in milliseconds after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


# The same figures straight from the raw table: what the rollups save us.
RAW_SUMMARY = """
SELECT count(*), count(comment), count(csat), sum((csat >= 4)::int), count(nps),
       sum((nps >= 9)::int), sum((nps <= 6)::int), count(ces), avg(ces), count(fcr), sum(fcr)
FROM responses WHERE status = 'confirmed' {where}
"""
RAW_AGENTS = """
SELECT agent_id, count(*), count(csat), sum((csat >= 4)::int), count(nps), sum((nps >= 9)::int),
       sum((nps <= 6)::int), count(ces), avg(ces), count(fcr), sum(fcr)
FROM responses WHERE status = 'confirmed' {where} GROUP BY agent_id
"""
RAW_TRENDS = """
SELECT date_trunc('week', submitted_at AT TIME ZONE 'UTC'), count(csat), sum((csat >= 4)::int)
FROM responses WHERE status = 'confirmed' {where} GROUP BY 1 ORDER BY 1
"""
RAW_AGENT = """
SELECT date_trunc('week', submitted_at AT TIME ZONE 'UTC'), count(csat), sum((csat >= 4)::int),
       count(nps), sum((nps >= 9)::int), sum((nps <= 6)::int), count(ces), avg(ces),
       count(fcr), sum(fcr)
FROM responses WHERE status = 'confirmed' AND agent_id = 1 {where} GROUP BY 1 ORDER BY 1
"""
RAW_DRIVERS = """
SELECT t.escalated, t.reopened, t.channel, count(*), sum((r.csat >= 4)::int)
FROM responses r JOIN tickets t ON t.id = r.ticket_id
WHERE r.status = 'confirmed' AND r.csat IS NOT NULL {where} GROUP BY 1, 2, 3
"""


def main() -> None:
    bench_main(__doc__, run, "bench_reports", repeat=7)


def bench_main(
    doc: str | None,
    run: Callable[..., None],
    name: str,
    repeat: int,
    after_load: Callable[[str], None] | None = None,
) -> None:
    """The command line of a bench over the 1 M-answer database: load it (into the
    scratch database ``name``, or ``<name>_kept`` with ``--keep``), then ``run``;
    ``--reuse URL`` times a database an earlier ``--keep`` run loaded."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument(
        "--reuse",
        metavar="URL",
        help="time against a database a previous --keep run loaded (no load, no rebuild)",
    )
    parser.add_argument("--rebuild", action="store_true", help="with --reuse: rebuild rollups")
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    if args.reuse:
        upgrade_database(args.reuse)
        run(args.reuse, args.repeat, rebuild=args.rebuild)
        return
    with kept_database(f"{name}_kept") if args.keep else scratch_database(name) as url:
        started = time.perf_counter()
        facts = load(url, args.responses)
        if after_load is not None:
            after_load(url)
        print(
            f"loaded {facts['responses']:,} responses, {facts['tickets']:,} tickets "
            f"in {time.perf_counter() - started:.0f}s"
        )
        run(url, args.repeat, rebuild=True)
        if args.keep:
            print(f"kept {url}")


def bench_app(url: str, rebuild: bool) -> Any:
    """The app on ``url``, its rollups rebuilt first when ``rebuild`` (timed)."""
    from feedback_service import create_app
    from feedback_service.db import get_session
    from feedback_service.scores import rollups

    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "TESTING": True})
    if rebuild:
        with app.app_context():
            started = time.perf_counter()
            cells = rollups.rebuild(get_session())
            get_session().commit()
            print(f"rebuilt {cells:,} rollup cells in {time.perf_counter() - started:.1f}s")
    return app


def run(url: str, repeat: int, rebuild: bool) -> None:
    """Rebuild the rollups (unless reusing), then time every report and its raw query."""
    from feedback_service.auth.service import create_api_key
    from feedback_service.db import get_session
    from feedback_service.scores.service import store_driver_run

    app = bench_app(url, rebuild)
    with app.app_context():
        session = get_session()
        _key, plain = create_api_key(session, "bench", ["reports"])
        session.commit()
        # VACUUM as well as ANALYZE: this machine's PostgreSQL runs with
        # autovacuum off, and without a visibility map the index-only scans the
        # reports rely on visit the heap (autovacuum does this in production).
        with engine_for_vacuum(url) as conn:
            conn.execute(text("VACUUM ANALYZE"))
        # What the beat's compute-driver-run task does every 15 minutes: the
        # unfiltered drivers report is then served from it.
        started = time.perf_counter()
        store_driver_run(session)
        session.commit()
        print(f"drivers run (the worker's task) stored in {time.perf_counter() - started:.1f}s")
    headers = {"Authorization": f"Bearer {plain}"}
    client = app.test_client()

    def call(path: str) -> Callable[[], Any]:
        def run() -> Any:
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.data[:300])
            return answer

        return run

    engine = create_engine(url)

    def raw(sql: str, where: str) -> Callable[[], Any]:
        def run() -> Any:
            with engine.connect() as conn:
                return conn.execute(text(sql.format(where=where))).all()

        return run

    year = ""
    month = "AND submitted_at >= '2026-10-21' AND submitted_at < '2026-11-21'"
    team_month = month + " AND team_id = 3"
    cases = [
        ("summary, whole year", "/api/v1/reports/summary", RAW_SUMMARY, year),
        (
            "summary, 1 month",
            "/api/v1/reports/summary?from=2026-10-21&to=2026-11-20",
            RAW_SUMMARY,
            month,
        ),
        (
            "summary, 1 month, 1 team",
            "/api/v1/reports/summary?from=2026-10-21&to=2026-11-20&team=team-2",
            RAW_SUMMARY,
            team_month,
        ),
        (
            "agents (200 scorecards), whole year",
            "/api/v1/reports/agents?per_page=500",
            RAW_AGENTS,
            year,
        ),
        (
            "agents, 1 month",
            "/api/v1/reports/agents?per_page=500&from=2026-10-21&to=2026-11-20",
            RAW_AGENTS,
            month,
        ),
        ("one agent, whole year", "/api/v1/reports/agents/agent-0", RAW_AGENT, year),
        (
            "trends csat weekly, whole year",
            "/api/v1/reports/trends?metric=csat&interval=week",
            RAW_TRENDS,
            year,
        ),
        (
            "trends csat daily, whole year",
            "/api/v1/reports/trends?metric=csat&interval=day",
            RAW_TRENDS.replace("'week'", "'day'"),
            year,
        ),
        ("drivers, whole year", "/api/v1/reports/drivers", RAW_DRIVERS, year),
        (
            "drivers, 1 month",
            "/api/v1/reports/drivers?from=2026-10-21&to=2026-11-20",
            RAW_DRIVERS,
            month.replace("submitted_at", "r.submitted_at"),
        ),
        (
            "drivers, 1 team, whole year",
            "/api/v1/reports/drivers?team=team-2",
            RAW_DRIVERS,
            "AND r.team_id = 3",
        ),
        (
            "drivers, channel chat, whole year",
            "/api/v1/reports/drivers?channel=chat",
            RAW_DRIVERS,
            "AND r.channel = 'chat'",
        ),
        (
            "drivers, one agent, whole year",
            "/api/v1/reports/drivers?agent=agent-0",
            RAW_DRIVERS,
            "AND r.agent_id = (SELECT id FROM agents WHERE external_id = 'agent-0')",
        ),
        ("summary CSV, whole year", "/api/v1/reports/summary?format=csv", RAW_SUMMARY, year),
    ]
    print()
    print("| report | endpoint median ms | endpoint min ms | raw GROUP BY median ms |")
    print("|---|---:|---:|---:|")
    for label, path, sql, where in cases:
        ep_median, ep_min = best_of(call(path), repeat)
        raw_median, _ = best_of(raw(sql, where), repeat)
        print(f"| {label} | {ep_median:.0f} | {ep_min:.0f} | {raw_median:.0f} |", flush=True)
    engine.dispose()
    app.extensions["db"].engine.dispose()


if __name__ == "__main__":
    main()
