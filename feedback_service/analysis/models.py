"""What the workers derive from responses: the analysis of each comment, the score
rollups and what each response contributes to them, and score targets."""

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
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback_service.db import Base, UTCDateTime, utcnow
from feedback_service.helpdesk.models import Ticket


class CommentAnalysis(Base):
    __tablename__ = "comment_analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), unique=True)
    # Which version of the response's comment was analysed.
    response_version: Mapped[int] = mapped_column(default=1)
    model_version: Mapped[str] = mapped_column(String(80))
    language: Mapped[str | None] = mapped_column(String(10))
    supported: Mapped[bool] = mapped_column(Boolean, default=True)
    # positive, neutral, negative, mixed; null when the language is unsupported.
    sentiment: Mapped[str | None] = mapped_column(String(20), index=True)
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    # [{"target", "category", "confidence", "sentence", "sentiment"}], as corrected by
    # managers where they did: a corrected finding also carries "corrected": true and
    # "original" (what the model said; null for a finding a manager added).
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    key_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # ``sentiment`` above is what reports use: a manager's correction where there is
    # one. What the model said is kept here; ``corrected`` is true when any label
    # (comment sentiment or a finding) of ``comment_labels`` applies.
    model_sentiment: Mapped[str | None] = mapped_column(String(20))
    corrected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CommentFinding(Base):
    """One finding of a comment as a row: who or what one sentence is about.

    Written with ``comment_analyses.findings`` (same content, corrections applied)
    so reports and patterns filter and group by target and category with plain
    indexed SQL on PostgreSQL and SQLite alike. Agent, team and time are copied from
    the response (they never change after answering) so "categories per agent over
    a period" reads this table alone.
    """

    __tablename__ = "comment_findings"
    __table_args__ = (
        Index("ix_comment_findings_target_category", "target", "category"),
        Index("ix_comment_findings_agent_id_submitted_at", "agent_id", "submitted_at"),
        Index("ix_comment_findings_category_submitted_at", "category", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(
        ForeignKey("comment_analyses.id", ondelete="CASCADE"), index=True
    )
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    # Order of the finding within the comment (0-based).
    position: Mapped[int] = mapped_column(SmallInteger)
    target: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))
    # Null for a finding a manager added (no model confidence).
    confidence: Mapped[float | None] = mapped_column(Float)
    sentence: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(20))
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CommentLabel(Base):
    """A person's label: a manager's correction of one comment, or an imported row.

    Every row is training data (``text`` with the labels given) and, for a
    correction, also what the comment's analysis shows from then on: ``sentence``
    null means the comment as a whole (its sentiment), otherwise the sentence of
    the finding corrected or added. Later rows win; earlier ones stay as history.
    """

    __tablename__ = "comment_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "correction" (PATCH /comments/<id>) or "import" (POST /labels/import)
    source: Mapped[str] = mapped_column(String(20))
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    sentence: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # The training text: the sentence, or the whole comment for its sentiment.
    text: Mapped[str] = mapped_column(Text)
    # positive / neutral / negative (mixed only for a whole comment, not trained on)
    sentiment: Mapped[str | None] = mapped_column(String(20))
    target: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnalysisCategory(Base):
    """A category a manager added to the shipped taxonomy (text/taxonomy.py)."""

    __tablename__ = "analysis_categories"
    __table_args__ = (UniqueConstraint("target", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingRun(Base):
    """One retraining of the comment model (``flask analysis train``, the API job, or
    the scheduled adaptation to the deployment's rated comments, trigger ``ratings``):
    the candidate version, its figures on the held-back split next to the model that
    was active, and whether it was promoted."""

    __tablename__ = "analysis_training_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # queued, running, done, failed
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(200))
    candidate_version: Mapped[str | None] = mapped_column(String(80), index=True)
    promoted: Mapped[bool | None] = mapped_column(Boolean)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    current_version: Mapped[str | None] = mapped_column(String(80))
    current_metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    seed_rows: Mapped[int | None] = mapped_column(Integer)
    label_rows: Mapped[int | None] = mapped_column(Integer)
    train_rows: Mapped[int | None] = mapped_column(Integer)
    held_out_rows: Mapped[int | None] = mapped_column(Integer)
    # Rows labelled by the customer's own rating (never held back), and the highest
    # response id read for them: a scheduled adaptation counts the rated comments
    # above the last run's mark.
    rating_rows: Mapped[int | None] = mapped_column(Integer)
    ratings_through: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[list[str] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RescoreRun(Base):
    """A pass re-scoring every comment with the current model, batch by batch.

    ``cursor`` is the last response id done: each batch task is given the cursor it
    expects and does nothing if the run has moved past it (a re-delivered task), so
    the chain is resumable and touches every row once.
    """

    __tablename__ = "comment_rescore_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # running, done, failed
    status: Mapped[str] = mapped_column(String(20))
    model_version: Mapped[str] = mapped_column(String(80))
    batch_size: Mapped[int] = mapped_column(Integer)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    scanned: Mapped[int] = mapped_column(Integer, default=0)
    rescored: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


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
