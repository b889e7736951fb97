"""The embedded default (SQLite database, SQLite broker) after ``flask demo seed``:
how long until every answer is processed, and how long a survey email due during
that backlog takes, both counted from the command's return.

A fresh ``FEEDBACK_DATA_DIR``; ``flask db upgrade``; the model built beforehand
(not timed, as ``bin/setup`` will); an ingest API key; then what ``bin/run``
starts (one worker with the scheduler on the default and answers queues, one on
the bulk queue, the web server), as when a user runs ``flask demo seed`` next to
a running ``./bin/run``. One invitation (``send_after: 0``) is posted before the
seed, to time an email with nothing queued; ``flask demo seed`` with its
defaults; right after it returns, a second invitation is posted and timed until
its ``.eml`` lands in the outbox folder. Every second it counts the responses not
processed at their version; it stops when none is left or at ``--seconds``.
With ``--workers-after-seed`` the workers start only once the seed returned (the
earlier figures' set-up) and no email is timed.

    nice -n 10 .venv/bin/python -m bench.bench_seed_drain [--seconds 300]
        [--root /path/to/other/checkout]   (the code to run; this one by default)
        [--seed-args "--days 120"]

With ``--root`` the other checkout's code runs on this checkout's .venv
(``python -m`` from that directory), so a commit before this change can be
measured the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import ROOT, free_port, machine_note

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


def alerts(db: Path) -> str:
    """The alert emails the processed backlog raised (each one a task on the
    email queue, like a survey email)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        rows = dict(
            conn.execute("SELECT status, count(*) FROM alert_deliveries GROUP BY status").fetchall()
        )
    return f"alert deliveries by status: {rows}"


def celery_worker(root: Path, env: dict[str, str], *options: str) -> subprocess.Popen[bytes]:
    command = [PYTHON, "-m", "celery", "-A", "workers.app", "worker", "--loglevel=WARNING"]
    return subprocess.Popen([*command, *options], cwd=root, env=env)


def start_processes(root: Path, env: dict[str, str], data: Path) -> list[subprocess.Popen[bytes]]:
    """What bin/run starts: dispatch + answers with the beat, bulk, and the web
    server (on ``env["PORT"]``, two workers)."""
    queue = "celery"
    web = [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{env['PORT']}", "--workers", "2"]
    web += ["--log-level", "warning", "feedback_service:create_app()"]
    return [
        celery_worker(
            root,
            env,
            "--beat",
            "--concurrency=2",
            f"--queues={queue},{queue}.answers",
            "--hostname=default@%h",
            f"--schedule={data / 'celerybeat-schedule'}",
        ),
        celery_worker(root, env, "--concurrency=1", f"--queues={queue}.bulk", "--hostname=bulk@%h"),
        subprocess.Popen(web, cwd=root, env=env),
    ]


def api_key(root: Path, env: dict[str, str]) -> str:
    out = subprocess.run(
        [PYTHON, "-m", "flask", "keys", "create", "--name", "bench", "--scope", "ingest"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def wait_ready(base: str, seconds: float = 300.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/readyz", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{base}/readyz did not answer within {seconds:.0f} s")


def invite(base: str, key: str, name: str) -> str:
    """POST an invitation due now (``send_after: 0``); returns the customer's email."""
    now = datetime.now(UTC)
    email = f"{name}-{time.time_ns()}@example.com"
    body = {
        "ticket": {
            "id": f"T-{name}-{time.time_ns()}",
            "subject": "Router keeps dropping",
            "opened_at": (now - timedelta(hours=2)).isoformat(),
            "closed_at": (now - timedelta(minutes=5)).isoformat(),
        },
        "agent": {"id": "A-bench", "name": "Dana Agent", "team": "Tier 1"},
        "customer": {"id": f"C-{name}-{time.time_ns()}", "email": email, "name": "Sam"},
        "send_after": 0,
    }
    request = urllib.request.Request(
        f"{base}/api/v1/invitations",
        json.dumps(body).encode(),
        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        made = json.loads(answer.read())
    if made.get("status") not in ("scheduled", "sending", "sent"):
        raise SystemExit(f"the invitation was not accepted for sending: {made}")
    return email


def email_seconds(outbox: Path, email: str, since: float, limit: float = 120.0) -> float | None:
    """Seconds from ``since`` (monotonic) until an ``.eml`` to ``email`` is in the
    outbox, or None after ``limit``."""
    seen: set[Path] = set()
    while time.monotonic() - since < limit:
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            if path not in seen:
                seen.add(path)
                if email in path.read_text(errors="replace"):
                    return time.monotonic() - since
        time.sleep(0.05)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--seed-args", default="")
    parser.add_argument("--workers-after-seed", action="store_true")
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
            "PORT": str(free_port()),
        }
        for key in ("DATABASE_URL", "BROKER_URL", "REDIS_URL", "CELERY_QUEUE"):
            env.pop(key, None)
        run(root, env, "flask", "db", "upgrade")
        # The seed model, as bin/setup builds it (from this checkout's build cache).
        build_env = {**env, "FEEDBACK_DATA_DIR": str(ROOT / "var")}
        subprocess.run(
            [PYTHON, "-m", "feedback_service.analysis.build"], cwd=root, env=build_env, check=True
        )
        base = f"http://127.0.0.1:{env['PORT']}"
        env["PUBLIC_BASE_URL"] = base
        outbox = data / "outbox"
        processes: list[subprocess.Popen[bytes]] = []
        if not args.workers_after_seed:
            key = api_key(root, env)
            processes = start_processes(root, env, data)
            wait_ready(base)
            posted = time.monotonic()
            took = email_seconds(outbox, invite(base, key, "before-seed"), posted)
            print(
                f"email before the seed (workers still starting): {_seconds(took)} after the POST",
                flush=True,
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
        db = data / "feedback.sqlite3"
        try:
            unprocessed, total = left(db)
            print(f"{total} responses, {unprocessed} unprocessed when the command returned")
            if processes:
                posted = time.monotonic()
                email = invite(base, key, "after-seed")
                answered = time.monotonic()
                took = email_seconds(outbox, email, posted)
                print(
                    f"invitation POSTed {posted - returned:.1f} s after the seed returned; "
                    f"its answer (201) took {answered - posted:.2f} s; the email was in the "
                    f"outbox {_seconds(took)} after the POST was sent",
                    flush=True,
                )
                unprocessed, total = left(db)
                print(f"{unprocessed} unprocessed when that email was in the outbox; {alerts(db)}")
            else:
                processes = start_processes(root, env, data)
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
            print(alerts(db))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
    print(machine_note())


def _seconds(took: float | None) -> str:
    return "NO EMAIL within 120 s" if took is None else f"{took:.2f} s"


if __name__ == "__main__":
    sys.exit(main())
