"""pattern runs and their findings

Revision ID: 0006_pattern_runs
Revises: 0005_comment_notes
Create Date: 2026-12-02

Complaint-pattern and product-gap runs (queued, running, done, failed) with the
filters and data range they cover, and the rows of each run's report.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from migrations import helpers

revision: str = "0006_pattern_runs"
down_revision: str | Sequence[str] | None = "0005_comment_notes"


RUN_INDEXES = (
    ("ix_pattern_runs_lookup", ["kind", "filter_key", "status", "finished_at"]),
    "status",
)
FINDING_INDEXES = (("ix_pattern_findings_run_id_section", ["run_id", "section"]), "agent")


def upgrade() -> None:
    helpers.create_table(
        "pattern_runs",
        *helpers.strings(kind=40, status=20, trigger=20),
        *helpers.columns(sa.JSON, "filters"),
        *helpers.strings(filter_key=800),
        *helpers.columns(sa.Date, "requested_from", "requested_to", nullable=True),
        *helpers.columns(sa.Date, "data_from", "data_to"),
        *helpers.columns(sa.Date, "previous_from", "previous_to", nullable=True),
        *helpers.columns(sa.JSON, "summary"),
        *helpers.columns(sa.Text, "error", nullable=True),
        *helpers.timestamps("created_at"),
        *helpers.timestamps("started_at", "finished_at", nullable=True),
    )
    helpers.create_indexes("pattern_runs", *RUN_INDEXES)
    helpers.create_table(
        "pattern_findings",
        *helpers.columns(sa.Integer, "run_id"),
        *helpers.strings(section=20),
        *helpers.columns(sa.Integer, "position"),
        *helpers.strings(agent=200, theme=300, nullable=True),
        *helpers.columns(sa.JSON, "data"),
        helpers.foreign_key("pattern_findings", "run_id", "pattern_runs", ondelete="CASCADE"),
    )
    helpers.create_indexes("pattern_findings", *FINDING_INDEXES)


def downgrade() -> None:
    helpers.drop_table("pattern_findings", *FINDING_INDEXES)
    helpers.drop_table("pattern_runs", *RUN_INDEXES)
