"""``flask demo seed``: a realistic demo data set, so a fresh install shows a full dashboard.

Teams with leads, agents, customers and months of closed tickets with the
operational fields a helpdesk sends; an invitation per ticket; responses whose
scores follow the operational facts (slow resolution lowers CSAT, a reopened
ticket is never a customer-perceived first-contact resolution); and comments
written the way customers write them. Planted on purpose, so the reports have
something true to find:

- one agent (``COACHING_AGENT``) whose unhappy customers keep calling them rude
  or dismissive: a clear coaching case;
- a product bug (the mobile app crashing on PDF export) that appears in the last
  three weeks and reaches more customers every week: an emerging product gap;
- steady billing and process complaints (double charges, refund delays, having to
  repeat the story), and praise that names the agent.

Rows go in with bulk INSERTs (executemany, then one lookup of the new ids), so ~20k
responses take seconds on SQLite and PostgreSQL alike. Services flush; the
command commits once, rebuilds the score rollups, and leaves each response to the
normal per-response processing (the workers' sweep), or sends it there itself.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from feedback_service.auth.users import create_user
from feedback_service.db import utcnow
from feedback_service.demo.phrases import (
    BILLING,
    EXPORT_BUG,
    MIXED,
    NEUTRAL,
    PRAISE,
    PROCESS,
    PRODUCT_BUGS,
    REOPENED,
    RUDE,
    SLOW,
    UNHELPFUL,
)
from feedback_service.errors import Conflict
from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket
from feedback_service.progress import Advance, no_progress
from feedback_service.surveys.collect import Way
from feedback_service.surveys.models import Invitation, Response, Survey

DEMO_PREFIX = "demo-"
TEAMS = ("Billing", "Technical", "Accounts", "Onboarding")
PRODUCTS = ("Mobile app", "Web app", "Billing portal", "API", "Desktop sync")
CHANNELS = (("email", 0.45), ("chat", 0.35), ("phone", 0.20))
FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Nikos", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tomas",
    "Uma", "Victor", "Wen", "Yara", "Zoe", "Arjun", "Bea", "Carlos", "Dana", "Emil",
)  # fmt: skip
LAST_NAMES = (
    "Alvarez", "Brown", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lopez", "Murphy", "Novak", "Okafor", "Patel", "Rossi", "Silva",
    "Tanaka", "Weber",
)  # fmt: skip
TOPICS: dict[str, tuple[str, Sequence[str]]] = {
    # product -> (subject, tags)
    "login": ("Cannot log in after password reset", ("login", "account")),
    "sync": ("Files not syncing between devices", ("sync", "bug")),
    "invoice": ("Question about my invoice", ("billing", "invoice")),
    "refund": ("Refund request", ("billing", "refund")),
    "howto": ("How do I set up team permissions?", ("how-to",)),
    "api": ("API returns 429 too often", ("api", "rate-limit")),
    "export": ("App crashes when exporting a PDF", ("export", "crash", "bug")),
}
PRODUCT_TOPICS: dict[str, tuple[str, ...]] = {
    "Mobile app": ("login", "sync", "howto"),
    "Web app": ("login", "howto", "sync"),
    "Billing portal": ("invoice", "refund", "invoice"),
    "API": ("api", "howto"),
    "Desktop sync": ("sync", "sync", "howto"),
}

# The agent whose unhappy customers keep saying the same thing (index into agents):
# the second agent of the first team, so lead@demo.test has the case to coach.
COACHING_AGENT = len(TEAMS)
DEMO_TARGETS = {"csat": 75.0, "nps": 0.0, "ces": 5.0, "fcr": 70.0}
BUG_WEEKS = 3

TICKETS_PER_AGENT_DAY = 14
EXPECTED_HOURS = {"email": 8.0, "chat": 0.6, "phone": 0.4}


@dataclass(frozen=True)
class DemoSummary:
    teams: int
    agents: int
    customers: int
    tickets: int
    invitations: int
    responses: int
    coaching_agent: str
    password: str
    response_ids: list[int]


@dataclass(frozen=True)
class _AgentSpec:
    id: int
    external_id: str
    name: str
    team_id: int
    skill: float
    coaching_case: bool
    channel_mix: tuple[float, float, float]


# A unique column per table, to find the ids of the rows just inserted.
_NATURAL_KEY = {
    "teams": "external_id",
    "agents": "external_id",
    "customers": "external_id",
    "tickets": "external_id",
    "invitations": "token",
    "responses": "invitation_id",
}


def _insert_returning_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk INSERT; the new ids in the order of ``rows``.

    A plain executemany (psycopg pipelines it; sqlite3 loops in C), then one
    SELECT of the new rows by their natural key. Multi-row ``INSERT ... RETURNING``
    was tried: the ORM splices its batches in quadratic time, and psycopg re-parses
    every 1000-row statement, both minutes at 30k rows instead of seconds.
    """
    if not rows:
        return []
    table = model.__table__
    key = table.c[_NATURAL_KEY[table.name]]
    # One executemany needs the same keys in every row; a key missing means NULL.
    columns = {column for row in rows for column in row}
    rows = [{column: row.get(column) for column in columns} for row in rows]
    before = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    session.execute(insert(table), rows)
    found = session.execute(select(key, table.c.id).where(table.c.id > before))
    ids = {natural: row_id for natural, row_id in found}
    return [ids[row[key.name]] for row in rows]


