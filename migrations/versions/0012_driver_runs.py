"""driver runs

Revision ID: 0012_driver_runs
Revises: 0011_team_score_rollups
Create Date: 2026-12-02

The unfiltered drivers report, computed by a worker on the beat schedule and
served while fresh (``analysis.reports.DRIVER_RUN_MAX_AGE``).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from migrations import helpers

revision: str = "0012_driver_runs"
down_revision: str | Sequence[str] | None = "0011_team_score_rollups"


def upgrade() -> None:
    helpers.create_table(
        "driver_runs",
        *helpers.timestamps("computed_at"),
        *helpers.columns(sa.Float, "seconds"),
        *helpers.columns(sa.JSON, "report"),
    )
    helpers.create_indexes("driver_runs", "computed_at")


def downgrade() -> None:
    helpers.drop_table("driver_runs", "computed_at")
