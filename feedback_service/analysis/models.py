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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback_service.db import Base, UTCDateTime, utcnow


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
    # [{"target", "category", "confidence", "sentence", "sentiment"}]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    key_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


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