SEED_STEPS = 5


def seed_demo(
    session: Session,
    *,
    days: int = 120,
    agents: int = 24,
    seed: int = 1,
    password: str | None = None,
    now: dt.datetime | None = None,
    advance: Advance = no_progress,
) -> DemoSummary:
    """Insert the demo data set; flushes, never commits. Refuses to run twice.
    ``advance`` is called once per step, ``SEED_STEPS`` in all."""
    if agents <= COACHING_AGENT:
        raise ValueError(f"the demo needs at least {COACHING_AGENT + 1} agents")
    if session.scalar(select(Team.id).where(Team.external_id.like(f"{DEMO_PREFIX}%"))):
        raise Conflict("Demo data exists already in this database.")
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    password = password or secrets.token_urlsafe(9)
    survey = session.scalars(select(Survey).where(Survey.key == "post-ticket")).one()
    nps_survey = session.scalars(select(Survey).where(Survey.key == "nps")).first()

    team_ids, specs = _teams_and_agents(session, rng, agents)
    customer_ids = _customers(session, rng, days, agents)
    advance(1)
    tickets = _tickets(rng, specs, customer_ids, days, now)
    private = ("_spec", "_topic", "_hours")
    ticket_ids = _insert_returning_ids(
        session, Ticket, [{k: v for k, v in t.items() if k not in private} for t in tickets]
    )
    advance(1)
    invitations, answers = _invitations(rng, tickets, ticket_ids, survey, now)
    invitation_ids = _insert_returning_ids(session, Invitation, invitations)
    advance(1)
    response_rows: list[dict[str, Any]] = []
    for invitation_id, answer in zip(invitation_ids, answers, strict=True):
        if answer:
            response_rows.append({**answer, "invitation_id": invitation_id})
    nps_invitations: list[dict[str, Any]] = []
    if nps_survey is not None:
        # A relationship NPS on a slice of the answered tickets, for the NPS tile.
        nps_invitations, nps_answers = _nps_rows(rng, response_rows, nps_survey.id)
        for invitation_id, answer in zip(
            _insert_returning_ids(session, Invitation, nps_invitations), nps_answers, strict=True
        ):
            response_rows.append({**answer, "invitation_id": invitation_id})
    response_ids = _insert_returning_ids(session, Response, response_rows)
    advance(1)
    _people(session, specs, team_ids[0], password)
    session.flush()
    advance(1)
    return DemoSummary(
        teams=len(team_ids),
        agents=len(specs),
        customers=len(customer_ids),
        tickets=len(ticket_ids),
        invitations=len(invitations) + len(nps_invitations),
        responses=len(response_ids),
        coaching_agent=specs[COACHING_AGENT].name,
        password=password,
        response_ids=response_ids,
    )


