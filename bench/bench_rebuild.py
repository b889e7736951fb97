"""``flask scores rebuild`` side by side: this checkout against another one.

Loads ``bench_reports``' data set into a scratch PostgreSQL database once, then
times the rebuild of this checkout and of ``--old`` (a checkout of the previous
code, e.g. ``git worktree add /tmp/old main``) alternately, each in its own
process, and prints the seconds, the cell count and a few totals (which must be
equal: the same rollups).

    .venv/bin/python -m bench.bench_rebuild --old /tmp/old [--responses 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.bench_reports import load
from bench.harness import scratch_database

HERE = Path(__file__).resolve().parent.parent
CHILD = """
import importlib, sys, time
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
import feedback_service.models
rollups = importlib.import_module(sys.argv[2])
with Session(create_engine(sys.argv[1])) as session:
    started = time.perf_counter()
    cells = rollups.rebuild(session)
    session.commit()
    seconds = time.perf_counter() - started
    totals = session.execute(text(
        "SELECT (SELECT sum(count) FROM score_rollups), "
        "(SELECT count(*) FROM score_rollups_agent_monthly), "
        "(SELECT sum(tickets) FROM ticket_rollups), (SELECT sum(sent) FROM invitation_rollups)"
    )).one()
print(f"{seconds:.1f} s, {cells:,} cells, totals {tuple(totals)}")
"""


def rebuild_in(checkout: Path, url: str) -> str:
    module = (
        "feedback_service.scores.rollups"
        if (checkout / "feedback_service/scores/rollups.py").exists()
        else "feedback_service.analysis.rollups"
    )
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, module],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with scratch_database("bench_rebuild") as url:
        started = time.perf_counter()
        facts = load(url, args.responses)
        print(f"loaded {facts['responses']:,} responses in {time.perf_counter() - started:.0f}s")
        for round_ in range(args.rounds):
            for name, checkout in (("old", args.old.resolve()), ("this", HERE)):
                print(f"round {round_} {name}: {rebuild_in(checkout, url)}", flush=True)


if __name__ == "__main__":
    main()
