"""covering indexes on the agent score rollups

Revision ID: 0013_covering_agent_rollups
Revises: 0012_driver_runs
Create Date: 2026-12-02

The scorecards over a range of days and one agent's trend read the daily agent
cells by day or by agent: with every column the reports need in the index
(PostgreSQL's INCLUDE), those reads are index-only scans instead of a heap
fetch per cell (for a month of scorecards, 85,000 cells: about 60 ms instead
of 200-300 ms on the bench). SQLite gets the plain indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_covering_agent_rollups"
down_revision: str | Sequence[str] | None = "0012_driver_runs"

CELL = ["agent_id", "team_id", "survey_id", "metric", "value", "count"]


def upgrade() -> None:
    with op.batch_alter_table("score_rollups_agent", schema=None) as batch_op:
        batch_op.drop_index("ix_score_rollups_agent_agent_id_day")
        batch_op.create_index(
            "ix_score_rollups_agent_agent_id_day",
            ["agent_id", "day"],
            unique=False,
            postgresql_include=[c for c in CELL if c != "agent_id"],
        )
        batch_op.create_index(
            "ix_score_rollups_agent_day", ["day"], unique=False, postgresql_include=CELL
        )


def downgrade() -> None:
    with op.batch_alter_table("score_rollups_agent", schema=None) as batch_op:
        batch_op.drop_index("ix_score_rollups_agent_day")
        batch_op.drop_index("ix_score_rollups_agent_agent_id_day")
        batch_op.create_index(
            "ix_score_rollups_agent_agent_id_day", ["agent_id", "day"], unique=False
        )