def _teams_and_agents(
    session: Session, rng: random.Random, agents: int
) -> tuple[list[int], list[_AgentSpec]]:
    team_ids = _insert_returning_ids(
        session,
        Team,
        [
            {
                "external_id": f"{DEMO_PREFIX}team-{i + 1}",
                "name": name,
                "lead_email": "lead@demo.test" if i == 0 else f"lead{i + 1}@demo.test",
            }
            for i, name in enumerate(TEAMS)
        ],
    )
    names = [f"{first} {last}" for first, last in zip(FIRST_NAMES, LAST_NAMES * 2, strict=False)]
    rng.shuffle(names)
    agent_rows: list[dict[str, Any]] = []
    for i in range(agents):
        name = names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}")
        agent_rows.append(
            {
                "external_id": f"{DEMO_PREFIX}agent-{i + 1:02d}",
                "name": name,
                "email": f"agent{i + 1}@demo.test",
                "team_id": team_ids[i % len(team_ids)],
            }
        )
    agent_ids = _insert_returning_ids(session, Agent, agent_rows)
    specs = []
    for i, (row, agent_id) in enumerate(zip(agent_rows, agent_ids, strict=True)):
        # Phone-heavy agents exist: a raw comparison would wrongly punish them.
        phone = rng.choice((0.1, 0.2, 0.2, 0.5))
        chat = rng.uniform(0.2, 0.4)
        specs.append(
            _AgentSpec(
                id=agent_id,
                external_id=row["external_id"],
                name=row["name"],
                team_id=row["team_id"],
                skill=-0.5 if i == COACHING_AGENT else rng.gauss(0.0, 0.18),
                coaching_case=i == COACHING_AGENT,
                channel_mix=(1 - phone - chat, chat, phone),
            )
        )
    return team_ids, specs


