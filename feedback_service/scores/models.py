"""What the scores feature keeps: the rollup families (each declared once here,
its tables, rebuild and PostgreSQL triggers derived by ``scores.declare``), what
each response contributes to the score rollups, score targets, and the stored
drivers runs."""

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
    and_,
    case,
    column,
    func,
    literal,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.db import Base, UTCDateTime, utcnow
from feedback_service.helpdesk.models import Ticket
from feedback_service.scores.declare import (
    Family,
    Grain,
    Key,
    Part,
    RollupModel,
    TriggerSet,
    utc_day,
)

# Rollup keys use non-null sentinels for "none" (no agent, no team, no channel):
# a NULL never equals another NULL, so a unique key with NULLs would let two rows
# for the same cell coexist on PostgreSQL and SQLite alike.
NO_ID = 0
NO_CHANNEL = ""
# Besides the four survey metrics, every confirmed response adds one count under
# this pseudo-metric, value 1 with a comment and 0 without: response and comment
# counts then come from the rollups too, exactly like the scores.
RESPONSES_METRIC = "responses"
SURVEY_METRICS = ("csat", "nps", "ces", "fcr")


def operational_fcr(contacts: Any, reopened: Any) -> ColumnElement[bool]:
    """Operational FCR, the desk's own: one contact and not reopened (a ticket
    whose contacts are unknown is not one). Over ``tickets`` columns or the
    copies kept on each answer; the ticket and FCR-gap rollups, their triggers
    and the reports all use this."""
    return and_(contacts <= 1, reopened.is_not(True))


def _sentinel(name: str, none: int | str) -> ColumnElement[Any]:
    return func.coalesce(column(name), none)


AGENT = Key("agent_id", Integer(), _sentinel("agent_id", NO_ID), NO_ID)
TEAM = Key("team_id", Integer(), _sentinel("team_id", NO_ID), NO_ID)
CHANNEL = Key("channel", String(40), _sentinel("channel", NO_CHANNEL), NO_CHANNEL)
SURVEY = Key("survey_id", Integer(), column("survey_id"))


# --- score rollups -------------------------------------------------------------------
# Kept by ``scores.rollups.apply_response`` in the task that processes an answer,
# from the answer's snapshot in ``applied_responses`` (the source here), on both
# databases. The grains without agent and channel (team) and without channel
# (agent) let the summary, the trends and the scorecards read fewer cells; the
# monthly ones let a year be read as twelve months.

SCORES = Family(
    name="scores",
    source="applied_responses",
    day=column("day"),
    where=None,
    # Snapshots hold the sentinels already.
    keys=(
        Key("agent_id", Integer(), column("agent_id"), NO_ID),
        Key("team_id", Integer(), column("team_id"), NO_ID),
        Key("channel", String(40), column("channel"), NO_CHANNEL),
        SURVEY,
        Key("metric", String(20)),
        Key("value", SmallInteger()),
    ),
    counts={"count": None},
    parts=(
        Part(
            {
                "metric": literal(RESPONSES_METRIC, String(20)),
                "value": case((column("commented"), 1), else_=0),
            }
        ),
        *(
            Part(
                {"metric": literal(metric, String(20)), "value": column(metric)},
                column(metric).is_not(None),
            )
            for metric in SURVEY_METRICS
        ),
    ),
    grains=(
        Grain("score_rollups", "day", indexes=(("metric", "day"), ("agent_id", "day"))),
        Grain("score_rollups_monthly", "month", indexes=(("metric", "month"),)),
        Grain(
            "score_rollups_agent",
            "day",
            ("agent_id", "team_id", "survey_id", "metric", "value"),
            covering=(("agent_id", "day"), ("day",)),
        ),
        Grain(
            "score_rollups_agent_monthly",
            "month",
            ("agent_id", "team_id", "survey_id", "metric", "value"),
        ),
        Grain(
            "score_rollups_team",
            "day",
            ("team_id", "survey_id", "metric", "value"),
            indexes=(("metric", "day"),),
        ),
        Grain(
            "score_rollups_team_monthly",
            "month",
            ("team_id", "survey_id", "metric", "value"),
            indexes=(("metric", "month"),),
        ),
    ),
)

