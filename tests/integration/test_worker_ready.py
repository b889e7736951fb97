"""bin/run says "ready" only once the answers worker takes tasks with its comment
model loaded: the worker writes ``$WORKER_READY_DIR/<hostname>`` then."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.integration.conftest import WorkerStarter, wait_for


def test_a_started_worker_says_it_is_ready_by_its_hostname(
    start_worker: WorkerStarter, tmp_path: Path
) -> None:
    ready_dir = Path(start_worker.env["WORKER_READY_DIR"])
    assert not ready_dir.exists()
    process: subprocess.Popen[str] = start_worker.start("unused-queue", name="ready-probe")
    files = wait_for(lambda: list(ready_dir.glob("ready-probe-*@*")), timeout=30)
    assert len(files) == 1
    assert files[0].read_text().strip() == str(process.pid)
    log = (tmp_path / "ready-probe.log").read_text()
    loaded = re.search(r"comment model \S+ loaded", log)
    assert loaded is not None, log
    assert loaded.start() < log.index("ready.")
