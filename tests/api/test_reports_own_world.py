"""Reports on a world a test writes for itself, with no other helpdesk rows in the
database: the ranks and control limits these tests check depend on every agent and
week there is (test_reports shares one committed world across its tests)."""

from __future__ import annotations

import datetime as dt
import random

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.api.test_reports import MIN_N, get, headers
from tests.integration.test_rollups import make_world, process

__all__ = ["headers"]  # fixtures this module uses


def test_shrinkage_never_ranks_a_lucky_small_sample_above_a_solid_agent(
    client: FlaskClient, app: Flask, db_session: Session, headers: dict[str, str]
) -> None:
    rng = random.Random(5)
    world = make_world(db_session, rng, n_tickets=500, answer_rate=1.0, provisional_rate=0.0)
    lucky = world.agents[6]
    solid = world.agents[0]
    for response in world.responses:
        if response.agent_id == lucky.id and response.csat is not None:
            response.csat = 5  # a handful of perfect answers
        if response.agent_id == solid.id and response.csat is not None:
            response.csat = 5 if rng.random() < 0.9 else 3  # ~90% on many answers
        process(db_session, response)
    db_session.commit()
    cards = {
        c["agent"]: c["metrics"]["csat"]
        for c in get(client, "/api/v1/reports/agents", headers, per_page=500).json["items"]
    }
    small, big = cards[lucky.external_id], cards[solid.external_id]
    assert 0 < small["n"] < MIN_N <= big["n"]
    assert small["value"] == 100.0 and small["value"] > big["value"]
    assert small["rank"] is None and big["rank"] == 1
    # Pulled toward the team: below its raw 100% and below the solid agent.
    assert small["shrunk"]["estimate"] < big["shrunk"]["estimate"]
    assert small["shrunk"]["estimate"] < small["value"]


def test_a_shifted_week_is_flagged_out_of_control(
    client: FlaskClient, app: Flask, db_session: Session, headers: dict[str, str]
) -> None:
    rng = random.Random(9)
    world = make_world(db_session, rng, n_tickets=600, days=56, answer_rate=1.0, provisional_rate=0)
    last_week = dt.date(2026, 10, 19)
    for response in world.responses:
        if response.csat is not None:
            late = response.submitted_at.date() >= last_week
            response.csat = 1 if late else rng.choice([4, 5, 5, 3])
        process(db_session, response)
    db_session.commit()
    items = get(
        client, "/api/v1/reports/trends", headers, metric="csat", interval="week", to="2026-10-25"
    ).json["items"]
    flags = {i["period"]: i["out_of_control"] for i in items}
    assert flags[last_week.isoformat()] is True
    assert not any(v for k, v in flags.items() if k < last_week.isoformat())