# --- ticket rollups ------------------------------------------------------------------
# The summary's operational KPIs over the tickets closed in a range (migration
# 0009 says why): per closed day x agent x team x channel the counts behind
# volume, escalation, reopen and operational FCR rates; per closed day x team x
# duration kind, how many tickets fall in each log-spaced band of seconds
# (``ticket_duration_bucket``, 5% wide), from which the reports read exact
# percentiles band by band. Kept on PostgreSQL by triggers on ``tickets``;
# empty on SQLite, where the reports compute the ticket KPIs from the tickets.

TICKETS = Family(
    name="tickets",
    source="tickets",
    day=utc_day(column("closed_at")),
    where=column("closed_at").is_not(None),
    keys=(AGENT, TEAM, CHANNEL),
    counts={
        "tickets": None,
        "escalated_known": column("escalated").is_not(None),
        "escalated": column("escalated").is_(True),
        "reopened_known": column("reopened").is_not(None),
        "reopened": column("reopened").is_(True),
        "contacts_known": column("contacts").is_not(None),
        "operational_fcr": operational_fcr(column("contacts"), column("reopened")),
    },
    grains=(Grain("ticket_rollups", "day"), Grain("ticket_rollups_monthly", "month")),
)
TICKET_COUNTS = tuple(TICKETS.counts)

# The two durations whose median and p90 the summary reports: kind -> the
# ticket column that ends it (it starts when the ticket is opened).
DURATIONS = {"first_response": "first_response_at", "resolution": "resolved_at"}
DURATION_KINDS = tuple(DURATIONS)


def duration_band(later: Any, opened: Any) -> ColumnElement[int]:
    """The band of a duration: the SQL functions of migration 0009 (PostgreSQL)."""
    return func.ticket_duration_bucket(func.ticket_seconds(later, opened))


TICKET_DURATIONS = Family(
    name="ticket_durations",
    source="tickets",
    day=utc_day(column("closed_at")),
    where=column("closed_at").is_not(None),
    keys=(TEAM, Key("kind", String(20)), Key("bucket", Integer())),
    counts={"count": None},
    parts=tuple(
        Part(
            {
                "kind": literal(kind, String(20)),
                "bucket": duration_band(column(later), column("opened_at")),
            },
            func.ticket_seconds(column(later), column("opened_at")).is_not(None),
        )
        for kind, later in DURATIONS.items()
    ),
    grains=(
        Grain("ticket_duration_rollups", "day"),
        Grain("ticket_duration_rollups_monthly", "month"),
    ),
)

# --- invitation rollups --------------------------------------------------------------
# How many invitations were sent per sent day x agent x team x channel x survey
# (the response rate's denominator). Kept on PostgreSQL by triggers on
# ``invitations``, empty on SQLite.

INVITATIONS = Family(
    name="invitations",
    source="invitations",
    day=utc_day(column("sent_at")),
    where=column("sent_at").is_not(None),
    keys=(AGENT, TEAM, CHANNEL, SURVEY),
    counts={"sent": None},
    grains=(Grain("invitation_rollups", "day"), Grain("invitation_rollups_monthly", "month")),
)

# --- FCR-gap rollups -----------------------------------------------------------------
# Per answered day x agent x team x channel x survey: the confirmed answers with
# a customer FCR on a ticket whose contacts are known, how many said "resolved",
# how many the desk counts as first-contact resolutions, and how many of those
# the customer said were not. Read from the ticket factors copied onto each
# answer (migration 0014); kept on PostgreSQL by triggers on ``responses``,
# empty on SQLite, where the drivers report joins answers to tickets.

_DESK_FCR = operational_fcr(column("ticket_contacts"), column("ticket_reopened"))
FCR_GAPS = Family(
    name="fcr_gaps",
    source="responses",
    day=utc_day(column("submitted_at")),
    where=and_(
        column("status") == "confirmed",
        column("fcr").is_not(None),
        column("ticket_contacts").is_not(None),
    ),
    keys=(AGENT, TEAM, CHANNEL, SURVEY),
    counts={
        "answered": None,
        "said_yes": column("fcr") == 1,
        "desk_yes": _DESK_FCR,
        "desk_yes_said_no": and_(_DESK_FCR, column("fcr") != 1),
    },
    grains=(Grain("fcr_gap_rollups", "day"), Grain("fcr_gap_rollups_monthly", "month")),
)
FCR_GAP_COUNTS = tuple(FCR_GAPS.counts)

