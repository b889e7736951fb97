"""survey questions: a team's own questions, their answers, versions, archiving

Revision ID: 0022_survey_questions
Revises: 0021_rollups_declared
Create Date: 2026-12-05

A survey may ask, beside the built-in metrics, its own questions (rating, choice,
multi, text; ``surveys/questions.py``). Their answers are rows of
``response_answers``, each with the definition version it was given under; every
version of a survey's questions is kept in ``survey_definitions`` (the surveys
that exist become their version 1). ``archived_at`` marks a survey that takes no
new invitations. Existing surveys, responses and their columns are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from feedback_service.db import UTCDateTime

revision: str = "0022_survey_questions"
down_revision: str | Sequence[str] | None = "0021_rollups_declared"


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("archived_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "survey_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "version"),
    )
    op.execute(
        "INSERT INTO survey_definitions (survey_id, version, questions, created_at) "
        "SELECT id, 1, questions, COALESCE(updated_at, created_at, CURRENT_TIMESTAMP) "
        "FROM surveys"
    )
    op.create_table(
        "response_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "question_key"),
    )


def downgrade() -> None:
    op.drop_table("response_answers")
    op.drop_table("survey_definitions")
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("archived_at")
        batch.drop_column("version")
