"""monthly score rollups

Revision ID: 0004_monthly_rollups
Revises: 0003_score_rollups
Create Date: 2026-11-23

The daily score rollups summed by month, so a report over a year reads twelve
months of cells instead of a year of days. Filled by ``flask scores rebuild``.
"""

from collections.abc import Sequence

from alembic import op

from migrations import helpers

revision: str = "0004_monthly_rollups"
down_revision: str | Sequence[str] | None = "0003_score_rollups"


MONTH_INDEX = ("ix_score_rollups_monthly_metric_month", ["metric", "month"])


def upgrade() -> None:
    keys = ("agent_id", "team_id", "channel", "survey_id", "metric", "value")
    helpers.rollup_table("score_rollups_monthly", "month", keys, ["count"])
    helpers.create_indexes("score_rollups_monthly", MONTH_INDEX)
    # Existing daily cells, summed by month (empty on a fresh database).
    helpers.sum_cells(
        "score_rollups_monthly", "month", "score_rollups", helpers.month_of("day"), keys
    )


def downgrade() -> None:
    helpers.drop_indexes("score_rollups_monthly", MONTH_INDEX)
    op.drop_table("score_rollups_monthly")
