"""monthly score rollups

Revision ID: 0004_monthly_rollups
Revises: 0003_score_rollups
Create Date: 2026-11-23

The daily score rollups summed by month, so a report over a year reads twelve
months of cells instead of a year of days. Filled by ``flask scores rebuild``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_monthly_rollups"
down_revision: str | Sequence[str] | None = "0003_score_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_rollups_monthly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_rollups_monthly")),
        sa.UniqueConstraint(
            "month",
            "agent_id",
            "team_id",
            "channel",
            "survey_id",
            "metric",
            "value",
            name=op.f(
                "uq_score_rollups_monthly_month_agent_id_team_id_channel_survey_id_metric_value"
            ),
        ),
    )
    with op.batch_alter_table("score_rollups_monthly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_score_rollups_monthly_metric_month", ["metric", "month"], unique=False
        )
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
    with op.batch_alter_table("score_rollups_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_score_rollups_monthly_metric_month")
    op.drop_table("score_rollups_monthly")
