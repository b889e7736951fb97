"""answered-invitation rollups: the response rate's numerator per sent day

Revision ID: 0024_answered_invitation_rollups
Revises: 0023_training_stated_rows
Create Date: 2026-12-05

The response rate is one definition (``scores.response_rates``): of the
invitations sent in the range, those that hold a confirmed answer, whenever it
came. The summary read its denominator from ``invitation_rollups`` but divided
the answers *submitted* in the range by it. ``answered_invitation_rollups`` (and
``_monthly``) count the confirmed answers per *sent* day of their invitation x
agent x team x channel x survey, the cells of ``invitation_rollups``, so the
summary reads the cohort's answered count as cheaply as its sent count. The
counts are declared in ``scores.models`` from both sides of the rule: from the
answers (``ANSWERED_INVITATIONS``: statement triggers on ``responses`` and
``answered_invitation_rollups_rebuild()``, new) and from the invitations
(``ANSWERED_BY_SEND``: a send recorded or moved after the answer; added to the
``invitation_rollups`` triggers and rebuild, re-installed here). The SQL is
generated from the declarations; the counts are filled once here. Empty on
SQLite, where the reports join the invitations to their answers. The downgrade
installs the ``invitation_rollups`` functions without the answered counts again,
then drops the new triggers and tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from feedback_service.db import Base
from feedback_service.scores.declare import TriggerSet
from feedback_service.scores.models import INVITATIONS, TRIGGER_SETS
from migrations import helpers

revision: str = "0024_answered_invitation_rollups"
down_revision: str | Sequence[str] | None = "0023_training_stated_rows"

NAME = "answered_invitation_rollups"
TABLES = ((NAME, "day"), (f"{NAME}_monthly", "month"))
KEYS = ("agent_id", "team_id", "channel", "survey_id")


def upgrade() -> None:
    for table, period in TABLES:
        helpers.rollup_table(table, period, KEYS, ["answered"])
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger_set in TRIGGER_SETS:
        if trigger_set.name in (NAME, "invitation_rollups"):
            trigger_set.install(Base.metadata.tables, op.execute)
    op.execute(f"SELECT {NAME}_rebuild()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        sent_only = TriggerSet(
            "invitation_rollups", "invitations", (INVITATIONS,), ("invitations IN SHARE MODE",)
        )
        sent_only.install(Base.metadata.tables, op.execute)
        helpers.drop_rollup_triggers(NAME, "responses")
    for table, _ in reversed(TABLES):
        helpers.drop_table(table)
