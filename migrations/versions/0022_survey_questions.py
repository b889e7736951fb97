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

from migrations import helpers

revision: str = "0022_survey_questions"
down_revision: str | Sequence[str] | None = "0021_rollups_declared"


def upgrade() -> None:
    helpers.add_columns(
        "surveys",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        *helpers.timestamps("archived_at", nullable=True),
    )
    helpers.create_table(
        "survey_definitions",
        *helpers.columns(sa.Integer, "survey_id", "version"),
        *helpers.columns(sa.JSON, "questions"),
        *helpers.timestamps("created_at"),
        helpers.foreign_key("survey_definitions", "survey_id", "surveys", ondelete="CASCADE"),
        helpers.unique("survey_definitions", "survey_id", "version"),
    )
    op.execute(
        "INSERT INTO survey_definitions (survey_id, version, questions, created_at) "
        "SELECT id, 1, questions, COALESCE(updated_at, created_at, CURRENT_TIMESTAMP) "
        "FROM surveys"
    )
    helpers.create_table(
        "response_answers",
        *helpers.columns(sa.Integer, "response_id"),
        *helpers.strings(question_key=40),
        *helpers.columns(sa.JSON, "value"),
        *helpers.columns(sa.Integer, "definition_version"),
        *helpers.timestamps("answered_at"),
        helpers.foreign_key("response_answers", "response_id", "responses", ondelete="CASCADE"),
        helpers.unique("response_answers", "response_id", "question_key"),
    )


def downgrade() -> None:
    helpers.drop_table("response_answers")
    helpers.drop_table("survey_definitions")
    helpers.drop_columns("surveys", "archived_at", "version")
