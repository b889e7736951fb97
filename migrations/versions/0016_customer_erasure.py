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

from migrations import helpers

revision: str = "0016_customer_erasure"
down_revision: str | Sequence[str] | None = "0015_training_rating_rows"


def upgrade() -> None:
    helpers.create_table(
        "customer_erasures",
        *helpers.strings(subject_hash=64, nullable=True),
        *helpers.strings(trigger=20, requested_by=200),
        *helpers.columns(sa.JSON, "counts"),
        *helpers.timestamps("erased_at"),
    )
    helpers.create_indexes("customer_erasures", "subject_hash")


def downgrade() -> None:
    helpers.drop_table("customer_erasures", "subject_hash")
