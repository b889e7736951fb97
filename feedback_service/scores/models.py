"""What the scores feature keeps: the score rollups and what each response
contributes to them, the ticket, invitation and FCR-gap rollups, score targets,
and the stored drivers runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback_service.db import Base, UTCDateTime, utcnow
from feedback_service.helpdesk.models import Ticket

# --- score rollups ----------------------------------------------------------------

# Rollup keys use non-null sentinels for "none" (no agent, no team, no channel):
# a NULL never equals another NULL, so a unique key with NULLs would let two rows
# for the same cell coexist on PostgreSQL and SQLite alike.
NO_ID = 0
NO_CHANNEL = ""
# Besides the four survey metrics, every confirmed response adds one count under
# this pseudo-metric, value 1 with a comment and 0 without: response and comment
# counts then come from the rollups too, exactly like the scores.
RESPONSES_METRIC = "responses"


class ScoreRollup(Base):
    """How many confirmed answers had each value, per day x agent x team x channel x
    survey x metric: exact histograms, so every score is recomputed from counts."""

    __tablename__ = "score_rollups"
    __table_args__ = (
        UniqueConstraint("day", "agent_id", "team_id", "channel", "survey_id", "metric", "value"),
        # Reports filter by metric and a date range and group by agent or value.
        Index("ix_score_rollups_metric_day", "metric", "day"),
        Index("ix_score_rollups_agent_id_day", "agent_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    channel: Mapped[str] = mapped_column(String(40), default=NO_CHANNEL)
    survey_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyScoreRollup(Base):
    """``score_rollups`` summed by calendar month (``month`` is its first day).

    Kept alongside the daily cells in the same transaction: a year of daily
    cells is nearly as many rows as the responses themselves (every agent x
    channel x survey x value on every day), so whole months are read from here
    and only the partial months at the ends of a range from the daily table.
    """

    __tablename__ = "score_rollups_monthly"
    __table_args__ = (
        UniqueConstraint("month", "agent_id", "team_id", "channel", "survey_id", "metric", "value"),
        Index("ix_score_rollups_monthly_metric_month", "metric", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    channel: Mapped[str] = mapped_column(String(40), default=NO_CHANNEL)
    survey_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer, default=0)


class TeamScoreRollup(Base):
    """``score_rollups`` without the agent and channel: per day x team x survey x
    metric x value. Reports without an agent or channel filter (the summary,
    the trends) read these few cells instead of every agent's and channel's.
    Kept in the same transaction as the daily and monthly cells."""

    __tablename__ = "score_rollups_team"
    __table_args__ = (
        UniqueConstraint("day", "team_id", "survey_id", "metric", "value"),
        Index("ix_score_rollups_team_metric_day", "metric", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    survey_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyTeamScoreRollup(Base):
    """``score_rollups_team`` summed by calendar month."""

    __tablename__ = "score_rollups_team_monthly"
    __table_args__ = (
        UniqueConstraint("month", "team_id", "survey_id", "metric", "value"),
        Index("ix_score_rollups_team_monthly_metric_month", "metric", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    survey_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AgentScoreRollup(Base):
    """``score_rollups`` without the channel: per day x agent x team x survey x
    metric x value, for the scorecards and one agent's trend when no channel is
    asked for (a quarter of the cells). Kept like the team cells."""

    __tablename__ = "score_rollups_agent"
    __table_args__ = (
        UniqueConstraint("day", "agent_id", "team_id", "survey_id", "metric", "value"),
        # Covering on PostgreSQL (migration 0013): the reports' reads are index-only.
        Index(
            "ix_score_rollups_agent_agent_id_day",
            "agent_id",
            "day",
            postgresql_include=["team_id", "survey_id", "metric", "value", "count"],
        ),
        Index(
            "ix_score_rollups_agent_day",
            "day",
            postgresql_include=["agent_id", "team_id", "survey_id", "metric", "value", "count"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    survey_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyAgentScoreRollup(Base):
    """``score_rollups_agent`` summed by calendar month."""

    __tablename__ = "score_rollups_agent_monthly"
    __table_args__ = (
        UniqueConstraint("month", "agent_id", "team_id", "survey_id", "metric", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    survey_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AppliedResponse(Base):
    """What one response currently contributes to ``score_rollups``.

    The snapshot of the last application: an amended response subtracts exactly
    this and adds its new answers; a re-delivered task finds the same version and
    does nothing. Typed columns rather than JSON so ``flask scores rebuild`` can
    rewrite every snapshot with one INSERT .. SELECT. Kept beside the response
    (not on it) because analysis reads the surveys feature and never writes its
    tables' shape. No row means nothing is applied (e.g. still provisional).
    """

    __tablename__ = "applied_responses"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(40))
    survey_id: Mapped[int] = mapped_column(Integer)
    csat: Mapped[int | None] = mapped_column(SmallInteger)
    nps: Mapped[int | None] = mapped_column(SmallInteger)
    ces: Mapped[int | None] = mapped_column(SmallInteger)
    fcr: Mapped[int | None] = mapped_column(SmallInteger)
    commented: Mapped[bool] = mapped_column(Boolean)


class ScoreTarget(Base):
    """A goal for one metric: for everyone, a team or an agent (most specific wins).

    ``team_id``/``agent_id`` use the sentinel 0 for "any", for the same reason
    as the rollups: the unique key must hold with "none" in it.
    """

    __tablename__ = "score_targets"
    __table_args__ = (UniqueConstraint("metric", "team_id", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    # On the metric's reporting scale: percent for CSAT/FCR, -100..100 NPS, 1..7 CES.
    value: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- ticket rollups ---------------------------------------------------------------
# Kept on PostgreSQL by triggers on ``tickets`` (migration 0009_ticket_rollups
# says why), rebuilt by ``flask scores rebuild``; empty on SQLite, where the
# reports compute the ticket KPIs from the tickets.

TICKET_COUNTS = (
    "tickets",
    "escalated_known",
    "escalated",
    "reopened_known",
    "reopened",
    "contacts_known",
    "operational_fcr",
)
# The two durations whose median and p90 the summary reports.
DURATION_KINDS = ("first_response", "resolution")


class _TicketCounts:
    """The cell key (agent x team x channel) and the counts shared by the daily and
    monthly ticket rollups; ``TICKET_COUNTS`` names the counts."""

    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    channel: Mapped[str] = mapped_column(String(40), default=NO_CHANNEL)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    escalated_known: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    reopened_known: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    contacts_known: Mapped[int] = mapped_column(Integer, default=0)
    operational_fcr: Mapped[int] = mapped_column(Integer, default=0)


class TicketRollup(_TicketCounts, Base):
    """Per closed day x agent x team x channel: tickets closed, how many with each
    of escalated / reopened / contacts known, how many escalated, reopened, and
    resolved at first contact (one contact, not reopened)."""

    __tablename__ = "ticket_rollups"
    __table_args__ = (UniqueConstraint("day", "agent_id", "team_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)


class MonthlyTicketRollup(_TicketCounts, Base):
    """``ticket_rollups`` summed by calendar month (``month`` is its first day)."""

    __tablename__ = "ticket_rollups_monthly"
    __table_args__ = (UniqueConstraint("month", "agent_id", "team_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)


class TicketDurationRollup(Base):
    """Per closed day x team x duration kind: how many tickets fall in each
    log-spaced band of seconds (``ticket_duration_bucket``, 5% wide). Only counts:
    the percentiles themselves are read exactly from the one band that holds them."""

    __tablename__ = "ticket_duration_rollups"
    __table_args__ = (UniqueConstraint("day", "team_id", "kind", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    kind: Mapped[str] = mapped_column(String(20))
    bucket: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyTicketDurationRollup(Base):
    """``ticket_duration_rollups`` summed by calendar month."""

    __tablename__ = "ticket_duration_rollups_monthly"
    __table_args__ = (UniqueConstraint("month", "team_id", "kind", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    kind: Mapped[str] = mapped_column(String(20))
    bucket: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)


def _band(later: Any) -> Any:
    return func.ticket_duration_bucket(func.ticket_seconds(later, Ticket.opened_at))


# The band reads of the exact percentiles: one band's closed tickets in a date
# range. PostgreSQL only (the SQL functions live there, with the triggers).
for _kind, _later in (
    ("first_response", Ticket.first_response_at),
    ("resolution", Ticket.resolved_at),
):
    Index(
        f"ix_tickets_{_kind}_band",
        _band(_later),
        Ticket.closed_at,
        postgresql_where=Ticket.closed_at.is_not(None),
        # Covering, so reading a band is an index-only scan (migration 0010).
        postgresql_include=[_later.key, "opened_at", "team_id"],
    ).ddl_if(dialect="postgresql")


class InvitationRollup(Base):
    """How many invitations were sent per sent day x agent x team x channel x
    survey (the response rate's denominator). Kept on PostgreSQL by triggers on
    ``invitations`` (migration 0010), empty on SQLite."""

    __tablename__ = "invitation_rollups"
    __table_args__ = (UniqueConstraint("day", "agent_id", "team_id", "channel", "survey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    channel: Mapped[str] = mapped_column(String(40), default=NO_CHANNEL)
    survey_id: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyInvitationRollup(Base):
    """``invitation_rollups`` summed by calendar month."""

    __tablename__ = "invitation_rollups_monthly"
    __table_args__ = (UniqueConstraint("month", "agent_id", "team_id", "channel", "survey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    channel: Mapped[str] = mapped_column(String(40), default=NO_CHANNEL)
    survey_id: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer, default=0)


# --- FCR-gap rollups -----------------------------------------------------------
# Kept on PostgreSQL by triggers on ``responses`` (migration 0014, with the ticket
# factors copied onto each answer), rebuilt by ``flask scores rebuild``; empty on
# SQLite, where the drivers report joins answers to tickets.

FCR_GAP_COUNTS = ("answered", "said_yes", "desk_yes", "desk_yes_said_no")


class _FcrGapCounts:
    """The cell key and the counts shared by the daily and monthly FCR-gap rollups:
    confirmed answers with a customer FCR on a ticket whose contacts are known,
    how many said "resolved", how many the desk counts as first-contact
    resolutions (one contact, not reopened), and how many of those said not."""

    agent_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_ID)
    channel: Mapped[str] = mapped_column(String(40), default=NO_CHANNEL)
    survey_id: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    said_yes: Mapped[int] = mapped_column(Integer, default=0)
    desk_yes: Mapped[int] = mapped_column(Integer, default=0)
    desk_yes_said_no: Mapped[int] = mapped_column(Integer, default=0)


class FcrGapRollup(_FcrGapCounts, Base):
    """Per answered day x agent x team x channel x survey."""

    __tablename__ = "fcr_gap_rollups"
    __table_args__ = (UniqueConstraint("day", "agent_id", "team_id", "channel", "survey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)


class MonthlyFcrGapRollup(_FcrGapCounts, Base):
    """``fcr_gap_rollups`` summed by calendar month."""

    __tablename__ = "fcr_gap_rollups_monthly"
    __table_args__ = (UniqueConstraint("month", "agent_id", "team_id", "channel", "survey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)


class DriverRun(Base):
    """The drivers report over all the data (no filters), computed by a worker on
    the beat schedule and served with its ``computed_at``: the regression and the
    FCR gaps join every answered response to its ticket, an analysis rather than
    a lookup, so the unfiltered report is read from here while it is fresh."""

    __tablename__ = "driver_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    seconds: Mapped[float] = mapped_column(Float)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
