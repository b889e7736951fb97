"""The embedded default (SQLite database, SQLite broker) after ``flask demo seed``:
how long until every answer is processed, counted from the command's return.

A fresh ``FEEDBACK_DATA_DIR``; ``flask db upgrade``; the model built beforehand
(not timed, as ``bin/setup`` will); ``flask demo seed`` with its defaults; then
the workers ``bin/run`` starts (one worker with the scheduler on the default and
answers queues, one on the bulk queue). Every second it counts the responses not
processed at their version; it stops when none is left or at ``--seconds``.

    nice -n 10 .venv/bin/python -m bench.bench_seed_drain [--seconds 300]
        [--root /path/to/other/checkout]   (the code to run; this one by default)
        [--seed-args "--days 120"]

With ``--root`` the other checkout's code runs on this checkout's .venv
(``python -m`` from that directory), so a commit before this change can be
measured the same way.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, machine_note

PYTHON = str(ROOT / ".venv" / "bin" / "python")


def run(root: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "-m", *args], cwd=root, env=env, check=True)


def left(db: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        unprocessed = conn.execute(
            "SELECT count(*) FROM responses WHERE processed_version < version"
        ).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
    return int(unprocessed), int(total)


def celery_worker(root: Path, env: dict[str, str], *options: str) -> subprocess.Popen[bytes]:
    command = [PYTHON, "-m", "celery", "-A", "workers.app", "worker", "--loglevel=WARNING"]
    return subprocess.Popen([*command, *options], cwd=root, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--seed-args", default="")
    args = parser.parse_args()
    root = args.root.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = {
            **os.environ,
            "FEEDBACK_DATA_DIR": str(data),
            "MODEL_DIR": os.environ.get("BENCH_MODEL_DIR", str(ROOT / "var" / "bench-models")),
            "PYTHONPATH": str(root),
            "FLASK_APP": "feedback_service",
        }
        for key in ("DATABASE_URL", "BROKER_URL", "REDIS_URL", "CELERY_QUEUE"):
            env.pop(key, None)
        run(root, env, "flask", "db", "upgrade")
        # The seed model, as bin/setup builds it (from this checkout's build cache).
        build_env = {**env, "FEEDBACK_DATA_DIR": str(ROOT / "var")}
        subprocess.run(
            [PYTHON, "-m", "feedback_service.analysis.build"], cwd=root, env=build_env, check=True
        )
        started = time.monotonic()
        run(
            root,
            env,
            "flask",
            "demo",
            "seed",
            "--password",
            "bench password",
            *shlex.split(args.seed_args),
        )
        returned = time.monotonic()
        print(f"demo seed took {returned - started:.0f} s", flush=True)
        queue = "celery"
        # As bin/run starts them: dispatch + answers with the beat, and bulk.
        workers = [
            celery_worker(
                root,
                env,
                "--beat",
                "--concurrency=2",
                f"--queues={queue},{queue}.answers",
                "--hostname=default@%h",
                f"--schedule={data / 'celerybeat-schedule'}",
            ),
            celery_worker(
                root, env, "--concurrency=1", f"--queues={queue}.bulk", "--hostname=bulk@%h"
            ),
        ]
        db = data / "feedback.sqlite3"
        try:
            unprocessed, total = left(db)
            print(f"{total} responses, {unprocessed} unprocessed when the command returned")
            while time.monotonic() - returned < args.seconds:
                time.sleep(1.0)
                unprocessed, total = left(db)
                if unprocessed == 0:
                    break
            elapsed = time.monotonic() - returned
            print(
                f"after {elapsed:.0f} s from the command's return: {unprocessed} of {total} "
                f"responses unprocessed ({'drained' if unprocessed == 0 else 'NOT drained'})"
            )
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
    print(machine_note())


if __name__ == "__main__":
    sys.exit(main())
