"""comment notes

Revision ID: 0005_comment_notes
Revises: 0004_monthly_rollups
Create Date: 2026-12-02

An agent's context on a comment about them, read by their lead (dashboard).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_comment_notes"
down_revision: str | Sequence[str] | None = "0004_monthly_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comment_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comment_notes_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_comment_notes_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_notes")),
    )
    with op.batch_alter_table("comment_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_notes_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("comment_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_notes_response_id"))
    op.drop_table("comment_notes")
