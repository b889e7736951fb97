"""comment notes

Revision ID: 0005_comment_notes
Revises: 0004_monthly_rollups
Create Date: 2026-12-02

An agent's context on a comment about them, read by their lead (dashboard).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from migrations import helpers

revision: str = "0005_comment_notes"
down_revision: str | Sequence[str] | None = "0004_monthly_rollups"


def upgrade() -> None:
    helpers.create_table(
        "comment_notes",
        *helpers.columns(sa.Integer, "response_id", "author_id"),
        *helpers.columns(sa.Text, "body"),
        *helpers.timestamps("created_at"),
        helpers.foreign_key("comment_notes", "author_id", "users", ondelete="CASCADE"),
        helpers.foreign_key("comment_notes", "response_id", "responses", ondelete="CASCADE"),
    )
    helpers.create_indexes("comment_notes", "response_id")


def downgrade() -> None:
    helpers.drop_table("comment_notes", "response_id")
