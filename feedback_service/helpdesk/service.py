"""Upserting the helpdesk's teams, agents, customers and tickets by their own ids.

This runs on every dispatch call, so it is written for few round trips and little
Python: prebuilt SQL that PostgreSQL and SQLite both understand
(INSERT .. ON CONFLICT .. DO UPDATE .. RETURNING). Fields the helpdesk did not
send are passed as NULL and kept (COALESCE), so a partial payload never blanks
what an earlier one said, and two concurrent calls about the same ticket both
succeed and leave one row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Boolean, TextClause, bindparam, func, select, text
from sqlalchemy.orm import Session

from feedback_service.cache import TTLCache, engine_key
from feedback_service.db import DriverStatement, UTCDateTime, after_commit, utcnow
from feedback_service.helpdesk.models import Agent, Team

TICKET_TIMES = ("opened_at", "first_response_at", "resolved_at", "closed_at")


def _stmt(sql: str, *times: str) -> TextClause:
    """A statement whose timestamp parameters go through UTCDateTime."""
    return text(sql).bindparams(*(bindparam(t, type_=UTCDateTime) for t in times))


TEAM_GET = text("SELECT id FROM teams WHERE external_id = :name")
TEAM_INSERT = _stmt(
    "INSERT INTO teams (external_id, name, created_at) VALUES (:name, :name, :now) "
    "ON CONFLICT (external_id) DO NOTHING RETURNING id",
    "now",
)
AGENT_GET = text("SELECT id, team_id, name, email FROM agents WHERE external_id = :external_id")
AGENT_UPSERT = _stmt(
    """
    INSERT INTO agents (external_id, name, email, team_id, created_at, updated_at)
    VALUES (:external_id, :name, :email, :team_id, :now, :now)
    ON CONFLICT (external_id) DO UPDATE SET
        name = COALESCE(excluded.name, agents.name),
        email = COALESCE(excluded.email, agents.email),
        team_id = COALESCE(excluded.team_id, agents.team_id),
        updated_at = excluded.updated_at
    RETURNING id, team_id, name, email
    """,
    "now",
)
# The customer and ticket upserts, as fragments: run one after the other (any
# database), or as one statement on PostgreSQL (``upsert_customer_and_ticket``).
_CUSTOMER_UPSERT = """
    INSERT INTO customers (external_id, email, name, locale, created_at, updated_at)
    VALUES ({external_id}, {email}, {name}, {locale}, :now, :now)
    ON CONFLICT (external_id) DO UPDATE SET
        email = COALESCE(excluded.email, customers.email),
        name = COALESCE(excluded.name, customers.name),
        locale = COALESCE(excluded.locale, customers.locale),
        updated_at = excluded.updated_at
    RETURNING id, email, locale, unsubscribed_at
"""
_TICKET_UPSERT = """
    INSERT INTO tickets (
        source, external_id, subject, channel, product, tags, opened_at,
        first_response_at, resolved_at, closed_at, closed_at_source, contacts, escalated,
        reopened, agent_id, team_id, customer_id, created_at, updated_at)
    VALUES (
        :source, :external_id, :subject, :channel, :product, :tags, :opened_at,
        :first_response_at, :resolved_at, :closed_at, :closed_at_source, :contacts, :escalated,
        :reopened,
        :agent_id, :team_id, {customer_id}, :now, :now)
    ON CONFLICT (source, external_id) DO UPDATE SET
        subject = COALESCE(excluded.subject, tickets.subject),
        channel = COALESCE(excluded.channel, tickets.channel),
        product = COALESCE(excluded.product, tickets.product),
        tags = CASE WHEN :has_tags THEN excluded.tags ELSE tickets.tags END,
        opened_at = COALESCE(excluded.opened_at, tickets.opened_at),
        first_response_at = COALESCE(excluded.first_response_at, tickets.first_response_at),
        resolved_at = COALESCE(excluded.resolved_at, tickets.resolved_at),
        closed_at = CASE WHEN {better_close} THEN excluded.closed_at
                         ELSE tickets.closed_at END,
        closed_at_source = CASE WHEN {better_close} THEN excluded.closed_at_source
                                ELSE tickets.closed_at_source END,
        contacts = COALESCE(excluded.contacts, tickets.contacts),
        escalated = COALESCE(excluded.escalated, tickets.escalated),
        reopened = COALESCE(excluded.reopened, tickets.reopened),
        agent_id = COALESCE(excluded.agent_id, tickets.agent_id),
        team_id = COALESCE(excluded.team_id, tickets.team_id),
        customer_id = COALESCE(excluded.customer_id, tickets.customer_id),
        updated_at = excluded.updated_at
    RETURNING id, channel
