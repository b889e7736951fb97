"""pattern runs and their findings

Revision ID: 0006_pattern_runs
Revises: 0005_comment_notes
Create Date: 2026-12-02

Complaint-pattern and product-gap runs (queued, running, done, failed) with the
filters and data range they cover, and the rows of each run's report.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_pattern_runs"
down_revision: str | Sequence[str] | None = "0005_comment_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pattern_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("filter_key", sa.String(length=800), nullable=False),
        sa.Column("requested_from", sa.Date(), nullable=True),
        sa.Column("requested_to", sa.Date(), nullable=True),
        sa.Column("data_from", sa.Date(), nullable=False),
        sa.Column("data_to", sa.Date(), nullable=False),
        sa.Column("previous_from", sa.Date(), nullable=True),
        sa.Column("previous_to", sa.Date(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_runs")),
    )
    with op.batch_alter_table("pattern_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pattern_runs_lookup",
            ["kind", "filter_key", "status", "finished_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_pattern_runs_status"), ["status"], unique=False)

    op.create_table(
        "pattern_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=True),
        sa.Column("theme", sa.String(length=300), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["pattern_runs.id"],
            name=op.f("fk_pattern_findings_run_id_pattern_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_findings")),
    )
    with op.batch_alter_table("pattern_findings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pattern_findings_run_id_section", ["run_id", "section"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pattern_findings_agent"), ["agent"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pattern_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pattern_findings_agent"))
        batch_op.drop_index("ix_pattern_findings_run_id_section")
    op.drop_table("pattern_findings")
    with op.batch_alter_table("pattern_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pattern_runs_status"))
        batch_op.drop_index("ix_pattern_runs_lookup")
    op.drop_table("pattern_runs")
