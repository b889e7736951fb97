"""The web process starts without the machine-learning libraries.

scikit-learn, NLTK and scipy.stats take seconds to import; a web worker only
reads stored analyses and never needs them, so leaving them out is what lets
``bin/run`` answer ``/readyz`` within the minute on a fresh machine.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sklearn", "nltk", "scipy.stats", "joblib")

PROBE = """
import json, sys
from feedback_service import create_app
app = create_app({"DATABASE_URL": "sqlite:///" + sys.argv[1] + "/db.sqlite3"})
client = app.test_client()
status = client.get("/healthz").status_code
print(json.dumps({"status": status, "loaded": [m for m in sys.argv[2:] if m in sys.modules]}))
"""


def test_web_app_serves_without_importing_the_model_libraries(tmp_path: Path) -> None:
    env = {"FEEDBACK_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), *HEAVY],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["loaded"] == []


def test_bin_run_refuses_a_port_another_program_holds(
    tmp_path: Path, built_seed_model: Path
) -> None:
    """Another program on PORT answered /readyz for us once; now bin/run says so and stops."""
    root = Path(__file__).resolve().parents[2]
    # The data directory of a machine that has run bin/setup before: its model cache
    # holds the seed model, so set-up copies it (a second) instead of training it
    # again (1-2 minutes) before bin/run gets to the port check.
    shutil.copytree(built_seed_model, tmp_path / "build" / built_seed_model.name)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {
            "FEEDBACK_DATA_DIR": str(tmp_path),
            "PATH": f"{root / '.venv' / 'bin'}:/usr/bin:/bin",
            "PORT": str(port),
            "HOME": str(tmp_path),
        }
        out = subprocess.run(
            [str(root / "bin" / "run")], env=env, capture_output=True, text=True, timeout=300
        )
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "PORT=5001 ./bin/run" in out.stderr
    assert "running at" not in out.stdout


def _port_free(port: int) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, str(root / "bin" / "port-free"), "127.0.0.1", str(port)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_port_whose_last_connection_is_in_time_wait_counts_as_free() -> None:
    """Restarting bin/run right after stopping it: the port is in TIME_WAIT, not taken
    (gunicorn binds it with SO_REUSEADDR), so bin/run must not refuse it."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn's
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server side closes first: its port enters TIME_WAIT
        client.close()
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # what the check used to do
    out = _port_free(port)
    assert out.returncode == 0, out.stderr


def test_port_free_names_a_port_held_by_a_listener() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        out = _port_free(port)
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
