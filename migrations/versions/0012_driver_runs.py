"""driver runs

Revision ID: 0012_driver_runs
Revises: 0011_team_score_rollups
Create Date: 2026-12-02

The unfiltered drivers report, computed by a worker on the beat schedule and
served while fresh (``analysis.reports.DRIVER_RUN_MAX_AGE``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_driver_runs"
down_revision: str | Sequence[str] | None = "0011_team_score_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "driver_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driver_runs")),
    )
    with op.batch_alter_table("driver_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_driver_runs_computed_at"), ["computed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("driver_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_driver_runs_computed_at"))
    op.drop_table("driver_runs")
