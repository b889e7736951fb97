"""rollup triggers and rebuild functions generated from the family declarations

Revision ID: 0021_rollups_declared
Revises: 0020_provisional_ratings
Create Date: 2026-12-05

Migrations 0009 (tickets), 0010 (invitations) and 0014 (FCR gaps) wrote the
PL/pgSQL of the rollup triggers by hand, a third copy of each family beside its
model and its rebuild. The families are now declared once
(``feedback_service.scores.models``: source, keys, counted columns) and this
migration (re)creates every trigger function, trigger and ``<name>_rebuild()``
function from that declaration with ``CREATE OR REPLACE``: the same names, the
same statement-level triggers and the same counts, so the rollups already kept
stay exact and nothing is recomputed. Operational FCR is the one definition
``scores.models.operational_fcr`` in both the ticket and the FCR-gap counts.

A later change to a family's declaration needs a new migration that runs
``install`` again: ``tests/integration/test_migrations.py`` compares the
functions of a database upgraded to head with the declaration's text.

SQLite has no triggers for these families (the tables stay empty there), so
nothing happens on SQLite. The downgrade keeps the functions: they behave as the
ones of 0009, 0010 and 0014, whose own downgrades drop them by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from feedback_service.db import Base
from feedback_service.scores.models import TRIGGER_SETS

revision: str = "0021_rollups_declared"
down_revision: str | Sequence[str] | None = "0020_provisional_ratings"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger_set in TRIGGER_SETS:
        trigger_set.install(Base.metadata.tables, op.execute)


def downgrade() -> None:
    pass
