"""training runs: rows labelled by the customer's stated reason

Revision ID: 0023_training_stated_rows
Revises: 0022_survey_questions
Create Date: 2026-12-05

A survey's choice question may map its options to the comment model's targets
(``"maps_to": "target"``); a training run then teaches the target head from the
comments of those answers. ``stated_rows`` is how many such rows it trained on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from migrations import helpers

revision: str = "0023_training_stated_rows"
down_revision: str | Sequence[str] | None = "0022_survey_questions"


def upgrade() -> None:
    helpers.add_columns(
        "analysis_training_runs", *helpers.columns(sa.Integer, "stated_rows", nullable=True)
    )


def downgrade() -> None:
    helpers.drop_columns("analysis_training_runs", "stated_rows")
