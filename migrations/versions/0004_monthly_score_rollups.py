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
    month = (
        "date_trunc('month', day)::date"
        if op.get_bind().dialect.name == "postgresql"
        else "date(day, 'start of month')"
    )
    op.execute(
        "INSERT INTO score_rollups_monthly "  # noqa: S608 (a constant expression)
        "(month, agent_id, team_id, channel, survey_id, metric, value, count) "
        f"SELECT {month}, agent_id, team_id, channel, survey_id, metric, value, sum(count) "
        f"FROM score_rollups GROUP BY {month}, agent_id, team_id, channel, survey_id, metric, value"
    )


def downgrade() -> None:
    helpers.drop_indexes("score_rollups_monthly", MONTH_INDEX)
    op.drop_table("score_rollups_monthly")
