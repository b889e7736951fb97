"""Report filters: what a report may ask for, resolved to our own ids, and the
same filters as SQL conditions on responses, tickets and the rollup tables.

Dates: ``start``/``end`` are inclusive UTC calendar days. Survey scores count
responses by the day they were submitted; ticket KPIs count tickets by the day
they were closed; the response rate divides responses submitted in the range by
invitations sent in the range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.db import equal_to
from feedback_service.errors import ValidationError
from feedback_service.helpdesk.lookup import FilterLookup
from feedback_service.helpdesk.models import Agent, Team, Ticket
from feedback_service.scores.models import MonthlyScoreRollup, ScoreRollup
from feedback_service.surveys.models import Invitation, Response, Survey

METRICS = ("csat", "nps", "ces", "fcr")


@dataclass(frozen=True)
class Filters:
    """Report filters resolved to our own ids (helpdesk ids are strings)."""

    start: dt.date | None = None
    end: dt.date | None = None
    team_id: int | None = None
    agent_id: int | None = None
    channel: str | None = None
    survey_id: int | None = None

    def start_time(self) -> dt.datetime | None:
        if self.start is None:
            return None
        return dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)

    def end_time(self) -> dt.datetime | None:
        """Exclusive upper bound: midnight after the last day."""
        if self.end is None:
            return None
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def resolve_filters(session: Session, args: dict[str, Any]) -> Filters:
    """Query arguments -> ``Filters``; 422 naming the field for unknown ids."""
    lookup = FilterLookup(session, args)
    errors = lookup.errors
    start, end = args.get("from"), args.get("to")
    team_id = lookup.id_of("team", Team.external_id, Team.id)
    agent_id = lookup.id_of("agent", Agent.external_id, Agent.id)
    survey_id = lookup.id_of("survey", Survey.key, Survey.id)
    if errors:
        raise ValidationError("Invalid report filters: " + ", ".join(sorted(errors)), fields=errors)
    return Filters(start, end, team_id, agent_id, args.get("channel"), survey_id)


RollupTable = type[ScoreRollup] | type[MonthlyScoreRollup]


def rollup_conditions(
    table: Any, first: dt.date | None, last: dt.date | None, f: Filters, *, by_survey: bool = True
) -> list[ColumnElement[bool]]:
    """The range and filters over a rollup table (daily ``day`` or monthly ``month``);
    ``by_survey=False`` for the ticket rollups, which have no survey."""
    date = table.month if hasattr(table, "month") else table.day
    conditions: list[ColumnElement[bool]] = []
    if first is not None:
        conditions.append(date >= first)
    if last is not None:
        conditions.append(date <= last)
    conditions += equal_to(table, team_id=f.team_id, agent_id=f.agent_id, channel=f.channel)
    if by_survey:
        conditions += equal_to(table, survey_id=f.survey_id)
    return conditions


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def rollup_pieces(
    start: dt.date | None, end: dt.date | None
) -> list[tuple[RollupTable, dt.date | None, dt.date | None]]:
    """Cover ``[start, end]`` with whole months from the monthly table and the
    partial months at either end from the daily one (None is an open end)."""
    first_full = start if start is None or start.day == 1 else _next_month(start)
    if end is None:
        last_full: dt.date | None = None
    elif (end + dt.timedelta(days=1)).day == 1:
        last_full = end.replace(day=1)
    else:
        last_full = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if first_full is not None and last_full is not None and first_full > last_full:
        return [(ScoreRollup, start, end)]
    pieces: list[tuple[RollupTable, dt.date | None, dt.date | None]] = [
        (MonthlyScoreRollup, first_full, last_full)
    ]
    if start is not None and first_full is not None and start < first_full:
        pieces.append((ScoreRollup, start, first_full - dt.timedelta(days=1)))
    if end is not None and last_full is not None and end >= _next_month(last_full):
        pieces.append((ScoreRollup, _next_month(last_full), end))
    return pieces


def column_conditions(
    f: Filters,
    when: Any,
    team: Any,
    agent: Any,
    channel: Any | None = None,
    survey: Any | None = None,
) -> list[ColumnElement[bool]]:
    """The report's filters on a table's own columns: ``when`` in the range, and
    its team, agent, channel and survey (a filter on a column not given is not
    applied: the table does not carry it)."""
    conditions: list[ColumnElement[bool]] = []
    if f.start_time() is not None:
        conditions.append(when >= f.start_time())
    if f.end_time() is not None:
        conditions.append(when < f.end_time())
    wanted: list[tuple[Any, object]] = [
        (team, f.team_id),
        (agent, f.agent_id),
        (channel, f.channel),
        (survey, f.survey_id),
    ]
    for column, value in wanted:
        if column is not None and value is not None:
            conditions.append(column == value)
    return conditions


def response_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """The confirmed responses under the report's filters (what every score reads)."""
    return [Response.status == "confirmed", *filter_conditions(f)]


def filter_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """The report's filters on responses, whatever their status."""
    r = Response
    return column_conditions(f, r.submitted_at, r.team_id, r.agent_id, r.channel, r.survey_id)


def ticket_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """The tickets closed in the range under the report's filters."""
    t = Ticket
    conditions = [
        t.closed_at.is_not(None),
        *column_conditions(f, t.closed_at, t.team_id, t.agent_id, t.channel),
    ]
    if f.survey_id is not None:
        # Tickets have no survey; the filter means "tickets invited to it".
        conditions.append(
            t.id.in_(select(Invitation.ticket_id).where(Invitation.survey_id == f.survey_id))
        )
    return conditions


def team_choices(session: Session, team_ids: frozenset[int] | None) -> list[tuple[str, str]]:
    """``(external id, name)`` of the teams a report may be filtered to, by name:
    every team (``None``), or these."""
    stmt = select(Team.external_id, Team.name).order_by(Team.name)
    if team_ids is not None:
        stmt = stmt.where(Team.id.in_(sorted(team_ids)))
    return [(ext, name) for ext, name in session.execute(stmt)]


def team_id(session: Session, external_id: str) -> int | None:
    return session.scalar(select(Team.id).where(Team.external_id == external_id))
