"""Rollups on the real database: incremental == rebuilt == counted from the raw rows,
through amendments, re-deliveries and provisional answers."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket
from feedback_service.scores import rollups
from feedback_service.scores.models import RESPONSES_METRIC
from feedback_service.surveys.models import Invitation, Response, Survey
from feedback_service.surveys.service import invitation_subject

START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
CHANNELS = ["email", "chat", "phone", None]


@dataclass
class World:
    """Generated helpdesk data; every list holds ORM rows already flushed."""

    teams: list[Team] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)


def random_answers(rng: random.Random, survey: Survey, skew: float = 0.0) -> dict[str, int | None]:
    """Answers to the survey's metrics; some left out, as customers do."""
    answers: dict[str, int | None] = {"csat": None, "nps": None, "ces": None, "fcr": None}
    for metric in survey.metrics:
        if rng.random() < 0.1:
            continue
        low, high = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7), "fcr": (0, 1)}[metric]
        value = rng.randint(low, high)
        if skew and rng.random() < skew:
            value = high
        answers[metric] = value
    return answers


def make_world(
    session: Session,
    rng: random.Random,
    *,
    n_tickets: int = 300,
    days: int = 60,
    answer_rate: float = 0.7,
    provisional_rate: float = 0.1,
    agent_skew: dict[int, float] | None = None,
    agent_weights: list[float] | None = None,
) -> World:
    """Two teams, seven agents (the last with very few tickets), tickets over ``days``
    days with random operational fields, invitations, and answers to some of them."""
    world = World()
    tag = secrets.token_hex(3)
    surveys = list(session.scalars(select(Survey).where(Survey.key.in_(["post-ticket", "nps"]))))
    post = next(s for s in surveys if s.key == "post-ticket")
    nps = next(s for s in surveys if s.key == "nps")
    for t in range(2):
        team = Team(external_id=f"team-{tag}-{t}", name=f"Team {t}")
        session.add(team)
        world.teams.append(team)
    session.flush()
    for a in range(7):
        agent = Agent(
            external_id=f"agent-{tag}-{a}", name=f"Agent {a}", team_id=world.teams[a % 2].id
        )
        session.add(agent)
        world.agents.append(agent)
    session.flush()
    weights = agent_weights or [1.0] * 6 + [0.03]
    skews = agent_skew or {}
    # The random draws are made in one pass, ticket by ticket; the rows are written in
    # three flushes (tickets, invitations, answers) rather than two per ticket.
    plans: list[tuple[Customer, Ticket, Agent, Survey, bool, dict[str, Any] | None]] = []
    for i in range(n_tickets):
        a_index = rng.choices(range(7), weights)[0]
        agent = world.agents[a_index]
        customer = Customer(external_id=f"cust-{tag}-{i}", email=f"c{i}-{tag}@example.com")
        ticket = _random_ticket(rng, tag, i, days, agent)
        session.add_all([customer, ticket])
        survey = nps if rng.random() < 0.2 else post
        sent = rng.random() < 0.9
        answer: dict[str, Any] | None = None
        if sent and rng.random() <= answer_rate:
            submitted = ticket.closed_at + dt.timedelta(hours=rng.randint(1, 30))
            provisional = rng.random() < provisional_rate
            answer = {
                "comment": rng.choice([None, None, "Thanks, quick help.", "Still broken.", ""]),
                "status": "provisional" if provisional else "confirmed",
                "submitted_at": submitted,
                "updated_at": submitted,
                "confirmed_at": None if provisional else submitted,
                **random_answers(rng, survey, skews.get(a_index, 0.0)),
            }
        plans.append((customer, ticket, agent, survey, sent, answer))
    session.flush()
    world.tickets = [ticket for _c, ticket, *_rest in plans]
    for customer, ticket, agent, survey, sent, _answer in plans:
        invitation = Invitation(
            token=secrets.token_urlsafe(24),
            **invitation_subject(survey.id, ticket, customer.id, agent),
            status="sent" if sent else "suppressed",
            sent_at=ticket.closed_at + dt.timedelta(hours=1) if sent else None,
        )
        session.add(invitation)
        world.invitations.append(invitation)
    session.flush()
    for (customer, ticket, agent, survey, _sent, answer), invitation in zip(
        plans, world.invitations, strict=True
    ):
        if answer is None:
            continue
        response = Response(
            invitation_id=invitation.id,
            **invitation_subject(survey.id, ticket, customer.id, agent),
            source="api",
            version=1,
            processed_version=0,
            **answer,
        )
        session.add(response)
        world.responses.append(response)
    session.flush()
    return world


