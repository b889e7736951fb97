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

revision: str = "0016_customer_erasure"
down_revision: str | Sequence[str] | None = "0015_training_rating_rows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=True),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_erasures")),
    )
    with op.batch_alter_table("customer_erasures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_erasures_subject_hash"), ["subject_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_erasures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_erasures_subject_hash"))
    op.drop_table("customer_erasures")
