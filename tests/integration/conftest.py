"""Real parts for integration tests: a Celery worker process on the real broker,
an SMTP server (aiosmtpd), a live HTTP server, and committed (not rolled back) data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import text
from werkzeug.serving import make_server

from feedback_service.models import Base

ROOT = Path(__file__).resolve().parents[2]
KEEP_TABLES = {"surveys", "alembic_version"}
# A queue of this test run's own: test runs sharing one broker never take each
# other's tasks.
TASK_QUEUE = f"feedback-tests-{os.getpid()}"
ANSWERS_QUEUE = f"{TASK_QUEUE}.answers"
BULK_QUEUE = f"{TASK_QUEUE}.bulk"
EVERY_QUEUE = (TASK_QUEUE, ANSWERS_QUEUE, BULK_QUEUE)


@dataclass
class RecordingHandler:
    """Keeps every message; can answer the first N deliveries with a 451."""

    messages: list[EmailMessage] = field(default_factory=list)
    defer_first: int = 0
    deferred: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.deferred < self.defer_first:
            self.deferred += 1
            return "451 4.3.0 Temporary failure, try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, RecordingHandler]]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Controller, RecordingHandler]) -> RecordingHandler:
    """What the SMTP server received, and how it answers the next delivery."""
    return smtp_server[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def post_answer(
    http_server: str,
    token: str,
    answers: dict[str, int],
    comment: str | None = None,
    *,
    status: int = 201,
) -> int:
    """Answer (or amend: ``status=200``) over HTTP as a customer's browser does, assert
    the status, and give the response's id."""
    body: dict[str, Any] = {"token": token, "answers": answers}
    if comment is not None:
        body["comment"] = comment
    posted = requests.post(f"{http_server}/api/v1/responses", json=body, timeout=30)
    assert posted.status_code == status, posted.text
    return int(posted.json()["id"])


@pytest.fixture
def committed_db(app: Flask) -> Iterator[None]:
    """Writes really commit (a worker process must see them); wiped afterwards."""
    yield
    engine = app.extensions["db"].engine
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                conn.execute(table.delete())
        conn.execute(
            text(
                "UPDATE surveys SET throttle_days = 30, sampling_rate = 1.0 "
                "WHERE key = 'post-ticket'"
            )
        )


@pytest.fixture
def live_app(
    database_url: str, broker_url: str, smtp_server: tuple[Controller, RecordingHandler]
) -> Flask:
    """The web app as deployed: tasks go to the broker, mail to SMTP."""
    from feedback_service import create_app

    controller, _handler = smtp_server
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url,
            "CELERY_QUEUE": TASK_QUEUE,
            "CELERY_TASK_ALWAYS_EAGER": False,
            "EMAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": controller.port,
            "SMTP_TLS": "none",
            "RATELIMIT_ENABLED": False,
        }
    )
    return app


@pytest.fixture
def http_server(live_app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free local port."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["PUBLIC_BASE_URL"] = url
    try:
        yield url
    finally:
        server.shutdown()


def up(log: str) -> bool:
    return "ready." in log or "] received" in log


@dataclass
class WorkerStarter:
    """Starts real ``celery worker`` processes on chosen queues (by default on every
    queue), as production runs them; every one is stopped at the end of the test."""

    env: dict[str, str]
    tmp_path: Path
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self, *queues: str, name: str = "worker") -> subprocess.Popen[str]:
        log_path = self.tmp_path / f"{name}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.app",
                "worker",
                "--queues",
                ",".join(queues or EVERY_QUEUE),
                "--hostname",
                f"{name}-{os.getpid()}@%h",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes.append(process)
        # Up once it says so, or once it takes a task (with the solo pool a task
        # waiting on the broker can run before the "ready." line is written).
        wait_for(lambda: up(log_path.read_text()) or process.poll() is not None, 90)
        if process.poll() is not None:
            raise AssertionError(f"{name} died:\n" + log_path.read_text())
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def start_worker(
    live_app: Flask,
    database_url: str,
    broker_url: str,
    smtp_server: tuple[Controller, RecordingHandler],
    http_server: str,
    tmp_path: Path,
    committed_db: None,
) -> Iterator[WorkerStarter]:
    controller, _handler = smtp_server
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": broker_url,
        "CELERY_QUEUE": TASK_QUEUE,
        "EMAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(controller.port),
        "SMTP_TLS": "none",
        "SEND_RETRY_BASE_SECONDS": "1",
        "SWEEP_GRACE_SECONDS": "0",
        "PUBLIC_BASE_URL": http_server,
        "FEEDBACK_DATA_DIR": str(tmp_path / "worker-data"),
        "WORKER_READY_DIR": str(tmp_path / "workers-ready"),
        # The comment model, trained from the seed at first use, is kept for the whole
        # session (the test app's own directory) rather than retrained in every test.
        "MODEL_DIR": str(Path(os.environ["FEEDBACK_DATA_DIR"]) / "models"),
    }
    # No stale tasks of this run: a task an earlier test's worker held when it was
    # stopped goes back to its queue (at once on RabbitMQ), and must not run here.
    live_app.extensions["celery"].control.purge()
    starter = WorkerStarter(env, tmp_path)
    try:
        yield starter
    finally:
        starter.stop_all()


@pytest.fixture
def worker(start_worker: WorkerStarter) -> subprocess.Popen[str]:
    """A real ``celery worker`` process on every queue (default, answers and bulk)."""
    return start_worker.start()
