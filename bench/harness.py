"""Shared benchmark plumbing: a scratch PostgreSQL database, gunicorn, and wrk.

Loads go only to 127.0.0.1 and every run is bounded in time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _drop_database(name: str) -> None:
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database(name: str) -> str:
    """The PostgreSQL database ``name`` made again from nothing and upgraded to head."""
    from feedback_service.cli import upgrade_database

    _drop_database(name)
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"{PG_SERVER}/{name}"
    upgrade_database(url)
    return url


@contextlib.contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database upgraded to head, dropped afterwards."""
    url = fresh_database(name)
    try:
        yield url
    finally:
        _drop_database(name)


@contextlib.contextmanager
def gunicorn(
    app_spec: str,
    env: dict[str, str],
    workers: int | None = None,
    worker_class: str | None = None,
    threads: int | None = None,
    root: Path = ROOT,
) -> Iterator[str]:
    """Serve ``app_spec`` with gunicorn on a free port; yields the base URL.

    ``root`` is the checkout whose code is served (``reference_checkout``): run in
    it, Python imports its packages before the installed (editable) ones.

    Started in the project's root, gunicorn reads ``gunicorn.conf.py`` as it does
    in production (Dockerfile, bin/run); ``workers``, ``worker_class`` and
    ``threads`` override it when given. The floor and the service are always
    served with the same settings."""
    port = free_port()
    overrides: list[str] = []
    for flag, value in (
        ("--workers", workers),
        ("--worker-class", worker_class),
        ("--threads", threads),
    ):
        if value is not None:
            overrides += [flag, str(value)]
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            *overrides,
            "--log-level",
            "warning",
            app_spec,
        ],
        cwd=root,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(Path(log.name).read_text()) from None
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{app_spec} never answered /healthz:\n{Path(log.name).read_text()}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: stop waiting for grace
            process.kill()
            process.wait(timeout=30)


@contextlib.contextmanager
def reference_checkout(ref: str) -> Iterator[Path]:
    """The code of git ``ref`` (e.g. ``main``) in a temporary detached worktree,
    removed afterwards: the previous code, served beside this one in one run."""
    path = Path(tempfile.mkdtemp(prefix="bench-ref-")) / "checkout"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(path), ref],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    try:
        imported = subprocess.run(
            [sys.executable, "-c", "import feedback_service; print(feedback_service.__file__)"],
            cwd=path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        if not imported.startswith(str(path)):
            raise RuntimeError(f"{ref}: the checkout's code is not the one imported ({imported})")
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)


def add_compare_ref(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compare-ref",
        metavar="REF",
        default=None,
        help="also serve the code of git REF (the previous code, e.g. the commit this "
        "branch started from) from a temporary worktree, in the same alternating rounds",
    )


