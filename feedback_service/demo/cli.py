"""``flask demo seed``: the command, and the processing it can start at once.

The data set itself is ``seed.py``'s; this module hands the seeded rows to the
features' own services (rollups, comment analysis, pattern runs, alerts).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.db import get_session
from feedback_service.demo.seed import SEED_STEPS, seed_demo
from feedback_service.errors import Conflict
from feedback_service.progress import Advance, no_progress, progress_bar
from feedback_service.scores import rollups
from feedback_service.surveys.models import Response

log = logging.getLogger(__name__)


def process_seeded_responses(response_ids: Sequence[int]) -> tuple[int, int]:
    """Hand the seeded responses to the normal processing path in batches
    (``scores.tasks.process_responses``, a few hundred ids a task, one
    transaction each). Returns (sent, failed).

    A failed send (broker down) stops here: the responses are committed with
    ``processed_version < version``, so the periodic sweep processes them later.
    """
    from feedback_service.scores.processing import batches
    from feedback_service.scores.tasks import process_responses
    from feedback_service.tasks import enqueue

    sent = 0
    for chunk in batches(response_ids):
        try:
            enqueue(process_responses, chunk, retry=False)
        except Exception:
            log.exception("processing not started; the sweep will pick responses up")
            return sent, len(response_ids) - sent
        sent += len(chunk)
    return sent, 0


def rebuild_rollups(session: Session, advance: Advance = no_progress) -> int:
    """The analysis feature's set-based rebuild of the score rollups (flushes only).

    Bulk-inserted rows bypass the per-response path, so the rollups the reports
    read are recomputed in one go; the per-response task still runs later (from
    the sweep, ``processed_version < version``) and finds its snapshot in place.
    """
    return rollups.rebuild(session, advance)


def pending_comments(session: Session) -> list[Response]:
    """Confirmed answers with a comment that has no analysis yet, oldest first."""
    from feedback_service.analysis.models import CommentAnalysis

    done = set(session.scalars(select(CommentAnalysis.response_id)))
    return [
        r
        for r in session.scalars(
            select(Response)
            .where(Response.comment.is_not(None), Response.status == "confirmed")
            .order_by(Response.id)
        )
        if r.id not in done and (r.comment or "").strip()
    ]


def analyse_and_find_patterns(
    session: Session, pending: Sequence[Response], batch: int = 500, advance: Advance = no_progress
) -> int:
    """Analyse every seeded comment and compute both pattern reports now, through
    the analysis and patterns features' own services (flushes only), so the demo
    opens with complaint themes, patterns and product gaps instead of waiting for
    the sweep and the nightly schedule. ``advance`` gets the comments analysed,
    then one per report. Returns the number of pattern reports computed."""
    from feedback_service.analysis.comments.analyzer import current_analyzer
    from feedback_service.analysis.comments.service import ResponseFacts, write_analyses
    from feedback_service.analysis.text import ModelNotReady
    from feedback_service.patterns import compute
    from feedback_service.patterns import service as patterns

    try:
        analyzer = current_analyzer()
    except ModelNotReady as exc:
        raise click.ClickException(str(exc)) from exc
    for start in range(0, len(pending), batch):
        facts = [ResponseFacts.of(r) for r in pending[start : start + batch]]
        results = analyzer.analyze_many([f.comment for f in facts], [f.ratings for f in facts])
        write_analyses(session, list(zip(facts, results, strict=True)))
        advance(len(facts))
    runs = 0
    for kind in (patterns.COMPLAINT_PATTERNS, patterns.PRODUCT_GAPS):
        run = patterns.create_run(session, kind, {}, trigger="schedule")
        patterns.start_run(session, run)
        emerging = compute.compute_run(session, run)
        # As the scheduled task does: an emerging product gap raises an alert.
        compute.alert_emerging(session, run, emerging)
        runs += 1
        advance(1)
    return runs


def raise_recent_alerts(session: Session) -> int:
    """The alerts the demo's answers would have raised had they come in one by
    one: those of the answers still fresh by the alerts feature's own rule (the
    last ``ALERT_MAX_AGE_HOURS``, 2 days by default). Processing the answers later
    raises no more, so this is every answer alert the demo opens; the sweep
    delivers them (webhook / the lead's email) as usual."""
    from feedback_service.alerts.responses import alert_on_recent

    return len(alert_on_recent(session))


def alerts_line(session: Session, on_answers: int) -> str:
    """What the seed says of the alerts it opened (``GET /api/v1/alerts`` lists them)."""
    from feedback_service.alerts.models import Alert
    from feedback_service.patterns.service import EMERGING_ALERT

    gaps = session.scalar(select(func.count(Alert.id)).where(Alert.kind == EMERGING_ALERT)) or 0
    hours = current_app.config["ALERT_MAX_AGE_HOURS"]
    fresh = f"the last {hours} hours (older answers raise none)" if hours > 0 else "any age"
    return (
        f"{on_answers + gaps} alerts raised: {on_answers} on answers of {fresh}, "
        f"{gaps} on emerging product gaps"
    )


demo_cli = AppGroup("demo", help="Demo data for trying the dashboard.")


@demo_cli.command("seed")
@click.option("--days", default=120, show_default=True, help="Months of history, in days.")
@click.option("--agents", default=24, show_default=True)
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
@click.option("--password", default=None, help="Password of the demo users (default: random).")
@click.option(
    "--process",
    type=click.Choice(("full", "rebuild", "each", "none")),
    default="full",
    show_default=True,
    help="full: rebuild the rollups, analyse every comment and compute the pattern "
    "reports now (a minute), so the whole dashboard is filled at once, then send "
    "the responses to the workers in batches. "
    "rebuild: recompute the score rollups at once, set-based (seconds); the "
    "workers' sweep then runs the per-response processing. each: rebuild, then "
    "send the responses to the workers now, in batches of a few hundred. "
    "none: leave everything to the sweep.",
)
def demo_seed(days: int, agents: int, seed: int, password: str | None, process: str) -> None:
    """Seed teams, agents, customers, tickets, responses, comments and demo users."""
    session = get_session()
    try:
        with progress_bar("seeding", SEED_STEPS) as advance:
            summary = seed_demo(
                session, days=days, agents=agents, seed=seed, password=password, advance=advance
            )
    except Conflict as error:
        session.rollback()
        raise click.ClickException(error.message) from None
    session.commit()
    click.echo(
        f"seeded {summary.teams} teams, {summary.agents} agents, {summary.customers} customers, "
        f"{summary.tickets} tickets, {summary.invitations} invitations, "
        f"{summary.responses} responses"
    )
    click.echo(f"coaching case planted: {summary.coaching_agent}")
    click.echo("sign in at /dashboard/login as manager@demo.test, lead@demo.test, agent@demo.test")
    click.echo(f"password (all three): {summary.password}")
    if process in ("full", "rebuild", "each"):
        with progress_bar("rebuilding rollups", rollups.rebuild_steps()) as advance:
            cells = rebuild_rollups(session, advance)
        session.commit()
        click.echo(f"score rollups rebuilt ({cells} cells)")
    if process == "full":
        pending = pending_comments(session)
        with progress_bar("analysing comments", len(pending) + 2) as advance:
            runs = analyse_and_find_patterns(session, pending, advance=advance)
        alerts = raise_recent_alerts(session)
        session.commit()
        click.echo(f"{len(pending)} comments analysed, {runs} pattern reports computed")
        click.echo(alerts_line(session, alerts))
    if process in ("full", "each"):
        # The workers record each answer as processed (after "full", cheaply: the
        # rollups and analyses are in place) now, not at the sweep's next passes.
        sent, failed = process_seeded_responses(summary.response_ids)
        click.echo(
            f"processing started for {sent} responses"
            + (f"; {failed} left to the sweep" if failed else "")
        )
    elif process in ("rebuild", "none"):
        click.echo("the worker's sweep processes each response (comment analysis) shortly")
