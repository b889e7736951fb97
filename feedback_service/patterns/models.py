"""Stored pattern runs and their findings.

A run is one computation of one report (complaint patterns or product gaps)
over one data range and one set of filters. It is created ``queued`` (by a
refresh request or the scheduler), becomes ``running`` in a worker and ends
``done`` with its findings or ``failed`` with the error. Reports read the
latest ``done`` run matching their filters, so a failed or half-finished run
never replaces a good one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback_service.db import Base, UTCDateTime, utcnow

RUN_KINDS = ("complaint-patterns", "product-gaps")
RUN_STATUSES = ("queued", "running", "done", "failed")


class PatternRun(Base):
    __tablename__ = "pattern_runs"
    __table_args__ = (
        # "The latest done run of this kind, these filters and this range".
        Index("ix_pattern_runs_lookup", "kind", "filter_key", "status", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    # "api" (a refresh or an on-demand report) or "schedule".
    trigger: Mapped[str] = mapped_column(String(20), default="api")
    # The filters as the API names them ({"team": "tier-1", ...}), and a canonical
    # string of them for equality lookups (JSON equality is not portable).
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    filter_key: Mapped[str] = mapped_column(String(800), default="")
    # What was asked (null: the default window, relative to the run's day) ...
    requested_from: Mapped[dt.date | None] = mapped_column(Date)
    requested_to: Mapped[dt.date | None] = mapped_column(Date)
    # ... and the data range the findings cover (inclusive UTC days).
    data_from: Mapped[dt.date] = mapped_column(Date)
    data_to: Mapped[dt.date] = mapped_column(Date)
    # Complaint patterns compare with the period before, for the trend.
    previous_from: Mapped[dt.date | None] = mapped_column(Date)
    previous_to: Mapped[dt.date | None] = mapped_column(Date)
    # Settings and totals of the run (test family size, thresholds, weeks...).
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    findings: Mapped[list[PatternFinding]] = relationship(
        back_populates="run", order_by="PatternFinding.position", cascade="all, delete-orphan"
    )


class PatternFinding(Base):
    """One row of a run's report: a pattern, an agent's adjusted CSAT, or a theme.

    ``section`` is ``pattern`` (complaint and praise), ``adjusted_csat`` or
    ``theme``; ``agent`` and ``theme`` are kept as columns for drill-down, the
    row itself is the JSON the API serves.
    """

    __tablename__ = "pattern_findings"
    __table_args__ = (Index("ix_pattern_findings_run_id_section", "run_id", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pattern_runs.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    agent: Mapped[str | None] = mapped_column(String(200), index=True)
    theme: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    run: Mapped[PatternRun] = relationship(back_populates="findings")