def request_bench_args(description: str | None) -> argparse.ArgumentParser:
    """The arguments of a request bench (the floor and the service served side by side
    under gunicorn, loaded with wrk in alternating rounds); the bench adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seconds", type=int, default=15, help="per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    # gunicorn's settings come from gunicorn.conf.py, as in production; these override.
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--worker-class", default=None)
    parser.add_argument("--threads", type=int, default=None)
    add_compare_ref(parser)
    return parser


def served_env(database_url: str, broker: str, data_dir: Path) -> dict[str, str]:
    """The environment the floor and the service are served with (and this process
    gets too): the scratch database, the broker, a data directory, and no rate
    limits: the floor has none, so the service is measured without its own."""
    env = {
        "DATABASE_URL": database_url,
        "BROKER_URL": broker,
        "FEEDBACK_DATA_DIR": str(data_dir),
        "RATELIMIT_ENABLED": "false",
    }
    os.environ.update(env)
    return env


def commit_of(ref: str) -> str:
    """The short hash ``ref`` names now (for the printed report)."""
    return subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class LoadResult:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    def row(self) -> str:
        return (
            f"| {self.name} | {self.requests_per_second:,.0f} | {self.p50_ms:.1f} | "
            f"{self.p99_ms:.1f} | {self.requests:,} | {self.errors} |"
        )


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(
    name: str, url: str, script: Path, *, seconds: int = 15, connections: int = 16
) -> LoadResult:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    out = subprocess.run(
        [
            "wrk",
            "--latency",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
        # A new id per wrk run, for scripts that must not repeat an earlier run's data.
        env={**os.environ, "BENCH_RUN": uuid.uuid4().hex[:12]},
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return LoadResult(name, rps, p50, p99, total, errors)


def served_with(workers: int | None, worker_class: str | None, threads: int | None) -> str:
    """The gunicorn settings a run used (gunicorn.conf.py and the overrides)."""
    import runpy

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    workers = workers or int(settings["workers"])
    threads = threads or int(settings["threads"])
    # gunicorn runs the sync worker class with more than one thread as gthread.
    if worker_class in (None, "sync"):
        worker_class = "gthread" if threads > 1 else "sync"
    log = "on" if settings.get("accesslog") else "off"
    return (
        f"gunicorn.conf.py with --workers {workers} --worker-class {worker_class} "
        f"--threads {threads}, access log {log}"
    )


def machine_note() -> str:
    """Load average and the busiest other processes: the context of a figure."""
    one, five, fifteen = os.getloadavg()
    top = subprocess.run(
        ["ps", "-eo", "pcpu,args", "--sort=-pcpu", "--no-headers"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()[:6]
    busiest = "\n".join(f"    {line.strip()[:110]}" for line in top)
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}; busiest processes:\n{busiest}"


def alternate(
    runs: list[tuple[str, str, Path]],
    *,
    seconds: int,
    rounds: int,
    connections: int,
) -> list[list[LoadResult]]:
    """``wrk`` each (name, url, script) in turn, ``rounds`` times, ``seconds``
    split evenly: load from other processes on the machine then falls on every
    endpoint alike instead of on whichever ran during a busy spell."""
    per_run = max(1, seconds // rounds)
    results: list[list[LoadResult]] = [[] for _ in runs]
    for round_ in range(rounds):
        for i, (name, url, script) in enumerate(runs):
            results[i].append(
                wrk(
                    f"{name} (round {round_ + 1})",
                    url,
                    script,
                    seconds=per_run,
                    connections=connections,
                )
            )
    return results


def combined(name: str, parts: list[LoadResult]) -> LoadResult:
    """Rounds of one endpoint as one row: requests over time; the median round's
    p50 and the worst round's p99."""
    seconds = sum(p.requests / p.requests_per_second for p in parts if p.requests_per_second)
    p50s = sorted(p.p50_ms for p in parts)
    return LoadResult(
        name,
        sum(p.requests for p in parts) / seconds if seconds else 0.0,
        p50s[len(p50s) // 2],
        max(p.p99_ms for p in parts),
        sum(p.requests for p in parts),
        sum(p.errors for p in parts),
    )


TABLE_HEADER = (
    "| endpoint | requests/s | p50 ms | p99 ms | requests | errors |\n"
    "|---|---:|---:|---:|---:|---:|"
)


def cpu_seconds_by_group(groups: dict[str, str]) -> dict[str, float]:
    """User + system CPU seconds used so far by every live process, summed per
    group: a process whose command line contains ``groups[name]`` counts under
    ``name``, PostgreSQL's processes under ``postgres``, the rest under ``other``.
    Differences of two readings around a load give where its CPU went (processes
    that end in between, such as wrk itself, drop out)."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys([*groups, "postgres", "other"], 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        name = next((n for n, marker in groups.items() if marker in command), None)
        if name is None:
            name = "postgres" if command.startswith("postgres") else "other"
        totals[name] += seconds
    return totals


def cpu_per_request(
    name: str, url: str, script: Path, groups: dict[str, str], *, seconds: int, connections: int
) -> str:
    """One wrk run of ``seconds``, and the CPU it cost per request, by group."""
    before = cpu_seconds_by_group(groups)
    result = wrk(name, url, script, seconds=seconds, connections=connections)
    after = cpu_seconds_by_group(groups)
    spent = ", ".join(
        f"{group} {1000 * (after[group] - before[group]) / max(result.requests, 1):.2f}"
        for group in after
    )
    return f"{name}: {result.requests_per_second:,.0f} req/s; CPU ms per request: {spent}"


def key_headers(app: Any, scope: str) -> dict[str, str]:
    """The Authorization header of a new API key with ``scope`` in ``app``'s database."""
    from feedback_service.auth.service import create_api_key
    from feedback_service.db import get_session

    with app.app_context():
        session = get_session()
        _key, plain = create_api_key(session, "bench", [scope])
        session.commit()
    return {"Authorization": f"Bearer {plain}"}
