"""dashboard users

Revision ID: 0002_users
Revises: 0001
Create Date: 2026-11-23

People who sign in to the dashboard (managers, team leads, agents) and the teams
a team lead leads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import helpers

revision: str = "0002_users"
down_revision: str | Sequence[str] | None = "0001"


def upgrade() -> None:
    helpers.create_table(
        "users",
        *helpers.strings(email=320, name=200, password_hash=256, role=20),
        *helpers.columns(sa.Integer, "agent_id", nullable=True),
        *helpers.columns(sa.Boolean, "active"),
        *helpers.columns(sa.Integer, "failed_logins"),
        *helpers.timestamps("locked_until", "last_login_at", nullable=True),
        *helpers.timestamps("created_at", "updated_at"),
        sa.CheckConstraint("role IN ('manager', 'team_lead', 'agent')", name=op.f("ck_users_role")),
        helpers.foreign_key("users", "agent_id", "agents"),
        helpers.unique("users", "email"),
    )
    helpers.create_indexes("users", "agent_id")
    op.create_table(
        "user_teams",
        *helpers.columns(sa.Integer, "user_id", "team_id"),
        helpers.foreign_key("user_teams", "team_id", "teams", ondelete="CASCADE"),
        helpers.foreign_key("user_teams", "user_id", "users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "team_id", name=op.f("pk_user_teams")),
    )
    helpers.create_indexes("user_teams", "team_id")


def downgrade() -> None:
    helpers.drop_table("user_teams", "team_id")
    helpers.drop_table("users", "agent_id")
