"""key management and sign-in throttling

Revision ID: 0017_key_management
Revises: 0016_customer_erasure
Create Date: 2026-12-05

- ``api_keys.rotated_at``: when a key's secret was last replaced.
- ``rate_counters``: windowed counters (sign-in attempts per account and client
  address) for deployments without Redis, incremented with one atomic upsert.
- ``users.failed_logins`` / ``users.locked_until`` go: a lock on the account row let
  anyone lock a known manager out; the throttle now counts per account + address.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_key_management"
down_revision: str | Sequence[str] | None = "0016_customer_erasure"


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    op.create_index(
        op.f("ix_rate_counters_expires_at"), "rate_counters", ["expires_at"], unique=False
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.drop_index(op.f("ix_rate_counters_expires_at"), table_name="rate_counters")
    op.drop_table("rate_counters")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("rotated_at")
