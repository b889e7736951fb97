"""customer erasures: the audit record of GDPR erasures and retention runs

Revision ID: 0016_customer_erasure
Revises: 0015_training_rating_rows
Create Date: 2026-12-05

One row per erasure (``DELETE /api/v1/customers/<id>``, ``flask customers
erase``, the ``RETENTION_DAYS`` sweep): when, by whom, how many rows of each
kind; the customer only as a keyed hash of their helpdesk id.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import helpers

revision: str = "0016_customer_erasure"
down_revision: str | Sequence[str] | None = "0015_training_rating_rows"


def upgrade() -> None:
    helpers.create_table(
        "customer_erasures",
        sa.Column("subject_hash", sa.String(length=64), nullable=True),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        *helpers.timestamps("erased_at"),
    )
    helpers.create_indexes("customer_erasures", "subject_hash")


def downgrade() -> None:
    helpers.drop_indexes("customer_erasures", "subject_hash")
    op.drop_table("customer_erasures")