"""
# A close time replaces the stored one when it is at least as good: the helpdesk's
# own close time always (it may move when a ticket is closed again), the resolve
# time over a dispatch time, and a dispatch time never moves once set.
_BETTER_CLOSE = (
    "(tickets.closed_at IS NULL OR excluded.closed_at_source = 'closed_at' "
    "OR (excluded.closed_at_source = 'resolved_at' "
    "AND COALESCE(tickets.closed_at_source, 'closed_at') = 'dispatch'))"
)
_TICKET_PARAMS = (
    bindparam("has_tags", type_=Boolean),
    bindparam("tags", type_=JSON),
    bindparam("escalated", type_=Boolean),
    bindparam("reopened", type_=Boolean),
)

CUSTOMER_UPSERT = _stmt(
    _CUSTOMER_UPSERT.format(
        external_id=":external_id", email=":email", name=":name", locale=":locale"
    ),
    "now",
).columns(unsubscribed_at=UTCDateTime)
TICKET_UPSERT = _stmt(
    _TICKET_UPSERT.format(customer_id=":customer_id", better_close=_BETTER_CLOSE),
    "now",
    *TICKET_TIMES,
).bindparams(*_TICKET_PARAMS)
# PostgreSQL: both in one round trip (data-modifying CTEs). The customer's row is
# locked first, as when they run apart; the dispatch rules are evaluated by the
# next statement, whose snapshot is taken after that lock was granted.
CUSTOMER_AND_TICKET_UPSERT_PG = DriverStatement(
    _stmt(
        "WITH customer AS ("  # noqa: S608 (constant fragments above; no input)
        + _CUSTOMER_UPSERT.format(
            external_id=":customer_external_id",
            email=":customer_email",
            name=":customer_name",
            locale=":customer_locale",
        )
        + "), ticket AS ("
        + _TICKET_UPSERT.format(customer_id="(SELECT id FROM customer)", better_close=_BETTER_CLOSE)
        + """)
    SELECT customer.id AS customer_id, customer.email, customer.locale,
           customer.unsubscribed_at, ticket.id AS ticket_id, ticket.channel
    FROM customer, ticket
    """,
        "now",
        *TICKET_TIMES,
    )
    .bindparams(*_TICKET_PARAMS)
    .columns(unsubscribed_at=UTCDateTime)
)

# Team and agent rows change rarely and are named on every call: remember them.
_team_ids: TTLCache[tuple[str, str], int] = TTLCache(ttl_seconds=300)
_agents: TTLCache[tuple[str, str], AgentRow] = TTLCache(ttl_seconds=60, max_entries=20_000)


@dataclass(frozen=True)
class AgentRow:
    id: int
    team_id: int | None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class CustomerRow:
    id: int
    email: str | None
    locale: str | None
    unsubscribed_at: dt.datetime | None


@dataclass(frozen=True)
class TicketRow:
    id: int
    channel: str | None


def team_id_for(session: Session, name: str) -> int:
    key = (engine_key(session), name)
    known = _team_ids.get(key)
    if known is not None:
        return known
    conn = session.connection()
    found = conn.execute(TEAM_GET, {"name": name}).scalar()
    if found is None:
        found = conn.execute(TEAM_INSERT, {"name": name, "now": utcnow()}).scalar()
    if found is None:  # another request created it a moment ago
        found = conn.execute(TEAM_GET, {"name": name}).scalar()
    team_id = int(found)  # type: ignore[arg-type]
    # Remembered only once committed: a rolled-back insert must not be cached.
    after_commit(session, lambda: _team_ids.put(key, team_id))
    return team_id


def _agent_unchanged(agent: AgentRow | Any, data: dict[str, Any], team_id: int | None) -> bool:
    """Whether the payload says nothing new about ``agent`` (absent fields keep)."""
    return (
        data.get("name") in (None, agent.name)
        and data.get("email") in (None, agent.email)
        and team_id in (None, agent.team_id)
    )


def upsert_agent(session: Session, data: dict[str, Any]) -> AgentRow:
    team_id = team_id_for(session, data["team"]) if data.get("team") else None
    key = (engine_key(session), data["id"])
    known = _agents.get(key)
    if known is not None and _agent_unchanged(known, data, team_id):
        return known
    connection = session.connection()
    # Read first: an upsert locks the agent's row until commit even when it
    # changes nothing, and every ticket an agent closes names them, so a burst of
    # dispatches for one agent would queue behind each other on that lock.
    row = connection.execute(AGENT_GET, {"external_id": data["id"]}).first()
    if row is None or not _agent_unchanged(row, data, team_id):
        row = connection.execute(
            AGENT_UPSERT,
            {
                "external_id": data["id"],
                "name": data.get("name"),
                "email": data.get("email"),
                "team_id": team_id,
                "now": utcnow(),
            },
        ).one()
    agent = AgentRow(row.id, row.team_id, row.name, row.email)
    after_commit(session, lambda: _agents.put(key, agent))
    return agent


def upsert_customer(session: Session, data: dict[str, Any]) -> CustomerRow:
    """Also locks an existing customer's row until commit, so the throttle rule
    sees concurrent dispatches to one customer one after the other."""
    row = (
        session.connection()
        .execute(
            CUSTOMER_UPSERT,
            {
                "external_id": data["id"],
                "email": data.get("email"),
                "name": data.get("name"),
                "locale": data.get("locale"),
                "now": utcnow(),
            },
        )
        .one()
    )
    return CustomerRow(row.id, row.email, row.locale, row.unsubscribed_at)


def _ticket_params(
    data: dict[str, Any], source: str, agent: AgentRow | None, now: dt.datetime
) -> dict[str, Any]:
    tags = data.get("tags")
    params: dict[str, Any] = {
        "source": source,
        "external_id": data["id"],
        "subject": data.get("subject"),
        "channel": data.get("channel"),
        "product": data.get("product"),
        "tags": tags if tags is not None else [],
        "has_tags": tags is not None,
        "contacts": data.get("contacts"),
        "escalated": data.get("escalated"),
        "reopened": data.get("reopened"),
        "agent_id": agent.id if agent else None,
        "team_id": agent.team_id if agent else None,
        "now": now,
    }
    for name in TICKET_TIMES:
        params[name] = data.get(name)
    params["closed_at"], params["closed_at_source"] = close_time(data, now)
    return params


CLOSE_SOURCES = ("closed_at", "resolved_at", "dispatch")


def close_time(data: dict[str, Any], now: dt.datetime) -> tuple[dt.datetime, str]:
    """When the ticket counts as closed, and why: the helpdesk's ``closed_at``,
    else its ``resolved_at``, else now (the helpdesk reports the closure by
    calling us). Reports count tickets closed by this time."""
    if data.get("closed_at") is not None:
        return data["closed_at"], "closed_at"
    if data.get("resolved_at") is not None:
        return data["resolved_at"], "resolved_at"
    return now, "dispatch"


def upsert_ticket(
    session: Session,
    data: dict[str, Any],
    *,
    source: str,
    agent: AgentRow | None,
    customer: CustomerRow | None,
) -> TicketRow:
    params = _ticket_params(data, source, agent, utcnow())
    params["customer_id"] = customer.id if customer else None
    row = session.connection().execute(TICKET_UPSERT, params).one()
    return TicketRow(row.id, row.channel)


def upsert_customer_and_ticket(
    session: Session,
    customer_data: dict[str, Any],
    ticket_data: dict[str, Any],
    *,
    source: str,
    agent: AgentRow | None,
) -> tuple[CustomerRow, TicketRow]:
    """``upsert_customer`` then ``upsert_ticket`` for that customer: one statement
    on PostgreSQL, two elsewhere (SQLite has no INSERT inside WITH)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        customer = upsert_customer(session, customer_data)
        ticket = upsert_ticket(session, ticket_data, source=source, agent=agent, customer=customer)
        return customer, ticket
    params = _ticket_params(ticket_data, source, agent, utcnow())
    params.update(
        customer_external_id=customer_data["id"],
        customer_email=customer_data.get("email"),
        customer_name=customer_data.get("name"),
        customer_locale=customer_data.get("locale"),
    )
    row = CUSTOMER_AND_TICKET_UPSERT_PG.first(connection, params)
    assert row is not None  # an upsert always returns its row
    return (
        CustomerRow(row["customer_id"], row["email"], row["locale"], row["unsubscribed_at"]),
        TicketRow(row["ticket_id"], row["channel"]),
    )