def _customers(session: Session, rng: random.Random, days: int, agents: int) -> list[int]:
    # Returning customers: about three tickets each over the period.
    customer_count = max(50, days * agents * TICKETS_PER_AGENT_DAY // 3)
    return _insert_returning_ids(
        session,
        Customer,
        [
            {
                "external_id": f"{DEMO_PREFIX}customer-{i + 1:06d}",
                "email": f"customer{i + 1}@example.com",
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "locale": "en",
            }
            for i in range(customer_count)
        ],
    )


def _tickets(
    rng: random.Random,
    specs: Sequence[_AgentSpec],
    customer_ids: Sequence[int],
    days: int,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Closed tickets per agent and day (fewer at weekends), closed before ``now``."""
    start = (now - dt.timedelta(days=days)).replace(hour=0, minute=0, second=0)
    tickets: list[dict[str, Any]] = []
    for day in range(days):
        date = start + dt.timedelta(days=day)
        weekend = date.weekday() >= 5
        for spec in specs:
            volume = TICKETS_PER_AGENT_DAY // (4 if weekend else 1)
            for _ in range(max(0, int(rng.gauss(volume, 2)))):
                ticket = _ticket(rng, spec, date, now, customer_ids, len(tickets) + 1)
                if ticket is not None:
                    tickets.append(ticket)
    return tickets


def _ticket(
    rng: random.Random,
    spec: _AgentSpec,
    date: dt.datetime,
    now: dt.datetime,
    customer_ids: Sequence[int],
    number: int,
) -> dict[str, Any] | None:
    """One ticket of ``spec`` opened on ``date``; ``None`` if it would close after ``now``."""
    bug_start = now - dt.timedelta(weeks=BUG_WEEKS)
    opened = date + dt.timedelta(minutes=rng.randint(7 * 60, 19 * 60))
    channel = ("email", "chat", "phone")[rng.choices(range(3), weights=spec.channel_mix)[0]]
    product = rng.choice(PRODUCTS)
    topic = rng.choice(PRODUCT_TOPICS[product])
    if product == "Mobile app" and opened >= bug_start:
        # The export bug spreads: ever more of the mobile tickets.
        share = 0.15 + 0.5 * (opened - bug_start) / (now - bug_start)
        if rng.random() < share:
            topic = "export"
    subject, tags = TOPICS[topic]
    first_minutes = {
        "email": rng.lognormvariate(math.log(180), 0.9),
        "chat": rng.lognormvariate(math.log(2), 0.8),
        "phone": rng.lognormvariate(math.log(1), 0.6),
    }[channel]
    escalated = rng.random() < (0.25 if topic == "export" else 0.07)
    base_hours = EXPECTED_HOURS[channel]
    resolve_hours = rng.lognormvariate(math.log(base_hours), 1.0) * (3.0 if escalated else 1.0)
    reopened = rng.random() < (0.18 if escalated or topic == "export" else 0.06)
    contacts = 1 + (rng.random() < 0.15) + (2 if reopened else 0) + escalated
    first = opened + dt.timedelta(minutes=first_minutes)
    resolved = max(first, opened + dt.timedelta(hours=resolve_hours))
    closed = resolved + dt.timedelta(minutes=rng.randint(1, 90))
    if closed >= now:
        return None
    return {
        "source": "demo",
        "external_id": f"{DEMO_PREFIX}{number:07d}",
        "subject": subject,
        "channel": channel,
        "product": product,
        "tags": list(tags),
        "opened_at": opened,
        "first_response_at": first,
        "resolved_at": resolved,
        "closed_at": closed,
        "contacts": contacts,
        "escalated": escalated,
        "reopened": reopened,
        "agent_id": spec.id,
        "team_id": spec.team_id,
        "customer_id": rng.choice(customer_ids),
        "_spec": spec,
        "_topic": topic,
        "_hours": resolve_hours,
    }


def _invitations(
    rng: random.Random,
    tickets: Sequence[dict[str, Any]],
    ticket_ids: Sequence[int],
    survey: Survey,
    now: dt.datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An invitation per ticket, and its answer (``{}`` when not answered)."""
    invitations: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for ticket, ticket_id in zip(tickets, ticket_ids, strict=True):
        sent = ticket["closed_at"] + dt.timedelta(hours=1)
        responded = sent < now and rng.random() < 0.45
        submitted = sent + dt.timedelta(minutes=rng.lognormvariate(math.log(240), 1.2))
        if submitted >= now:
            responded = False
        invitations.append(
            {
                "token": secrets.token_urlsafe(24),
                **_about(ticket, ticket_id, survey.id),
                "delivery": "email",
                "status": "sent" if sent < now else "scheduled",
                "send_at": sent,
                "sent_at": sent if sent < now else None,
                "expires_at": sent + dt.timedelta(days=survey.expire_after_days),
                "answered_at": submitted if responded else None,
                "attempts": 1 if sent < now else 0,
                "created_at": ticket["closed_at"],
                "updated_at": submitted if responded else sent,
            }
        )
        answers.append(_answer(rng, ticket, ticket_id, submitted, survey.id) if responded else {})
    return invitations, answers


def _nps_rows(
    rng: random.Random, response_rows: Sequence[dict[str, Any]], survey_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """NPS invitations and answers for about 15% of the answered tickets."""
    invitations: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for row in response_rows:
        if rng.random() >= 0.15:
            continue
        nps = max(0, min(10, round(rng.gauss(2.0 * row["csat"] - 1.0, 1.3))))
        at = row["submitted_at"]
        who = {k: row[k] for k in ("ticket_id", "customer_id", "agent_id", "team_id")}
        invitations.append(
            {
                "token": secrets.token_urlsafe(24),
                "survey_id": survey_id,
                **who,
                "channel": row["channel"],
                "locale": "en",
                "delivery": "email",
                "status": "sent",
                "send_at": at,
                "sent_at": at,
                "answered_at": at,
                "attempts": 1,
                "created_at": at,
                "updated_at": at,
            }
        )
        answers.append(
            {
                **who,
                "survey_id": survey_id,
                "channel": row["channel"],
                "locale": "en",
                "nps": nps,
                "status": "confirmed",
                "source": Way.ONE_CLICK_POST.source,
                "submitted_at": at,
                "updated_at": at,
                "confirmed_at": at,
                "version": 1,
                "processed_version": 0,
            }
        )
    return invitations, answers


def _people(
    session: Session, specs: Sequence[_AgentSpec], first_team_id: int, password: str
) -> None:
    """The three demo users, and score targets if none are set."""
    first_team = session.get(Team, first_team_id)
    assert first_team is not None
    own_agent = next(
        s for i, s in enumerate(specs) if s.team_id == first_team_id and i != COACHING_AGENT
    )
    create_user(
        session,
        email="manager@demo.test",
        name="Morgan Manager",
        role="manager",
        password=password,
    )
    create_user(
        session,
        email="lead@demo.test",
        name="Lee Lead",
        role="team_lead",
        password=password,
        team_names=[first_team.name],
    )
    create_user(
        session,
        email="agent@demo.test",
        name=own_agent.name,
        role="agent",
        password=password,
        agent_external_id=own_agent.external_id,
    )
    from feedback_service.scores import targets as targets_service

    if not targets_service.list_targets(session):
        # Targets of a typical support team, so the gaps show from the start.
        targets_service.replace_targets(
            session, [{"metric": m, "value": v} for m, v in DEMO_TARGETS.items()]
        )


def _answer(
    rng: random.Random,
    ticket: dict[str, Any],
    ticket_id: int,
    submitted: dt.datetime,
    survey_id: int,
) -> dict[str, Any]:
    """Scores that follow the ticket's facts, and a comment that says why."""
    spec: _AgentSpec = ticket["_spec"]
    topic: str = ticket["_topic"]
    hours: float = ticket["_hours"]
    expected_hours = EXPECTED_HOURS[ticket["channel"]]
    slowness = max(0.0, math.log(hours / expected_hours))  # 0 when on time
    latent = (
        4.45
        + spec.skill * 2
        - 0.45 * slowness
        - (0.9 if ticket["reopened"] else 0.0)
        - (0.35 if ticket["escalated"] else 0.0)
        - 0.2 * (ticket["contacts"] - 1)
        - (1.1 if topic == "export" else 0.0)
        + rng.gauss(0.0, 0.7)
    )
    csat = max(1, min(5, round(latent)))
    ces = max(1, min(7, round(1.5 * csat - 0.6 + rng.gauss(0, 0.8))))
    if ticket["reopened"]:
        fcr = 0
    elif ticket["contacts"] > 1:
        fcr = int(rng.random() < 0.3)
    else:
        # Some customers say "not resolved" on tickets the desk counts as first-
        # contact resolutions: the customer-vs-operational FCR gap.
        fcr = int(rng.random() < (0.93 if csat >= 4 else 0.6))
    comment = _comment(rng, spec, topic, csat, slowness, ticket) if rng.random() < 0.42 else None
    return {
        **_about(ticket, ticket_id, survey_id),
        "csat": csat,
        "ces": ces,
        "fcr": fcr,
        "comment": comment,
        "status": "confirmed",
        # As the product stores them: two in three clicked a rating in the email.
        "source": rng.choice((Way.ONE_CLICK_POST.source,) * 2 + (Way.FORM.source,)),
        "submitted_at": submitted,
        "updated_at": submitted,
        "confirmed_at": submitted,
        "version": 1,
        "processed_version": 0,
    }


def _about(ticket: dict[str, Any], ticket_id: int, survey_id: int) -> dict[str, Any]:
    """What an invitation and its answer copy from the ticket: who, where, which survey."""
    return {
        "survey_id": survey_id,
        "ticket_id": ticket_id,
        **{key: ticket[key] for key in ("customer_id", "agent_id", "team_id", "channel")},
        "locale": "en",
    }


def _comment(
    rng: random.Random,
    spec: _AgentSpec,
    topic: str,
    csat: int,
    slowness: float,
    ticket: dict[str, Any],
) -> str:
    first_name = spec.name.split()[0]
    if topic == "export" and rng.random() < 0.8:
        pool: Sequence[str] = EXPORT_BUG
    elif spec.coaching_case and csat <= 3 and rng.random() < 0.85:
        pool = RUDE
    elif csat >= 4:
        pool = PRAISE if rng.random() < 0.85 else NEUTRAL
    elif csat == 3:
        pool = MIXED
    elif ticket["reopened"] and rng.random() < 0.6:
        pool = REOPENED
    elif slowness > 1.0 and rng.random() < 0.7:
        pool = SLOW
    elif ticket["product"] == "Billing portal" and rng.random() < 0.7:
        pool = BILLING
    elif topic in PRODUCT_BUGS and rng.random() < 0.4:
        return PRODUCT_BUGS[topic]
    else:
        # Everyone has the odd rude-agent complaint: background the coaching case
        # must stand out from, not silence.
        pool = RUDE if rng.random() < 0.08 else rng.choice((UNHELPFUL, PROCESS, SLOW))
    return rng.choice(pool).format(agent=first_name)
