"""invitation rollups; covering band indexes on tickets

Revision ID: 0010_invitation_rollups
Revises: 0009_ticket_rollups
Create Date: 2026-12-02

The summary's response rate divides by the invitations sent in the range: over a
year that is a count of every invitation (a sequential scan even with the
``sent_at`` index). ``invitation_rollups`` (and ``_monthly``) hold how many were
sent per sent day x agent x team x channel x survey, kept on PostgreSQL by
statement-level triggers on ``invitations`` exactly like the ticket rollups of
0009 (one aggregated INSERT .. ON CONFLICT per table, in key order; an update
that moves nothing writes nothing), rebuilt by ``invitation_rollups_rebuild()``.
Empty on SQLite, where the reports count the invitations.

The band indexes of 0009 become covering (the duration's columns and the team
included), so reading a band is an index-only scan instead of a heap fetch per
ticket.
"""

# ruff: noqa: S608 - the SQL is assembled from the constant fragments below, no input

from collections.abc import Sequence

from alembic import op

from migrations import helpers

revision: str = "0010_invitation_rollups"
down_revision: str | Sequence[str] | None = "0009_ticket_rollups"

TABLES = (("invitation_rollups", "day"), ("invitation_rollups_monthly", "month"))
KEYS = "agent_id, team_id, channel, survey_id"


def _delta(source: str, sign: int) -> str:
    return f"""
        SELECT CAST(sent_at AT TIME ZONE 'UTC' AS date) AS day,
               coalesce(agent_id, 0) AS agent_id, coalesce(team_id, 0) AS team_id,
               coalesce(channel, '') AS channel, survey_id, {sign} AS sign
        FROM {source} WHERE sent_at IS NOT NULL"""


def _upserts(delta: str) -> str:
    statements = []
    for table, period in TABLES:
        expr = "day" if period == "day" else "CAST(date_trunc('month', day) AS date)"
        statements.append(
            f"""
        WITH delta AS ({delta})
        INSERT INTO {table} ({period}, {KEYS}, sent)
        SELECT {expr}, {KEYS}, sum(sign)
        FROM delta GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ({period}, {KEYS}) DO UPDATE SET sent = {table}.sent + excluded.sent;"""
        )
    return "".join(statements)


BANDS = (("first_response", "first_response_at"), ("resolution", "resolved_at"))


def _band_indexes(covering: bool) -> None:
    for kind, later in BANDS:
        op.execute(f"DROP INDEX ix_tickets_{kind}_band")
        include = f" INCLUDE ({later}, opened_at, team_id)" if covering else ""
        op.execute(
            f"CREATE INDEX ix_tickets_{kind}_band ON tickets "
            f"(ticket_duration_bucket(ticket_seconds({later}, opened_at)), closed_at)"
            f"{include} WHERE closed_at IS NOT NULL"
        )


def upgrade() -> None:
    for table, period in TABLES:
        helpers.rollup_table(
            table, period, ("agent_id", "team_id", "channel", "survey_id"), ["sent"]
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    tables = [table for table, _ in TABLES]
    helpers.create_rollup_triggers("invitation_rollups", "invitations", _delta, _upserts, tables)
    op.execute("SELECT invitation_rollups_rebuild()")
    _band_indexes(covering=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _band_indexes(covering=False)
        helpers.drop_rollup_triggers("invitation_rollups", "invitations")
    for table, _ in reversed(TABLES):
        op.drop_table(table)