# The ticket factors on each answer (``responses.ticket_*``), re-copied from the
# tickets before the FCR-gap counts are rebuilt from them.
TICKET_FACTORS = {
    "ticket_contacts": "t.contacts",
    "ticket_escalated": "t.escalated",
    "ticket_reopened": "t.reopened",
    "ticket_first_response_seconds": "ticket_seconds(t.first_response_at, t.opened_at)",
    "ticket_resolution_seconds": "ticket_seconds(t.resolved_at, t.opened_at)",
}
_factors = ", ".join(TICKET_FACTORS.values())
COPY_TICKET_FACTORS = (
    f"UPDATE responses r SET ({', '.join(TICKET_FACTORS)}) = ({_factors}) "  # noqa: S608
    "FROM tickets t WHERE t.id = r.ticket_id "
    f"AND ({', '.join(f'r.{c}' for c in TICKET_FACTORS)}) IS DISTINCT FROM ({_factors});"
)

FAMILIES = (SCORES, TICKETS, TICKET_DURATIONS, INVITATIONS, FCR_GAPS)
# The families PostgreSQL keeps by triggers, grouped by the table that fires them.
TRIGGER_SETS = (
    TriggerSet(
        "ticket_rollups", "tickets", (TICKETS, TICKET_DURATIONS), ("tickets IN SHARE MODE",)
    ),
    TriggerSet("invitation_rollups", "invitations", (INVITATIONS,), ("invitations IN SHARE MODE",)),
    TriggerSet(
        "fcr_gap_rollups",
        "responses",
        (FCR_GAPS,),
        ("tickets IN SHARE MODE", "responses IN SHARE ROW EXCLUSIVE MODE"),
        prepare=COPY_TICKET_FACTORS,
    ),
)


def _table(family: Family, name: str) -> Any:
    return family.table(family.grain(name), Base.metadata)


# The mapped classes: each over the table its family's declaration gives.


class ScoreRollup(RollupModel):
    """How many confirmed answers had each value, per day x agent x team x channel
    x survey x metric: exact histograms, so every score is recomputed from counts."""

    __table__ = _table(SCORES, "score_rollups")


class MonthlyScoreRollup(RollupModel):
    __table__ = _table(SCORES, "score_rollups_monthly")


class AgentScoreRollup(RollupModel):
    __table__ = _table(SCORES, "score_rollups_agent")


class MonthlyAgentScoreRollup(RollupModel):
    __table__ = _table(SCORES, "score_rollups_agent_monthly")


class TeamScoreRollup(RollupModel):
    __table__ = _table(SCORES, "score_rollups_team")


class MonthlyTeamScoreRollup(RollupModel):
    __table__ = _table(SCORES, "score_rollups_team_monthly")


class TicketRollup(RollupModel):
    __table__ = _table(TICKETS, "ticket_rollups")


class MonthlyTicketRollup(RollupModel):
    __table__ = _table(TICKETS, "ticket_rollups_monthly")


class TicketDurationRollup(RollupModel):
    __table__ = _table(TICKET_DURATIONS, "ticket_duration_rollups")


class MonthlyTicketDurationRollup(RollupModel):
    __table__ = _table(TICKET_DURATIONS, "ticket_duration_rollups_monthly")


class InvitationRollup(RollupModel):
    __table__ = _table(INVITATIONS, "invitation_rollups")


class MonthlyInvitationRollup(RollupModel):
    __table__ = _table(INVITATIONS, "invitation_rollups_monthly")


class FcrGapRollup(RollupModel):
    __table__ = _table(FCR_GAPS, "fcr_gap_rollups")


class MonthlyFcrGapRollup(RollupModel):
    __table__ = _table(FCR_GAPS, "fcr_gap_rollups_monthly")


# The band reads of the exact percentiles: one band's closed tickets in a date
# range. PostgreSQL only (the SQL functions live there, with the triggers).
for _kind, _later in DURATIONS.items():
    Index(
        f"ix_tickets_{_kind}_band",
        duration_band(getattr(Ticket, _later), Ticket.opened_at),
        Ticket.closed_at,
        postgresql_where=Ticket.closed_at.is_not(None),
        # Covering, so reading a band is an index-only scan (migration 0010).
        postgresql_include=[_later, "opened_at", "team_id"],
    ).ddl_if(dialect="postgresql")


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
