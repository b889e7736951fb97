"""Answer processing in a real Celery worker on PostgreSQL + Redis or RabbitMQ:
answers per second, one task per answer (``process_response``) against batches
(``process_responses``), next to the floor the issue names (a Celery task that
only reads the ids and writes one row per answer in one transaction), with one
worker process and with several, in one run.

The demo data set (``seed_demo``, unprocessed: every response at
``processed_version 0``, comments included) is loaded once into a template
database; each measurement gets a fresh copy (``CREATE DATABASE .. TEMPLATE``),
its tasks are queued on the broker first, then one Celery worker with
``--concurrency N`` processes (each N of ``--workers``, e.g. ``1,2``: side by
side, alternating ``--rounds`` times) is started on the answers queue. The clock
runs from the first answer done to the last (or to ``--seconds``), so worker
start-up and the model's load are not counted; the figure is answers done /
seconds. Over the same window it reads the CPU seconds the worker's processes and
the database's backends used (``/proc``), and how busy the whole machine was: a
second worker process can only add what the machine has spare.

    nice -n 10 .venv/bin/python -m bench.bench_processing [--days 60] [--agents 24]
        [--seconds 90] [--workers 1,2] [--rounds 1] [--modes floor,batch,single]
        [--broker amqp://guest:guest@127.0.0.1:5672//] [--split 12]

Needs PostgreSQL on 127.0.0.1:5432 (BENCH_DATABASE_URL) and the broker
(``--broker``, default BENCH_BROKER_URL or redis://127.0.0.1:6379/6: a Redis db
it empties; on RabbitMQ it purges the bench's queues).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import Engine, create_engine, text

from bench.harness import PG_SERVER, ROOT, commit_of, machine_note, scratch_database

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/6")
QUEUE = "benchproc"
FLOOR_TASK = "bench.processing_worker.floor_process"  # bench/processing_worker.py
DONE_SQL = "SELECT count(*) FROM bench_floor_done"
# Backends of this database waiting for a row or table lock right now.
LOCK_WAITS_SQL = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'
"""
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


def app_env(database_url: str, data_dir: Path, broker: str = BROKER) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": broker,
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


def empty_broker(env: dict[str, str]) -> None:
    """Nothing left from an earlier measurement: the Redis db emptied, or the
    bench's queues purged on RabbitMQ."""
    if env["BROKER_URL"].startswith("redis"):
        redis.Redis.from_url(env["BROKER_URL"]).flushdb()
        return
    app = make_app(env)
    app.extensions["celery"].control.purge()


def _ticks(path: str) -> int:
    """utime + stime of one process (clock ticks), 0 if it is gone."""
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for child in pids:
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{child}/task/{child}/children").read_text().split()
            pids.extend(int(c) for c in children)
    return pids


@dataclass
class CpuSample:
    """Where the CPU went at one moment: the worker's processes, the database's
    backends, and the whole machine (busy and total ticks from /proc/stat)."""

    worker: dict[int, int]
    database: dict[int, int]
    busy: int
    total: int

    @classmethod
    def take(cls, worker_pid: int, engine: Engine) -> CpuSample:
        with engine.connect() as conn:
            backends = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            database = {pid: _ticks(f"/proc/{pid}/stat") for pid in backends}
        worker = {pid: _ticks(f"/proc/{pid}/stat") for pid in _tree(worker_pid)}
        cpu = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = cpu[3] + cpu[4]  # idle + iowait
        return cls(worker, database, sum(cpu) - idle, sum(cpu))

    def since(self, start: CpuSample) -> str:
        hz = os.sysconf("SC_CLK_TCK")

        def used(now: dict[int, int], before: dict[int, int]) -> float:
            return sum(t - before.get(pid, 0) for pid, t in now.items()) / hz

        cores = os.cpu_count() or 1
        busy = (self.busy - start.busy) / max(1, self.total - start.total) * cores
        return (
            f"CPU s: worker {used(self.worker, start.worker):.1f}, "
            f"PostgreSQL {used(self.database, start.database):.1f}; "
            f"machine busy {busy:.2f} of {cores} cores"
        )


