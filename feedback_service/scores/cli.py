"""``flask scores ...``: maintenance of the score rollups."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from feedback_service.db import get_session
from feedback_service.progress import progress_bar
from feedback_service.scores import rollups

scores_cli = AppGroup("scores", help="Score rollups behind the reports.")


@scores_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every rollup: score rollups from the responses table (confirmed
    answers only), ticket rollups from the tickets (PostgreSQL)."""
    session = get_session()
    started = time.perf_counter()
    with progress_bar("rebuilding rollups", rollups.rebuild_steps()) as advance:
        cells = rollups.rebuild(session, advance)
    session.commit()
    click.echo(f"rebuilt {cells} rollup cells in {time.perf_counter() - started:.1f}s")