# --- teams (the API) ----------------------------------------------------------------


def list_teams(session: Session) -> list[dict[str, Any]]:
    counts = dict(
        session.execute(
            select(Agent.team_id, func.count(Agent.id))
            .where(Agent.team_id.is_not(None))
            .group_by(Agent.team_id)
        ).all()
    )
    return [
        {
            "external_id": team.external_id,
            "name": team.name,
            "lead_email": team.lead_email,
            "agents": int(counts.get(team.id, 0)),
        }
        for team in session.scalars(select(Team).order_by(Team.external_id))
    ]


def team_view(session: Session, team: Team) -> dict[str, Any]:
    agents = session.scalar(select(func.count(Agent.id)).where(Agent.team_id == team.id))
    return {
        "external_id": team.external_id,
        "name": team.name,
        "lead_email": team.lead_email,
        "agents": int(agents or 0),
    }


def put_team(session: Session, external_id: str, data: dict[str, Any]) -> tuple[Team, bool]:
    """Create or update the team the helpdesk names ``external_id``; (team, created).

    Fields left out keep their value, so a lead can be set before any dispatch
    names the team, and a dispatch naming it later finds it.
    """
    created = session.scalar(select(Team.id).where(Team.external_id == external_id)) is None
    # The dispatch path's INSERT .. ON CONFLICT: a dispatch naming the team at the
    # same moment cannot make a second row.
    team_id = team_id_for(session, external_id)
    team = session.get_one(Team, team_id, with_for_update=True, populate_existing=True)
    if "name" in data:
        team.name = data["name"]
    if "lead_email" in data:
        team.lead_email = data["lead_email"]
    session.flush()
    return team, created