def measure(
    mode: str, url: str, env: dict[str, str], args: argparse.Namespace, total: int, workers: int
) -> tuple[str, float]:
    empty_broker(env)
    tasks = enqueue_all(mode, env, args.batch_size)
    engine = create_engine(url)
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "bench.processing_worker",
            "worker",
            f"--queues={QUEUE}.answers",
            f"--concurrency={workers}",
            "--loglevel=WARNING",
            f"--hostname=benchproc-{mode}-{workers}@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    done = 0
    first = last = None
    polls = waiting = 0
    try:
        deadline = time.monotonic() + args.seconds + 120  # start-up allowance
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                done = int(conn.execute(text(DONE_SQL)).scalar_one())
                if first is not None and done < total:
                    polls += 1
                    waiting += int(conn.execute(text(LOCK_WAITS_SQL)).scalar_one()) > 0
            if first is None and done > 0:
                first = CpuSample.take(worker.pid, engine)
                deadline = time.monotonic() + args.seconds
            if done >= total:
                break
            time.sleep(0.2)
        last = CpuSample.take(worker.pid, engine)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    with engine.connect() as conn:
        answers, seconds = conn.execute(text(RATE_SQL)).one()
    engine.dispose()
    if not answers or not seconds:
        return f"{mode:7} too few answers or transactions to time ({done}/{total} done)", 0.0
    rate = float(answers) / float(seconds)
    cpu = last.since(first) if first is not None and last is not None else ""
    if polls:
        cpu += f"; a backend waited on a lock at {waiting} of {polls} looks"
    return (
        f"{mode:7} x{workers} {rate:8.1f} answers/s  ({answers} answers in {float(seconds):.1f} s "
        f"after the first transaction; {tasks} tasks; {done}/{total} done; {cpu})"
    ), rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--agents", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=90.0, help="cap per measurement")
    parser.add_argument(
        "--workers", default="1", help="worker processes, comma-separated (e.g. 1,2)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="alternations of --workers")
    parser.add_argument("--broker", default=BROKER, help="redis://.. or amqp://..")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--modes", default="floor,batch,single")
    parser.add_argument(
        "--split",
        type=int,
        default=0,
        metavar="N",
        help="also process N batches in this process and print where their time went",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"commit {commit_of('HEAD')}; broker {args.broker}; workers {counts}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, scratch_database("bench_proc_tpl") as template:
        data_dir = Path(tmp)
        total = seed_template(template, data_dir, args.days, args.agents)
        print(f"{total} responses seeded (days={args.days}, agents={args.agents})", flush=True)
        rates: dict[tuple[str, int], list[float]] = {}
        for mode in args.modes.split(","):
            for _round in range(args.rounds):
                for workers in counts:
                    with copy_of("bench_proc_tpl", f"bench_proc_{mode}") as url:
                        env = app_env(url, data_dir, args.broker)
                        line, rate = measure(mode, url, env, args, total, workers)
                    rates.setdefault((mode, workers), []).append(rate)
                    print(line, flush=True)
        report_ratios(rates, counts)
        if args.split:
            with copy_of("bench_proc_tpl", "bench_proc_split") as url:
                print(split_batches(url, app_env(url, data_dir, args.broker), args.split))
        print(machine_note())


def split_batches(url: str, env: dict[str, str], batches: int) -> str:
    """In this process, no worker: ``batches`` batches of the copy processed one
    after another, and where each batch's time went (the subscribers to the
    processing signals: alerts; the comment analysis; the rollups; the rest)."""
    from sqlalchemy import select

    from feedback_service.analysis.comments.analyzer import current_analyzer
    from feedback_service.db import get_session
    from feedback_service.scores import processing, signals
    from feedback_service.surveys.models import Response

    spent = dict.fromkeys(("alerts (signals)", "comment analysis", "rollups"), 0.0)

    def timed(owner: object, name: str, part: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - started

        setattr(owner, name, wrapper)

    timed(signals.answer_processed, "send", "alerts (signals)")
    timed(signals.answers_processed, "send", "alerts (signals)")
    timed(processing, "analyse_many_in_task", "comment analysis")
    timed(processing.rollups, "apply_responses", "rollups")
    app = make_app(env)
    with app.app_context():
        session = get_session()
        analyzer = current_analyzer()
        ids = list(session.scalars(select(Response.id).order_by(Response.id)))
        session.rollback()
        chunks = processing.batches(ids)[:batches]
        started = time.perf_counter()
        for chunk in chunks:
            processing.process_batch(session, chunk, analyzer)
        total = time.perf_counter() - started
        app.extensions["db"].engine.dispose()
    answers = sum(len(c) for c in chunks)
    parts = ", ".join(f"{k} {1000 * v / len(chunks):.0f}" for k, v in spent.items())
    rest = 1000 * (total - sum(spent.values())) / len(chunks)
    return (
        f"split: {answers} answers in {len(chunks)} batches in {total:.1f} s "
        f"({answers / total:.0f} answers/s in one process); ms per batch: {parts}, rest {rest:.0f}"
    )


def report_ratios(rates: dict[tuple[str, int], list[float]], counts: list[int]) -> None:
    """The run's ratios, from the median of each measurement's rounds."""
    median = {key: statistics.median(values) for key, values in rates.items()}
    one = counts[0]
    if median.get(("floor", one)) and ("batch", one) in median:
        print(f"batch / floor = {median['batch', one] / median['floor', one]:.2f}")
    if median.get(("single", one)) and ("batch", one) in median:
        print(f"batch / single = {median['batch', one] / median['single', one]:.1f}")
    for (mode, workers), rate in median.items():
        if workers != one and median.get((mode, one)):
            print(f"{mode}: {workers} worker processes / {one} = {rate / median[mode, one]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
