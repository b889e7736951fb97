"""The reports' two read paths agree on PostgreSQL: with the fast path
(``scores/trigger_rollups.py``: the trigger-kept ticket, invitation and FCR-gap
rollups and the ticket factors kept on each answer) and with it switched off
(``REPORTS_FROM_TRIGGER_ROLLUPS = False``: the tickets, invitations and a join,
the path SQLite always takes), every report that reads them gives the same figures
for every filter."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from feedback_service.scores import service as reports
from feedback_service.scores import trigger_rollups
from tests.integration.test_rollups import make_world, process
from tests.integration.test_ticket_rollups import churn


@pytest.fixture(autouse=True)
def _postgresql_only(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has only the general path (no trigger-kept rollups)")


def same(fast: Any, general: Any, where: str = "") -> None:
    """Equal, floats to 1e-9 relative (the two paths sum in different orders)."""
    if isinstance(fast, dict):
        assert isinstance(general, dict) and fast.keys() == general.keys(), where
        for key in fast:
            same(fast[key], general[key], f"{where}.{key}")
    elif isinstance(fast, list | tuple):
        assert isinstance(general, list | tuple) and len(fast) == len(general), where
        for i, (a, b) in enumerate(zip(fast, general, strict=True)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(fast, float) and isinstance(general, float):
        assert math.isclose(fast, general, rel_tol=1e-9, abs_tol=1e-9), (where, fast, general)
    else:
        assert fast == general, (where, fast, general)


def both_paths(app: Flask, session: Session, report: Callable[[], Any]) -> tuple[Any, Any]:
    app.config["REPORTS_FROM_TRIGGER_ROLLUPS"] = True
    assert trigger_rollups.in_use(session)
    try:
        fast = report()
        app.config["REPORTS_FROM_TRIGGER_ROLLUPS"] = False
        assert not trigger_rollups.in_use(session)
        general = report()
    finally:
        app.config["REPORTS_FROM_TRIGGER_ROLLUPS"] = True
    return fast, general


def test_every_report_reading_the_trigger_rollups_agrees_with_the_general_path(
    app: Flask, db_session: Session
) -> None:
    rng = random.Random(71)
    world = make_world(db_session, rng, n_tickets=320, days=80)
    churn(db_session, world.tickets, rng)
    for response in world.responses:
        process(db_session, response)
    db_session.flush()
    team, agent = world.teams[0].id, world.agents[1].id
    filters = [
        reports.Filters(),
        reports.Filters(team_id=team),
        reports.Filters(dt.date(2026, 9, 10), dt.date(2026, 11, 12)),
        reports.Filters(dt.date(2026, 9, 1), dt.date(2026, 10, 31), team_id=team),
        reports.Filters(dt.date(2026, 9, 14), dt.date(2026, 10, 20), agent_id=agent),
        reports.Filters(channel="chat"),
    ]
    checked = 0
    for f in filters:
        cases: dict[str, Callable[[], Any]] = {
            "summary": lambda f=f: reports.summary(db_session, f, 5),
            "scorecards": lambda f=f: reports.scorecards(db_session, f, 5),
            "drivers": lambda f=f: reports.compute_drivers(db_session, f),
            "operations": lambda f=f: reports.operations_trend(db_session, f, "week"),
        }
        for name, report in cases.items():
            fast, general = both_paths(app, db_session, report)
            same(fast, general, f"{name} {f}")
            checked += 1
    assert checked == len(filters) * 4
    # Not vacuous: the world has tickets, invitations and FCR answers in range.
    whole = reports.summary(db_session, reports.Filters(), 5)
    assert whole["operations"]["tickets"] > 100
    assert whole["invitations_sent"] > 100
    assert reports.compute_drivers(db_session, reports.Filters())["fcr_gap"]
