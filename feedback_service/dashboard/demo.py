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
import logging
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from feedback_service.auth.users import create_user
from feedback_service.db import get_session, utcnow
from feedback_service.errors import Conflict
from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket
from feedback_service.surveys.models import Invitation, Response, Survey

log = logging.getLogger(__name__)

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

PRAISE = (
    "{agent} was fantastic, patient and clear. Sorted in minutes.",
    "Really helpful! {agent} explained everything and followed up the next day.",
    "Thank you {agent}, you went above and beyond.",
    "Quick, friendly and knew exactly what to do. Great service.",
    "{agent} took the time to understand my problem. Much appreciated.",
    "Best support experience I've had in a long time.",
    "Solved on the first call, and {agent} even showed me a shortcut.",
    "Very professional and kind. Thanks for the help!",
    "Clear instructions, no jargon. 10/10.",
    "I was frustrated when I called, {agent} calmed me down and fixed it.",
)
RUDE = (
    "{agent} was rude and made me feel stupid for asking.",
    "The agent was dismissive and kept cutting me off.",
    "{agent} clearly didn't want to help. Condescending tone the whole time.",
    "Felt like I was bothering {agent}. Short answers and no empathy at all.",
    "Unprofessional. {agent} told me to 'just read the FAQ' and ended the chat.",
    "The person I spoke to was impatient and sarcastic.",
    "{agent} hung up on me before the problem was solved.",
)
UNHELPFUL = (
    "The agent didn't seem to understand the problem.",
    "Got a copy-paste answer that had nothing to do with my question.",
    "I was told it was fixed but it wasn't.",
    "Nobody took ownership, I was passed around three times.",
)
SLOW = (
    "Took four days to get a reply. Far too slow.",
    "Waited ages for an answer, the fix itself was quick.",
    "It took way too long to resolve something this simple.",
    "Slow response. I had to chase twice before anyone answered.",
    "On hold for 40 minutes before anyone picked up.",
)
REOPENED = (
    "Had to contact you again because the first fix didn't work.",
    "This is the third time I'm reporting the same issue.",
    "The problem came back the next day and I had to open a new ticket.",
)
BILLING = (
    "I was charged twice this month and still waiting for the refund.",
    "The refund takes 10 business days? That's ridiculous.",
    "Your invoices are confusing, I can't tell what I'm paying for.",
    "Price went up without any notice.",
    "Cancelling my subscription shouldn't require a phone call.",
)
PROCESS = (
    "I had to repeat my whole story to every new person.",
    "Why do I need to verify my identity three times for a simple question?",
    "The chat bot kept looping before I could reach a human.",
    "Your policy doesn't allow exchanges after 14 days, which is too strict.",
)
PRODUCT_BUGS = {
    "login": "The password reset email never arrives, had to get support to do it.",
    "sync": "Sync still loses my latest changes sometimes.",
    "api": "Your API rate limits are too low for a normal integration.",
}
EXPORT_BUG = (
    "The mobile app crashes every time I export a report to PDF.",
    "PDF export crashes the app on my phone. Support had no fix yet.",
    "Export to PDF is broken since the last update, the app just closes.",
    "App keeps crashing on export, I need these reports for work!",
    "Agent was nice but the crash when exporting PDFs is still there.",
)
MIXED = (
    "{agent} was nice but it took too long overall.",
    "Problem solved in the end, though I had to explain it twice.",
    "Friendly agent, but the product really should just work.",
    "Okay experience. Not great, not bad.",
    "Fine, but the wait on the phone was long.",
)
NEUTRAL = (
    "Thanks.",
    "ok",
    "Issue resolved.",
    "No further comments.",
)


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


