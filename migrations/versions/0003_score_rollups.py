"""score rollups, applied-response snapshots, score targets

Revision ID: 0003_score_rollups
Revises: 0002_users
Create Date: 2026-11-23

Exact answer histograms per day x agent x team x channel x survey x metric, what
each response has added to them (so an amended response is counted once), and
per-metric targets for everyone, a team or an agent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import feedback_service.db

revision: str = "0003_score_rollups"
down_revision: str | Sequence[str] | None = "0002_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_rollups")),
        sa.UniqueConstraint(
            "day",
            "agent_id",
            "team_id",
            "channel",
            "survey_id",
            "metric",
            "value",
            name=op.f("uq_score_rollups_day_agent_id_team_id_channel_survey_id_metric_value"),
        ),
    )
    with op.batch_alter_table("score_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_score_rollups_agent_id_day", ["agent_id", "day"], unique=False)
        batch_op.create_index("ix_score_rollups_metric_day", ["metric", "day"], unique=False)

    op.create_table(
        "score_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", feedback_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_targets")),
        sa.UniqueConstraint(
            "metric", "team_id", "agent_id", name=op.f("uq_score_targets_metric_team_id_agent_id")
        ),
    )
    op.create_table(
        "applied_responses",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
        sa.Column("ces", sa.SmallInteger(), nullable=True),
        sa.Column("fcr", sa.SmallInteger(), nullable=True),
        sa.Column("commented", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_applied_responses_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_applied_responses")),
    )


def downgrade() -> None:
    op.drop_table("applied_responses")
    op.drop_table("score_targets")
    with op.batch_alter_table("score_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_score_rollups_metric_day")
        batch_op.drop_index("ix_score_rollups_agent_id_day")
    op.drop_table("score_rollups")
