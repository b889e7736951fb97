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

from migrations import helpers

revision: str = "0020_provisional_ratings"
down_revision: str | Sequence[str] | None = "0019_ticket_close_source"

CLICK_INDEX = ("ix_rating_clicks_invitation_time", ["invitation_id", "clicked_at"])


def upgrade() -> None:
    helpers.create_table(
        "rating_clicks",
        *helpers.columns(sa.Integer, "invitation_id"),
        *helpers.columns(sa.JSON, "answers"),
        *helpers.strings(method=8),
        *helpers.timestamps("clicked_at"),
        *helpers.timestamps("seen_at", nullable=True),
        *helpers.columns(sa.Boolean, "scanner"),
        helpers.foreign_key("rating_clicks", "invitation_id", "invitations", ondelete="CASCADE"),
    )
    helpers.create_indexes("rating_clicks", CLICK_INDEX)


def downgrade() -> None:
    helpers.drop_table("rating_clicks", CLICK_INDEX)
