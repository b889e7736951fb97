"""training runs: rating-derived rows and how far through the rated comments

Revision ID: 0015_training_rating_rows
Revises: 0014_response_ticket_factors
Create Date: 2026-12-05

A training run may adapt the comment model to the deployment's own comments,
labelled by the customer's rating (trigger ``ratings``): ``rating_rows`` is how
many such rows it trained on, ``ratings_through`` the highest response id it
read, so the next scheduled adaptation counts only rated comments that came in
since.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from migrations import helpers

revision: str = "0015_training_rating_rows"
down_revision: str | Sequence[str] | None = "0014_response_ticket_factors"


def upgrade() -> None:
    helpers.add_columns(
        "analysis_training_runs",
        *helpers.columns(sa.Integer, "rating_rows", "ratings_through", nullable=True),
    )


def downgrade() -> None:
    helpers.drop_columns("analysis_training_runs", "ratings_through", "rating_rows")
