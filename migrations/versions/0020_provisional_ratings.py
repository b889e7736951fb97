"""rating clicks: the audit of one-click ratings, and what a person confirmed

Revision ID: 0020_provisional_ratings
Revises: 0019_ticket_close_source
Create Date: 2026-12-05

Every one-click rating (a link followed, or a mail client's one-click POST) is
kept as a row: a rating counts only once a person was seen on its page
(``seen_at``), and several different ratings of one invitation within seconds
with no page seen are marked ``scanner``. The timer that confirmed unseen
ratings after ten minutes is gone; responses it would still have confirmed stay
provisional (nothing is rewritten here: what was confirmed stays confirmed).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from feedback_service.db import UTCDateTime

revision: str = "0020_provisional_ratings"
down_revision: str | Sequence[str] | None = "0019_ticket_close_source"


def upgrade() -> None:
    op.create_table(
        "rating_clicks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("clicked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("scanner", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_rating_clicks_invitation_time",
        "rating_clicks",
        ["invitation_id", "clicked_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_rating_clicks_invitation_time", table_name="rating_clicks")
    op.drop_table("rating_clicks")
