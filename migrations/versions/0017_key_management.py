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

from migrations import helpers

revision: str = "0017_key_management"
down_revision: str | Sequence[str] | None = "0016_customer_erasure"


def upgrade() -> None:
    helpers.add_columns("api_keys", *helpers.timestamps("rotated_at", nullable=True))
    op.create_table(
        "rate_counters",
        *helpers.strings(key=64),
        *helpers.columns(sa.Integer, "count"),
        *helpers.timestamps("expires_at"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    helpers.create_indexes("rate_counters", "expires_at")
    helpers.drop_columns("users", "locked_until", "failed_logins")


def downgrade() -> None:
    helpers.add_columns(
        "users",
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        *helpers.timestamps("locked_until", nullable=True),
    )
    helpers.drop_table("rate_counters", "expires_at")
    helpers.drop_columns("api_keys", "rotated_at")
