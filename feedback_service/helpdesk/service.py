"""Upserting the helpdesk's teams, agents, customers and tickets by their own ids.

This runs on every dispatch call, so it is written for few round trips: one
SQLAlchemy ``INSERT .. ON CONFLICT .. DO UPDATE .. RETURNING`` per row, which
PostgreSQL and SQLite both run. Fields the helpdesk did not
send are passed as NULL and kept (COALESCE), so a partial payload never blanks
what an earlier one said, and two concurrent calls about the same ticket both
succeed and leave one row.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import Boolean, Executable, Table, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from feedback_service.cache import TTLCache, engine_key
from feedback_service.db import after_commit, insert_for, utcnow
from feedback_service.helpdesk.models import Agent, Customer, Team, Ticket

TICKET_TIMES = ("opened_at", "first_response_at", "resolved_at", "closed_at")


TEAMS: Table = Team.__table__  # type: ignore[assignment]
AGENTS: Table = Agent.__table__  # type: ignore[assignment]
CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
TICKETS: Table = Ticket.__table__  # type: ignore[assignment]

TEAM_GET = select(TEAMS.c.id).where(TEAMS.c.external_id == bindparam("external_id"))
AGENT_GET = select(AGENTS.c.id, AGENTS.c.team_id, AGENTS.c.name, AGENTS.c.email).where(
    AGENTS.c.external_id == bindparam("external_id")
)


def _kept(table: Table, excluded: Any, *names: str) -> dict[str, Any]:
    """``SET name = COALESCE(excluded.name, table.name)``: a field the helpdesk did
    not send (NULL) keeps what an earlier payload said."""
    return {name: func.coalesce(excluded[name], table.c[name]) for name in names}


# The upserts are built once per dialect (each has its own INSERT .. ON CONFLICT
# construct); SQLAlchemy compiles each once and caches it.
@functools.cache
def _team_insert(dialect: str) -> Executable:
    return (
        insert_for(dialect, TEAMS)
        .on_conflict_do_nothing(index_elements=[TEAMS.c.external_id])
        .returning(TEAMS.c.id)
    )


def _upsert(dialect: str, table: Table, kept: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    """INSERT a row named by its helpdesk ``external_id``, or update the ``kept``
    fields the payload sent (``_kept``) and ``updated_at``."""
    stmt = insert_for(dialect, table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.external_id],
        set_={**_kept(table, stmt.excluded, *kept), "updated_at": stmt.excluded.updated_at},
    ).returning(*(table.c[name] for name in returning))


@functools.cache
def _agent_upsert(dialect: str) -> Executable:
    kept = ("name", "email", "team_id")
    upsert: Executable = _upsert(dialect, AGENTS, kept, ("id", *kept))
    return upsert


@functools.cache
def _customer_upsert(dialect: str) -> Executable:
    returning = ("id", "email", "locale", "unsubscribed_at")
    upsert: Executable = _upsert(dialect, CUSTOMERS, ("email", "name", "locale"), returning)
    return upsert


@functools.cache
def _ticket_upsert(dialect: str) -> Executable:
    stmt = insert_for(dialect, TICKETS)
    new = stmt.excluded
    # A close time replaces the stored one when it is at least as good: the
    # helpdesk's own close time always (it may move when a ticket is closed again),
    # the resolve time over a dispatch time, and a dispatch time never moves once set.
    better_close = or_(
        TICKETS.c.closed_at.is_(None),
        new.closed_at_source == "closed_at",
        and_(
            new.closed_at_source == "resolved_at",
            func.coalesce(TICKETS.c.closed_at_source, "closed_at") == "dispatch",
        ),
    )
    kept = ("subject", "channel", "product", "opened_at", "first_response_at", "resolved_at")
    counted = ("contacts", "escalated", "reopened", "agent_id", "team_id", "customer_id")
    return stmt.on_conflict_do_update(
        index_elements=[TICKETS.c.source, TICKETS.c.external_id],
        set_={
            **_kept(TICKETS, new, *kept),
            # Tags sent (even empty) replace the stored ones; tags left out keep them.
            "tags": case((bindparam("has_tags", type_=Boolean), new.tags), else_=TICKETS.c.tags),
            "closed_at": case((better_close, new.closed_at), else_=TICKETS.c.closed_at),
            "closed_at_source": case(
                (better_close, new.closed_at_source), else_=TICKETS.c.closed_at_source
            ),
            **_kept(TICKETS, new, *counted),
            "updated_at": new.updated_at,
        },
    ).returning(TICKETS.c.id, TICKETS.c.channel)


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
    found = conn.execute(TEAM_GET, {"external_id": name}).scalar()
    if found is None:
        found = conn.execute(
            _team_insert(conn.dialect.name),
            {"external_id": name, "name": name, "created_at": utcnow()},
        ).scalar()
    if found is None:  # another request created it a moment ago
        found = conn.execute(TEAM_GET, {"external_id": name}).scalar()
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


def _row_values(data: dict[str, Any], fields: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    """An upserted row's values: the helpdesk's id, the ``fields`` of its payload
    (None where it sent nothing: the upsert keeps the stored value), ``extra``, now."""
    now = utcnow()
    sent = {field: data.get(field) for field in fields}
    return {"external_id": data["id"], **sent, **extra, "created_at": now, "updated_at": now}


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
            _agent_upsert(connection.dialect.name),
            _row_values(data, ("name", "email"), team_id=team_id),
        ).one()
    agent = AgentRow(row.id, row.team_id, row.name, row.email)
    after_commit(session, lambda: _agents.put(key, agent))
    return agent


def upsert_customer(session: Session, data: dict[str, Any]) -> CustomerRow:
    """Also locks an existing customer's row until commit, so the throttle rule
    sees concurrent dispatches to one customer one after the other."""
    connection = session.connection()
    row = connection.execute(
        _customer_upsert(connection.dialect.name),
        _row_values(data, ("email", "name", "locale")),
    ).one()
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
        "created_at": now,
        "updated_at": now,
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
    connection = session.connection()
    row = connection.execute(_ticket_upsert(connection.dialect.name), params).one()
    return TicketRow(row.id, row.channel)


def upsert_customer_and_ticket(
    session: Session,
    customer_data: dict[str, Any],
    ticket_data: dict[str, Any],
    *,
    source: str,
    agent: AgentRow | None,
) -> tuple[CustomerRow, TicketRow]:
    """``upsert_customer`` then ``upsert_ticket`` for that customer."""
    customer = upsert_customer(session, customer_data)
    ticket = upsert_ticket(session, ticket_data, source=source, agent=agent, customer=customer)
    return customer, ticket


# --- teams (the API) ----------------------------------------------------------------


class TeamView(TypedDict):
    external_id: str
    name: str
    lead_email: str | None
    agents: int


def list_teams(session: Session) -> list[TeamView]:
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


def team_view(session: Session, team: Team) -> TeamView:
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