def seed_demo(
    session: Session,
    *,
    days: int = 120,
    agents: int = 24,
    seed: int = 1,
    password: str | None = None,
    now: dt.datetime | None = None,
) -> DemoSummary:
    """Insert the demo data set; flushes, never commits. Refuses to run twice."""
    if agents <= COACHING_AGENT:
        raise ValueError(f"the demo needs at least {COACHING_AGENT + 1} agents")
    if session.scalar(select(Team.id).where(Team.external_id.like(f"{DEMO_PREFIX}%"))):
        raise Conflict("Demo data exists already in this database.")
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    password = password or secrets.token_urlsafe(9)
    survey = session.scalars(select(Survey).where(Survey.key == "post-ticket")).one()
    nps_survey = session.scalars(select(Survey).where(Survey.key == "nps")).first()

    # --- teams and agents ----------------------------------------------------------
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

    # --- customers -------------------------------------------------------------------
    tickets_per_agent_day = 14
    # Returning customers: about three tickets each over the period.
    customer_count = max(50, days * agents * tickets_per_agent_day // 3)
    customer_ids = _insert_returning_ids(
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

    # --- tickets -------------------------------------------------------------------------
    start = (now - dt.timedelta(days=days)).replace(hour=0, minute=0, second=0)
    bug_start = now - dt.timedelta(weeks=BUG_WEEKS)
    tickets: list[dict[str, Any]] = []
    for day in range(days):
        date = start + dt.timedelta(days=day)
        weekend = date.weekday() >= 5
        for spec in specs:
            volume = tickets_per_agent_day // (4 if weekend else 1)
            for _ in range(max(0, int(rng.gauss(volume, 2)))):
                opened = date + dt.timedelta(minutes=rng.randint(7 * 60, 19 * 60))
                channel = ("email", "chat", "phone")[
                    rng.choices(range(3), weights=spec.channel_mix)[0]
                ]
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
                base_hours = {"email": 8.0, "chat": 0.6, "phone": 0.4}[channel]
                resolve_hours = rng.lognormvariate(math.log(base_hours), 1.0) * (
                    3.0 if escalated else 1.0
                )
                reopened = rng.random() < (0.18 if escalated or topic == "export" else 0.06)
                contacts = 1 + (rng.random() < 0.15) + (2 if reopened else 0) + escalated
                first = opened + dt.timedelta(minutes=first_minutes)
                resolved = max(first, opened + dt.timedelta(hours=resolve_hours))
                closed = resolved + dt.timedelta(minutes=rng.randint(1, 90))
                if closed >= now:
                    continue
                tickets.append(
                    {
                        "source": "demo",
                        "external_id": f"{DEMO_PREFIX}{len(tickets) + 1:07d}",
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
                )
    private = ("_spec", "_topic", "_hours")
    ticket_ids = _insert_returning_ids(
        session, Ticket, [{k: v for k, v in t.items() if k not in private} for t in tickets]
    )

    # --- invitations and responses ---------------------------------------------------------
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
                "survey_id": survey.id,
                "ticket_id": ticket_id,
                "customer_id": ticket["customer_id"],
                "agent_id": ticket["agent_id"],
                "team_id": ticket["team_id"],
                "channel": ticket["channel"],
                "locale": "en",
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
    invitation_ids = _insert_returning_ids(session, Invitation, invitations)
    response_rows: list[dict[str, Any]] = []
    for invitation_id, answer in zip(invitation_ids, answers, strict=True):
        if answer:
            response_rows.append({**answer, "invitation_id": invitation_id})

    # A relationship NPS on a slice of the answered tickets, for the NPS tile.
    nps_invitations: list[dict[str, Any]] = []
    nps_answers: list[dict[str, Any]] = []
    if nps_survey is not None:
        for row in response_rows:
            if rng.random() >= 0.15:
                continue
            nps = max(0, min(10, round(rng.gauss(2.0 * row["csat"] - 1.0, 1.3))))
            nps_invitations.append(
                {
                    "token": secrets.token_urlsafe(24),
                    "survey_id": nps_survey.id,
                    "ticket_id": row["ticket_id"],
                    "customer_id": row["customer_id"],
                    "agent_id": row["agent_id"],
                    "team_id": row["team_id"],
                    "channel": row["channel"],
                    "locale": "en",
                    "delivery": "email",
                    "status": "sent",
                    "send_at": row["submitted_at"],
                    "sent_at": row["submitted_at"],
                    "answered_at": row["submitted_at"],
                    "attempts": 1,
                    "created_at": row["submitted_at"],
                    "updated_at": row["submitted_at"],
                }
            )
            nps_answers.append(
                {
                    **{k: row[k] for k in ("ticket_id", "customer_id", "agent_id", "team_id")},
                    "survey_id": nps_survey.id,
                    "channel": row["channel"],
                    "locale": "en",
                    "nps": nps,
                    "status": "confirmed",
                    "source": "email",
                    "submitted_at": row["submitted_at"],
                    "updated_at": row["submitted_at"],
                    "confirmed_at": row["submitted_at"],
                    "version": 1,
                    "processed_version": 0,
                }
            )
        for invitation_id, answer in zip(
            _insert_returning_ids(session, Invitation, nps_invitations), nps_answers, strict=True
        ):
            response_rows.append({**answer, "invitation_id": invitation_id})
    response_ids = _insert_returning_ids(session, Response, response_rows)

    # --- people ------------------------------------------------------------------------------
    first_team = session.get(Team, team_ids[0])
    assert first_team is not None
    own_agent = next(
        s for i, s in enumerate(specs) if s.team_id == team_ids[0] and i != COACHING_AGENT
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
    from feedback_service.analysis import targets as targets_service

    if not targets_service.list_targets(session):
        # Targets of a typical support team, so the gaps show from the start.
        targets_service.replace_targets(
            session, [{"metric": m, "value": v} for m, v in DEMO_TARGETS.items()]
        )
    session.flush()
    return DemoSummary(
        teams=len(team_ids),
        agents=len(agent_ids),
        customers=len(customer_ids),
        tickets=len(ticket_ids),
        invitations=len(invitations) + len(nps_invitations),
        responses=len(response_ids),
        coaching_agent=specs[COACHING_AGENT].name,
        password=password,
        response_ids=response_ids,
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
    expected_hours = {"email": 8.0, "chat": 0.6, "phone": 0.4}[ticket["channel"]]
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
        "survey_id": survey_id,
        "ticket_id": ticket_id,
        "customer_id": ticket["customer_id"],
        "agent_id": ticket["agent_id"],
        "team_id": ticket["team_id"],
        "channel": ticket["channel"],
        "locale": "en",
        "csat": csat,
        "ces": ces,
        "fcr": fcr,
        "comment": comment,
        "status": "confirmed",
        "source": rng.choice(("email", "email", "page")),
        "submitted_at": submitted,
        "updated_at": submitted,
        "confirmed_at": submitted,
        "version": 1,
        "processed_version": 0,
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


def process_seeded_responses(app: Flask, response_ids: Sequence[int]) -> tuple[int, int]:
    """Hand the seeded responses to the normal processing path, as if each had
    been saved through the survey pages: ``surveys.signals.response_saved`` per
    response (analysis listens and enqueues its task). Returns (sent, failed).

    A failed send (broker down) stops here: the responses are committed with
    ``processed_version < version``, so the periodic sweep processes them later.
    """
    from feedback_service.surveys.signals import response_saved

    sent = 0
    for response_id in response_ids:
        try:
            response_saved.send(app, response_id=response_id)
        except Exception:
            log.exception("processing not started; the sweep will pick responses up")
            return sent, len(response_ids) - sent
        sent += 1
    return sent, 0


def rebuild_rollups(session: Session) -> int:
    """The analysis feature's set-based rebuild of the score rollups (flushes only).

    Bulk-inserted rows bypass the per-response path, so the rollups the reports
    read are recomputed in one go; the per-response task still runs later (from
    the sweep, ``processed_version < version``) and finds its snapshot in place.
    """
    from feedback_service.scores import rollups

    return rollups.rebuild(session)


def analyse_and_find_patterns(session: Session, batch: int = 500) -> tuple[int, int]:
    """Analyse every seeded comment and compute both pattern reports now, through
    the analysis and patterns features' own services (flushes only), so the demo
    opens with complaint themes, patterns and product gaps instead of waiting for
    the sweep and the nightly schedule. Returns (comments analysed, runs done)."""
    from feedback_service.analysis.comments.analyzer import current_analyzer
    from feedback_service.analysis.comments.service import ResponseFacts, write_analyses
    from feedback_service.analysis.models import CommentAnalysis
    from feedback_service.patterns import service as patterns

    analyzer = current_analyzer()
    done = set(session.scalars(select(CommentAnalysis.response_id)))
    pending = [
        r
        for r in session.scalars(
            select(Response)
            .where(Response.comment.is_not(None), Response.status == "confirmed")
            .order_by(Response.id)
        )
        if r.id not in done and (r.comment or "").strip()
    ]
    for start in range(0, len(pending), batch):
        facts = [ResponseFacts.of(r) for r in pending[start : start + batch]]
        results = analyzer.analyze_many([f.comment for f in facts], [f.ratings for f in facts])
        write_analyses(session, list(zip(facts, results, strict=True)))
    runs = 0
    for kind in (patterns.COMPLAINT_PATTERNS, patterns.PRODUCT_GAPS):
        run = patterns.create_run(session, kind, {}, trigger="schedule")
        patterns.start_run(session, run)
        emerging = patterns.compute_run(session, run)
        # As the scheduled task does: an emerging product gap raises an alert.
        patterns.alert_emerging(session, run, emerging)
        runs += 1
    return len(pending), runs


def raise_recent_alerts(session: Session, days: int = 2) -> int:
    """The alerts the last ``days`` of answers would have raised had they come in
    one by one (unhappy customers with a comment), through the alerts feature's
    own rule; its sweep delivers them (webhook / the lead's email) as usual."""
    from feedback_service.alerts.responses import alert_on_response

    since = utcnow() - dt.timedelta(days=days)
    raised = 0
    for response in session.scalars(
        select(Response).where(Response.submitted_at >= since, Response.comment.is_not(None))
    ):
        raised += alert_on_response(session, response) is not None
    return raised


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
    "reports now (a minute), so the whole dashboard is filled at once. "
    "rebuild: recompute the score rollups at once, set-based (seconds); the "
    "workers' sweep then runs the per-response processing. each: also send "
    "response_saved for every response now (minutes with the embedded broker). "
    "none: leave everything to the sweep.",
)
def demo_seed(days: int, agents: int, seed: int, password: str | None, process: str) -> None:
    """Seed teams, agents, customers, tickets, responses, comments and demo users."""
    session = get_session()
    try:
        summary = seed_demo(session, days=days, agents=agents, seed=seed, password=password)
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
        cells = rebuild_rollups(session)
        session.commit()
        click.echo(f"score rollups rebuilt ({cells} cells)")
    if process == "full":
        analysed, runs = analyse_and_find_patterns(session)
        alerts = raise_recent_alerts(session)
        session.commit()
        click.echo(
            f"{analysed} comments analysed, {runs} pattern reports computed, {alerts} alerts raised"
        )
    if process == "each":
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        sent, failed = process_seeded_responses(app, summary.response_ids)
        click.echo(
            f"processing started for {sent} responses"
            + (f"; {failed} left to the sweep" if failed else "")
        )
    elif process in ("rebuild", "none"):
        click.echo("the worker's sweep processes each response (comment analysis) shortly")
