"""The access log of gunicorn, started with the project's gunicorn.conf.py as bin/run
and the Dockerfile start it, shows survey tokens masked; so does the log of the
Flask development server."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.integration.conftest import ROOT, free_port

TOKEN = "Zk3vP8qL1mN5rT7wY9xA2bC4dE6fG8hJ"


def fetch(url: str) -> int:
    request = urllib.request.Request(url, headers={"Referer": f"http://x.test/s/{TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_gunicorn_access_log_masks_survey_tokens(
    database_url: str, broker_url: str, tmp_path: Path
) -> None:
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": broker_url,
        "FEEDBACK_DATA_DIR": str(tmp_path),
        "WEB_WORKERS": "1",
        "ACCESS_LOG": str(access_log),
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "feedback_service:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.5)
        assert fetch(f"{base}/s/{TOKEN}?rating=4") == 404
        assert fetch(f"{base}/u/{TOKEN}") == 404
        deadline = time.monotonic() + 10
        while access_log.read_text().count("Zk3v…") < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = access_log.read_text()
    assert TOKEN not in lines
    assert '"GET /s/Zk3v…?rating=4 HTTP/1.1" 404' in lines
    assert '"GET /u/Zk3v… HTTP/1.1" 404' in lines
    assert '"http://x.test/s/Zk3v…"' in lines  # the referer too


def test_development_server_log_masks_survey_tokens(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            assert fetch(f"http://127.0.0.1:{server.server_port}/s/{TOKEN}") == 404
    finally:
        server.shutdown()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /s/Zk3v… HTTP/1.1" in line for line in lines), lines
    assert not any(TOKEN in line for line in lines)
