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

from migrations import helpers

revision: str = "0003_score_rollups"
down_revision: str | Sequence[str] | None = "0002_users"


SCORE_KEYS = ("agent_id", "team_id", "channel", "survey_id", "metric", "value")
INDEXES = (
    ("ix_score_rollups_agent_id_day", ["agent_id", "day"]),
    ("ix_score_rollups_metric_day", ["metric", "day"]),
)


def upgrade() -> None:
    helpers.rollup_table("score_rollups", "day", SCORE_KEYS, ["count"])
    helpers.create_indexes("score_rollups", *INDEXES)
    helpers.create_table(
        "score_targets",
        *helpers.strings(metric=20),
        *helpers.columns(sa.Integer, "team_id", "agent_id"),
        *helpers.columns(sa.Float, "value"),
        *helpers.timestamps("updated_at"),
        helpers.unique("score_targets", "metric", "team_id", "agent_id"),
    )
    op.create_table(
        "applied_responses",
        *helpers.columns(sa.Integer, "response_id", "version"),
        *helpers.columns(sa.Date, "day"),
        *helpers.columns(sa.Integer, "agent_id", "team_id"),
        *helpers.strings(channel=40),
        *helpers.columns(sa.Integer, "survey_id"),
        *helpers.columns(sa.SmallInteger, "csat", "nps", "ces", "fcr", nullable=True),
        *helpers.columns(sa.Boolean, "commented"),
        helpers.foreign_key("applied_responses", "response_id", "responses", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_applied_responses")),
    )


def downgrade() -> None:
    helpers.drop_table("applied_responses")
    helpers.drop_table("score_targets")
    helpers.drop_table("score_rollups", *INDEXES)
