"""What the workers derive from comments: the analysis of each comment, its
findings, people's labels, added categories, training and re-scoring runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
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
    # An imported row's identity (``labels.import_key``): the same row imported again,
    # a retried upload, is not stored twice. Null for corrections.
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
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
    # Comments labelled by the reason the customer chose (target head only, never
    # held back).
    stated_rows: Mapped[int | None] = mapped_column(Integer)
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
