"""Answer processing in a real Celery worker on PostgreSQL + Redis: answers per
second, one task per answer (``process_response``) against batches
(``process_responses``), next to the floor the issue names (a Celery task that
only reads the ids and writes one row per answer in one transaction), in one run.

The demo data set (``seed_demo``, unprocessed: every response at
``processed_version 0``, comments included) is loaded once into a template
database; each measurement gets a fresh copy (``CREATE DATABASE .. TEMPLATE``),
its tasks are queued on Redis first, then one worker process
(``--concurrency``, default 1) is started on the answers queue. The clock runs
from the first answer done to the last (or to ``--seconds``), so worker start-up
and the model's load are not counted; the figure is answers done / seconds.

    nice -n 10 .venv/bin/python -m bench.bench_processing [--days 60] [--agents 24]
        [--seconds 90] [--concurrency 1] [--modes floor,batch,single]

Needs PostgreSQL on 127.0.0.1:5432 (BENCH_DATABASE_URL) and Redis
(BENCH_BROKER_URL, default redis://127.0.0.1:6379/6, which it empties).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

from bench.harness import PG_SERVER, ROOT, commit_of, machine_note, scratch_database

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/6")
QUEUE = "benchproc"
FLOOR_TASK = "bench.processing_worker.floor_process"  # bench/processing_worker.py
DONE_SQL = "SELECT count(*) FROM bench_floor_done"
# Each answer done leaves a row stamped with the time and its transaction: the
# floor writes it, the service's recorded processed_version writes it by trigger.
STAMPS = """
CREATE TABLE bench_floor_done (
    response_id bigint NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    tx bigint NOT NULL DEFAULT txid_current()
);
CREATE FUNCTION bench_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.processed_version > OLD.processed_version THEN
        INSERT INTO bench_floor_done (response_id) VALUES (NEW.id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bench_stamp AFTER UPDATE OF processed_version ON responses
    FOR EACH ROW EXECUTE FUNCTION bench_stamp();
"""
# Steady state: the answers after the first transaction, over the time from its
# end to the last answer's (worker start-up and the model's load not counted).
RATE_SQL = """
WITH first AS (
    SELECT tx FROM bench_floor_done ORDER BY at LIMIT 1
), first_end AS (
    SELECT max(at) AS at, count(*) AS n FROM bench_floor_done WHERE tx = (SELECT tx FROM first)
)
SELECT count(*) - (SELECT n FROM first_end),
       extract(epoch FROM max(at) - (SELECT at FROM first_end))
FROM bench_floor_done
"""


MODEL_DIR = os.environ.get("BENCH_MODEL_DIR", str(ROOT / "var" / "bench-models"))


def app_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": BROKER,
        "CELERY_QUEUE": QUEUE,
        "FEEDBACK_DATA_DIR": str(data_dir),
        # Kept between runs: the first run trains the model once (not timed).
        "MODEL_DIR": MODEL_DIR,
    }


def make_app(env: dict[str, str]):  # type: ignore[no-untyped-def]
    from feedback_service import create_app
    from feedback_service.config import load_settings

    return create_app(load_settings(env))


def seed_template(url: str, data_dir: Path, days: int, agents: int) -> int:
    """The demo data, unprocessed, and the model trained (once, not timed)."""
    from feedback_service.analysis.build import run as build_model
    from feedback_service.analysis.comments.analyzer import current_analyzer
    from feedback_service.db import get_session
    from feedback_service.demo.seed import seed_demo

    app = make_app(app_env(url, data_dir))
    with app.app_context():
        started = time.perf_counter()
        # The seed model, as bin/setup builds it (from this checkout's build cache).
        print(build_model(app.config["MODEL_DIR"], ROOT / "var"), flush=True)
        current_analyzer()
        print(f"model ready in {time.perf_counter() - started:.0f} s", flush=True)
        session = get_session()
        summary = seed_demo(session, days=days, agents=agents, seed=1, password=None)
        session.commit()
        session.connection().exec_driver_sql(STAMPS)
        session.commit()
        session.close()
        app.extensions["db"].engine.dispose()
    return len(summary.response_ids)


@contextlib.contextmanager
def copy_of(template: str, name: str) -> Iterator[str]:
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def enqueue_all(mode: str, env: dict[str, str], batch_size: int) -> int:
    """Queue every response's processing; returns the number of tasks."""
    from feedback_service.scores import processing
    from feedback_service.scores.tasks import enqueue_batches, process_response
    from feedback_service.surveys.models import Response
    from feedback_service.tasks import enqueue
    from workers.celery_app import answers_queue

    app = make_app(env)
    with app.app_context():
        from sqlalchemy import select

        from feedback_service.db import get_session

        session = get_session()
        ids = list(session.scalars(select(Response.id).order_by(Response.id)))
        session.rollback()
        processing.BATCH_SIZE = batch_size
        if mode == "single":
            for response_id in ids:
                enqueue(process_response, response_id)
            tasks = len(ids)
        elif mode == "batch":
            tasks = enqueue_batches(ids)
        else:
            celery = app.extensions["celery"]
            chunks = processing.batches(ids, batch_size)
            for chunk in chunks:
                celery.send_task(FLOOR_TASK, args=[chunk], queue=answers_queue(QUEUE))
            tasks = len(chunks)
        app.extensions["db"].engine.dispose()
    return tasks


def measure(
    mode: str, url: str, env: dict[str, str], args: argparse.Namespace, total: int
) -> tuple[str, float]:
    redis.Redis.from_url(BROKER).flushdb()
    tasks = enqueue_all(mode, env, args.batch_size)
    engine = create_engine(url)
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "bench.processing_worker",
            "worker",
            f"--queues={QUEUE}.answers",
            f"--concurrency={args.concurrency}",
            "--loglevel=WARNING",
            f"--hostname=benchproc-{mode}@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    started = done = 0
    try:
        deadline = time.monotonic() + args.seconds + 120  # start-up allowance
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                done = int(conn.execute(text(DONE_SQL)).scalar_one())
            if not started and done > 0:
                started = 1
                deadline = time.monotonic() + args.seconds
            if done >= total:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    with engine.connect() as conn:
        answers, seconds = conn.execute(text(RATE_SQL)).one()
    engine.dispose()
    if not answers or not seconds:
        return f"{mode:7} too few answers or transactions to time ({done}/{total} done)", 0.0
    rate = float(answers) / float(seconds)
    return (
        f"{mode:7} {rate:8.1f} answers/s  ({answers} answers in {float(seconds):.1f} s after "
        f"the first transaction; {tasks} tasks; {done}/{total} done)"
    ), rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--agents", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=90.0, help="cap per measurement")
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--modes", default="floor,batch,single")
    args = parser.parse_args()
    print(f"commit {commit_of('HEAD')}; worker processes: {args.concurrency}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, scratch_database("bench_proc_tpl") as template:
        data_dir = Path(tmp)
        total = seed_template(template, data_dir, args.days, args.agents)
        print(f"{total} responses seeded (days={args.days}, agents={args.agents})", flush=True)
        rates: dict[str, float] = {}
        for mode in args.modes.split(","):
            with copy_of("bench_proc_tpl", f"bench_proc_{mode}") as url:
                line, rate = measure(mode, url, app_env(url, data_dir), args, total)
                rates[mode] = rate
                print(line, flush=True)
        if rates.get("floor") and "batch" in rates:
            print(f"batch / floor = {rates['batch'] / rates['floor']:.2f}")
        if rates.get("single") and "batch" in rates:
            print(f"batch / single = {rates['batch'] / rates['single']:.1f}")
        print(machine_note())


if __name__ == "__main__":
    sys.exit(main())
