"""score rollups by agent and by team

Revision ID: 0011_team_score_rollups
Revises: 0010_invitation_rollups
Create Date: 2026-12-02

``score_rollups`` summed over channels (``score_rollups_agent``) and over agents
and channels (``score_rollups_team``), per day and per month: the summary and
the trends without an agent or channel filter read the team cells (a few
thousand for a year), the scorecards and one agent's trend without a channel
filter the agent cells (a quarter of the full ones). Kept in the same
transaction as the other score cells (``rollups.add_counts``); filled here from
the existing daily cells.
"""

from collections.abc import Sequence

from alembic import op

from migrations import helpers

revision: str = "0011_team_score_rollups"
down_revision: str | Sequence[str] | None = "0010_invitation_rollups"

TABLES = (("score_rollups_team", "day"), ("score_rollups_team_monthly", "month"))
AGENT_TABLES = (("score_rollups_agent", "day"), ("score_rollups_agent_monthly", "month"))
AGENT_DAY_INDEX = ("ix_score_rollups_agent_agent_id_day", ["agent_id", "day"])


AGENT_KEYS = ("agent_id", "team_id", "survey_id", "metric", "value")
TEAM_KEYS = ("team_id", "survey_id", "metric", "value")


def upgrade() -> None:
    for table, period in AGENT_TABLES:
        helpers.rollup_table(table, period, AGENT_KEYS, ["count"])
    helpers.create_indexes("score_rollups_agent", AGENT_DAY_INDEX)
    for table, period in TABLES:
        helpers.rollup_table(table, period, TEAM_KEYS, ["count"])
        helpers.create_indexes(table, (f"ix_{table}_metric_{period}", ["metric", period]))
    # Filled from the existing daily cells: by day, then the days by month.
    month = helpers.month_of("day")
    for prefix, keys in (("score_rollups_agent", AGENT_KEYS), ("score_rollups_team", TEAM_KEYS)):
        helpers.sum_cells(prefix, "day", "score_rollups", "day", keys)
        helpers.sum_cells(f"{prefix}_monthly", "month", prefix, month, keys)


def downgrade() -> None:
    for table, period in reversed(TABLES):
        helpers.drop_indexes(table, (f"ix_{table}_metric_{period}", ["metric", period]))
        op.drop_table(table)
    helpers.drop_indexes("score_rollups_agent", AGENT_DAY_INDEX)
    for table, _ in reversed(AGENT_TABLES):
        op.drop_table(table)
