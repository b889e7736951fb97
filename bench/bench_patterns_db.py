"""Complaint patterns and product gaps as the worker computes them, from PostgreSQL.

    .venv/bin/python bench/bench_patterns_db.py [--responses 1000000] [--seed 0]
        [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]

Creates a fresh database on the server, upgrades it to head, and writes the
same synthetic data as ``bench_patterns.py`` (500 agents in 50 teams, 12 weeks
ending today, about 20% of responses with a comment, a planted rude agent and a
spreading product bug) as the service holds it: teams, agents, customers,
tickets, invitations, confirmed responses and one comment analysis per comment,
loaded with COPY (not timed). Then it times exactly what the scheduled task
does for each report, on the default window: create the run, read the inputs
(SQL aggregates + the comment analyses streamed in batches), compute, store the
findings, commit. The database is dropped at the end unless ``--keep``.
Target (issue 8): patterns and gaps over 1,000,000 responses and 200,000
comments in under 5 minutes on the shared 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from feedback_service.demo import issues, planted, planted_db

TEAMS, PER_TEAM, WEEKS = 50, 10, 12


def copy_rows(
    conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterator[tuple[Any, ...]]
) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(dsn: str, data: planted.PlantedData, first_day: dt.date) -> None:
    now = dt.datetime.now(dt.UTC)
    n = data.responses
    agent = data.agent.tolist()
    channel = data.channel.tolist()
    issue = data.issue.tolist()
    csat = data.csat.tolist()
    team_names = sorted(set(data.team_ids))
    team_pk = {t: i + 1 for i, t in enumerate(team_names)}
    customers = 50_000

    moments = [planted_db.submitted_at(data, r, first_day) for r in range(n)]
    hour, half_hour, fifty = (dt.timedelta(minutes=m) for m in (60, 30, 50))

    with psycopg.connect(dsn) as conn:
        survey_id = conn.execute("SELECT id FROM surveys WHERE key = 'post-ticket'").fetchone()
        assert survey_id is not None
        sid = survey_id[0]
        copy_rows(
            conn,
            "teams",
            "id, external_id, name, created_at",
            ((team_pk[t], t, t, now) for t in team_names),
        )
        copy_rows(
            conn,
            "agents",
            "id, external_id, name, team_id, created_at, updated_at",
            (
                (i + 1, a, f"Agent {a[-4:]}", team_pk[data.team_ids[i]], now, now)
                for i, a in enumerate(data.agent_ids)
            ),
        )
        copy_rows(
            conn,
            "customers",
            "id, external_id, email, created_at, updated_at",
            ((c + 1, f"c{c}", f"c{c}@example.com", now, now) for c in range(customers)),
        )
        copy_rows(
            conn,
            "tickets",
            "id, source, external_id, channel, product, tags, closed_at, contacts, escalated, "
            "reopened, agent_id, team_id, customer_id, created_at, updated_at",
            (
                (
                    r + 1,
                    "api",
                    f"T{r}",
                    planted.CHANNELS[channel[r]],
                    (issues.ISSUES[issue[r]].product or None) if issue[r] >= 0 else None,
                    "[]",
                    moments[r] - hour,
                    1,
                    False,
                    False,
                    agent[r] + 1,
                    team_pk[data.team_ids[agent[r]]],
                    r % customers + 1,
                    now,
                    now,
                )
                for r in range(n)
            ),
        )

        def about(r: int) -> tuple[Any, ...]:
            """survey_id .. locale: what answer ``r``'s invitation and response share."""
            team = team_pk[data.team_ids[agent[r]]]
            return (
                sid,
                r + 1,
                r % customers + 1,
                agent[r] + 1,
                team,
                planted.CHANNELS[channel[r]],
                "en",
            )

        copy_rows(
            conn,
            "invitations",
            "id, token, survey_id, ticket_id, customer_id, agent_id, team_id, channel, locale, "
            "delivery, status, attempts, sent_at, answered_at, created_at, updated_at",
            (
                (
                    r + 1,
                    f"tok{r:x}",
                    *about(r),
                    "email",
                    "sent",
                    1,
                    moments[r] - half_hour,
                    moments[r],
                    moments[r] - fifty,
                    moments[r],
                )
                for r in range(n)
            ),
        )
        texts = {
            r: issues.comment_text(issue[r], int(data.phrasing[r]))
            for r in np.flatnonzero(data.issue >= 0).tolist()
        }
        copy_rows(
            conn,
            "responses",
            "id, invitation_id, survey_id, ticket_id, customer_id, agent_id, team_id, channel, "
            "locale, csat, comment, status, source, submitted_at, updated_at, confirmed_at, "
            "version, processed_version",
            (
                (
                    r + 1,
                    r + 1,
                    *about(r),
                    csat[r],
                    texts.get(r),
                    "confirmed",
                    "page",
                    moments[r],
                    moments[r],
                    moments[r],
                    1,
                    1,
                )
                for r in range(n)
            ),
        )
        copy_rows(
            conn,
            "comment_analyses",
            "id, response_id, response_version, model_version, language, supported, sentiment, "
            "findings, key_phrases, created_at, updated_at",
            (
                (
                    i + 1,
                    r + 1,
                    1,
                    planted_db.MODEL_VERSION,
                    "en",
                    True,
                    planted_db.finding_sentiment(issue[r]),
                    json.dumps(
                        [
                            {
                                "target": issues.ISSUES[issue[r]].target,
                                "category": issues.ISSUES[issue[r]].category,
                                "confidence": round(float(data.confidence[r]), 3),
                                "sentence": texts[r],
                                "sentiment": planted_db.finding_sentiment(issue[r]),
                            }
                        ]
                    ),
                    "[]",
                    moments[r],
                    moments[r],
                )
                for i, r in enumerate(sorted(texts))
            ),
        )
        for table in (
            "teams",
            "agents",
            "customers",
            "tickets",
            "invitations",
            "responses",
            "comment_analyses",
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    server = make_url(args.server)
    name = f"fs_bench_patterns_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        run_benchmark(url, args.responses, args.seed)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_benchmark(url: str, responses: int, seed: int) -> None:
    from feedback_service import create_app
    from feedback_service.auth.service import create_api_key
    from feedback_service.cli import upgrade_database
    from feedback_service.db import get_session
    from feedback_service.patterns import service, tasks
    from feedback_service.patterns.models import PatternFinding

    upgrade_database(url)
    today = dt.datetime.now(dt.UTC).date()
    first_day = today - dt.timedelta(weeks=WEEKS, days=-1)
    start = time.perf_counter()
    data = planted.generate(
        seed,
        planted.Plant(single_agent_theme=True),
        teams=TEAMS,
        agents_per_team=PER_TEAM,
        weeks=WEEKS,
        responses_per_agent_week=responses / (TEAMS * PER_TEAM * WEEKS),
        comment_rate_scale=1.08,
    )
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    load(dsn, data, first_day)
    print(
        f"responses {data.responses:,}, comments {data.comments:,}, agents {len(data.agent_ids)}, "
        f"{WEEKS} weeks ending {today}; generated and loaded (not timed) in "
        f"{time.perf_counter() - start:.0f} s"
    )
    app = create_app({"DATABASE_URL": url, "CELERY_TASK_ALWAYS_EAGER": True})
    rows: list[tuple[str, float, str]] = []
    with app.app_context():
        session = get_session()
        for kind in (service.COMPLAINT_PATTERNS, service.PRODUCT_GAPS):
            begin = time.perf_counter()
            outcome = tasks.scheduled_pattern_run(kind)
            seconds = time.perf_counter() - begin
            run = service.latest_done_run(session, kind, {})
            assert outcome == "done" and run is not None, outcome
            stored = session.scalar(
                select(func.count(PatternFinding.id)).where(PatternFinding.run_id == run.id)
            )
            summary = dict(run.summary)
            if kind == service.COMPLAINT_PATTERNS:
                detail = (
                    f"{summary['responses']:,} responses and {summary['comments']:,} comments in "
                    f"{run.data_from}..{run.data_to} (+ the period before), "
                    f"{summary['tests']} tests, {summary['complaint_patterns']} complaint and "
                    f"{summary['praise_patterns']} praise patterns, {stored} rows stored"
                )
            else:
                detail = (
                    f"{summary['responses']:,} responses, {summary['sentences']:,} product/process "
                    f"sentences in {run.data_from}..{run.data_to}, {summary['themes']} themes, "
                    f"{summary['product_gaps']} product gaps, {summary['emerging']} emerging"
                )
            rows.append((kind, seconds, detail))
            session.rollback()
        _key, plain = create_api_key(session, "bench", ["reports"])
        session.commit()
        client = app.test_client()
        reads = []
        for path in ("complaint-patterns", "product-gaps"):
            begin = time.perf_counter()
            answer = client.get(
                f"/api/v1/reports/{path}", headers={"Authorization": f"Bearer {plain}"}
            )
            reads.append(time.perf_counter() - begin)
            assert answer.status_code == 200, answer.json
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print("| run (scheduled task: load from PostgreSQL, compute, store) | seconds | what |")
    print("|---|---:|---|")
    for kind, seconds, detail in rows:
        print(f"| {kind} | {seconds:.1f} | {detail} |")
    print(f"| **both** | **{sum(s for _, s, _ in rows):.1f}** | |")
    print()
    print(
        f"reading the stored reports through the API: {reads[0] * 1000:.0f} ms and "
        f"{reads[1] * 1000:.0f} ms; peak RSS {peak_mb:,.0f} MB (includes the generated data)"
    )


if __name__ == "__main__":
    main()
