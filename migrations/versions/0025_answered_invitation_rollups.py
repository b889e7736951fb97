"""invitation rollups: the answered count beside the sent count

Revision ID: 0025_answered_invitation_rollups
Revises: 0024_label_import_key
Create Date: 2026-12-05

The response rate is one definition (``scores.response_rates``): of the
invitations sent in the range, those that hold a confirmed answer, whenever it
came. The summary read its denominator from ``invitation_rollups`` but divided
the answers *submitted* in the range by it. ``invitation_rollups`` (and
``_monthly``) now also count, per sent day x agent x team x channel x survey,
the invitations holding a confirmed answer (``answered``), so the summary reads
both counts of the cohort in one read, as cheaply as it read the sent count.

The count is declared in ``scores.models`` from both sides of the rule: the
``invitation_rollups`` triggers and rebuild (``INVITATIONS``, re-installed here)
count it as a send is recorded or moved; new statement triggers on ``responses``
(``answered_invitation_rollups``, ``ANSWERED_INVITATIONS``) move it as an answer
is confirmed, demoted or erased. The SQL is generated from the declarations;
the counts are filled once here by ``invitation_rollups_rebuild()``. On SQLite
the columns stay 0 (the reports join the invitations to their answers). The
downgrade installs the sent-only functions again, then drops the column.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from feedback_service.db import Base
from feedback_service.scores.models import TRIGGER_SETS
from migrations import helpers

revision: str = "0025_answered_invitation_rollups"
down_revision: str | Sequence[str] | None = "0024_label_import_key"

TABLES = ("invitation_rollups", "invitation_rollups_monthly")
SETS = ("invitation_rollups", "answered_invitation_rollups")


def upgrade() -> None:
    for table in TABLES:
        helpers.add_count_columns(table, "answered")
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger_set in TRIGGER_SETS:
        if trigger_set.name in SETS:
            trigger_set.install(Base.metadata.tables, op.execute)
    op.execute("SELECT invitation_rollups_rebuild()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        helpers.drop_statement_triggers("answered_invitation_rollups", "responses")
    for table in TABLES:
        helpers.drop_columns(table, "answered")
    if op.get_bind().dialect.name == "postgresql":
        helpers.install_trigger_sets_before_0025()