def reloaded(session: Session, world: World) -> World:
    """``world``'s rows as ``session`` reads them now, in the same order: a world
    another session committed, whose rows a test may change in its own session only."""

    def rows(model: Any, items: list[Any]) -> list[Any]:
        ids = [item.id for item in items]
        found = {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}
        return [found[i] for i in ids]

    return World(
        teams=rows(Team, world.teams),
        agents=rows(Agent, world.agents),
        tickets=rows(Ticket, world.tickets),
        invitations=rows(Invitation, world.invitations),
        responses=rows(Response, world.responses),
    )


def _random_ticket(rng: random.Random, tag: str, i: int, days: int, agent: Agent) -> Ticket:
    """One ticket of ``agent`` with random times and operational fields."""
    opened = START + dt.timedelta(minutes=rng.randint(0, days * 24 * 60 - 1))
    first = opened + dt.timedelta(minutes=rng.randint(1, 600))
    resolved = first + dt.timedelta(minutes=rng.randint(0, 4000))
    closed = resolved + dt.timedelta(minutes=rng.randint(0, 60))
    return Ticket(
        source="api",
        external_id=f"T-{tag}-{i}",
        channel=rng.choice(CHANNELS),
        opened_at=opened,
        first_response_at=first if rng.random() > 0.05 else None,
        resolved_at=resolved,
        closed_at=closed,
        contacts=rng.choice([1, 1, 1, 2, 3, None]),
        escalated=rng.choice([True, False, False, False, None]),
        reopened=rng.choice([True, False, False, False, False]),
        agent_id=agent.id,
        team_id=agent.team_id,
    )


def process(session: Session, response: Response) -> bool:
    """What the task does for one delivery (the task itself is tested below)."""
    if response.processed_version >= response.version:
        return False
    rollups.apply_response(session, response)
    response.processed_version = response.version
    session.flush()
    return True


def expected_cells(responses: list[Response]) -> dict[Any, int]:
    """Independent reference: count the confirmed rows' answers directly."""
    total: Counter[Any] = Counter()
    for r in responses:
        if r.status != "confirmed":
            continue
        key = (
            r.submitted_at.date(),
            r.agent_id or 0,
            r.team_id or 0,
            r.channel or "",
            r.survey_id,
        )
        total[(*key, RESPONSES_METRIC, 1 if r.comment else 0)] += 1
        for metric in ("csat", "nps", "ces", "fcr"):
            value = getattr(r, metric)
            if value is not None:
                total[(*key, metric, value)] += 1
    return dict(total)


def shuffle_history(session: Session, world: World, rng: random.Random) -> None:
    """Deliver, re-deliver, amend, confirm and un-confirm in a random order."""
    survey_by_id = {s.id: s for s in session.scalars(select(Survey))}
    for _round in range(4):
        for response in rng.sample(world.responses, len(world.responses)):
            roll = rng.random()
            if roll < 0.25:
                answers = random_answers(rng, survey_by_id[response.survey_id])
                for metric, value in answers.items():
                    setattr(response, metric, value)
                response.comment = rng.choice([None, "Changed my mind."])
                response.version += 1
            elif roll < 0.35:
                response.status = "confirmed" if response.status != "confirmed" else "provisional"
                response.version += 1
            # Deliveries: sometimes none yet (the sweep's job), sometimes twice.
            for _ in range(rng.choice([0, 1, 1, 2])):
                process(session, response)
    for response in world.responses:
        process(session, response)


def assert_team_cells(session: Session, cells: dict[Any, int]) -> None:
    """The agent and team tables hold the daily cells summed over channels (and agents)."""
    assert rollups.coarser_rows(session) == rollups.coarser_cells(cells)


def test_incremental_equals_rebuilt_equals_raw_counts(app: Flask, db_session: Session) -> None:
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        world = make_world(db_session, rng, n_tickets=120)
        shuffle_history(db_session, world, rng)
        incremental = rollups.histogram_rows(db_session)
        assert incremental == expected_cells(world.responses)
        assert rollups.monthly_rows(db_session) == rollups.by_month(incremental)
        assert_team_cells(db_session, incremental)
        rollups.rebuild(db_session)
        assert rollups.histogram_rows(db_session) == incremental
        assert rollups.monthly_rows(db_session) == rollups.by_month(incremental)
        assert_team_cells(db_session, incremental)
        # After a rebuild the incremental path keeps going from the rebuilt state.
        shuffle_history(db_session, world, rng)
        assert rollups.histogram_rows(db_session) == expected_cells(world.responses)
        assert rollups.monthly_rows(db_session) == rollups.by_month(expected_cells(world.responses))
        assert_team_cells(db_session, expected_cells(world.responses))
        db_session.rollback()


def test_the_task_counts_an_amended_response_once_and_ignores_a_redelivery(
    app: Flask, db_session: Session
) -> None:
    from feedback_service.scores.tasks import process_response

    rng = random.Random(7)
    world = make_world(db_session, rng, n_tickets=5, answer_rate=1.0, provisional_rate=0.0)
    response = world.responses[0]
    response.csat, response.nps, response.ces, response.fcr = 2, None, 3, 0
    response.survey_id = next(
        s.id for s in db_session.scalars(select(Survey).where(Survey.key == "post-ticket"))
    )
    db_session.commit()
    assert process_response(response.id) == "processed"
    assert process_response(response.id) == "up-to-date"

    def csat_cells() -> dict[int, int]:
        db_session.expire_all()
        cells = rollups.histogram_rows(db_session)
        db_session.commit()
        return {
            key[6]: n
            for key, n in cells.items()
            if key[5] == "csat" and key[1] == response.agent_id
        }

    before = csat_cells()
    assert before.get(2) == 1
    response = db_session.get_one(Response, response.id)
    response.csat = 5
    response.version += 1
    db_session.commit()
    assert process_response(response.id) == "processed"
    assert process_response(response.id) == "up-to-date"
    after = csat_cells()
    assert after.get(2, 0) == before[2] - 1
    assert after.get(5, 0) == before.get(5, 0) + 1
    assert sum(after.values()) == sum(before.values())


def test_provisional_answers_count_only_once_confirmed(app: Flask, db_session: Session) -> None:
    rng = random.Random(11)
    world = make_world(db_session, rng, n_tickets=20, answer_rate=1.0, provisional_rate=1.0)
    for response in world.responses:
        process(db_session, response)
    assert rollups.histogram_rows(db_session) == {}
    for response in world.responses:
        response.status = "confirmed"
        response.version += 1
        process(db_session, response)
    assert rollups.histogram_rows(db_session) == expected_cells(world.responses)
    assert sum(
        n for key, n in rollups.histogram_rows(db_session).items() if key[5] == RESPONSES_METRIC
    ) == len(world.responses)


def test_flask_scores_rebuild_recomputes_lost_rollups(app: Flask, db_session: Session) -> None:
    from sqlalchemy import delete

    from feedback_service.scores.models import ScoreRollup

    rng = random.Random(13)
    world = make_world(db_session, rng, n_tickets=60)
    for response in world.responses:
        process(db_session, response)
    db_session.execute(delete(ScoreRollup))
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["scores", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    db_session.expire_all()
    assert rollups.histogram_rows(db_session) == expected_cells(world.responses)
