"""ticket factors on responses; FCR-gap rollups

Revision ID: 0014_response_ticket_factors
Revises: 0013_covering_agent_rollups
Create Date: 2026-12-02

A filtered drivers report joined every answer in the range to its ticket on
each request: the month's FCR answers for the gap between customer-perceived
and operational FCR (63,000 primary-key lookups at a million responses) and the
20,000 most recent answers for the regression. Both joins go:

* ``responses.ticket_*``: the ticket's contacts, escalated and reopened flags
  and its first-response and resolution seconds, kept on each answer. On
  PostgreSQL a row trigger fills them when an answer is written (reading the
  ticket ``FOR SHARE``, so a concurrent ticket update waits for the answer's
  commit, or the answer waits for the update's, and neither misses the other)
  and a statement trigger on ``tickets`` copies a changed ticket's factors to
  its answers: a ticket reopened after the customer answered moves its answers.
  Unlike channel and agent, which are copied at answer time and stay, these
  follow the ticket: the drivers are about what happened to the ticket.
* ``ix_responses_driver_sample``: the regression's sample (the most recent
  confirmed answers with a CSAT) read backwards from the range's end, index only
  on PostgreSQL (on SQLite without the included columns).
* ``fcr_gap_rollups`` (and ``_monthly``): per answered day x agent x team x
  channel x survey, the confirmed answers with a customer FCR and a known
  contact count, how many of them said "resolved", how many tickets the desk
  counted as first-contact resolutions (one contact, not reopened) and how many
  of those the customer said were not resolved. Kept by statement triggers on
  ``responses`` like the ticket rollups of 0009 (one aggregated
  ``INSERT .. ON CONFLICT`` per table and statement, in key order), so the
  ticket trigger's update of the answers moves the counts too.

``fcr_gap_rollups_rebuild()`` (``flask scores rebuild``) re-copies the factors
from the tickets and recomputes the counts. On SQLite the columns and tables
exist but stay empty: the reports join answers to tickets there, as before.
"""

# ruff: noqa: S608 - the SQL is assembled from the constant fragments below, no input

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import helpers

revision: str = "0014_response_ticket_factors"
down_revision: str | Sequence[str] | None = "0013_covering_agent_rollups"

# responses column <- expression over a ``tickets`` row ``t``
FACTORS = {
    "ticket_contacts": "t.contacts",
    "ticket_escalated": "t.escalated",
    "ticket_reopened": "t.reopened",
    "ticket_first_response_seconds": "ticket_seconds(t.first_response_at, t.opened_at)",
    "ticket_resolution_seconds": "ticket_seconds(t.resolved_at, t.opened_at)",
}
# The ticket columns the factors come from: a change to any of them is copied.
TICKET_SOURCES = (
    "contacts",
    "escalated",
    "reopened",
    "opened_at",
    "first_response_at",
    "resolved_at",
)

DESK_FCR = "ticket_contacts <= 1 AND ticket_reopened IS NOT TRUE"
# What one answer in the delta adds to each count (the old live ``fcr_gaps`` query).
COUNT_WHEN = {
    "answered": "TRUE",
    "said_yes": "fcr = 1",
    "desk_yes": DESK_FCR,
    "desk_yes_said_no": f"{DESK_FCR} AND fcr <> 1",
}
COUNTS = tuple(COUNT_WHEN)
TABLES = ("fcr_gap_rollups", "fcr_gap_rollups_monthly")
SAMPLE_INDEX = "ix_responses_driver_sample"
SAMPLE_COLUMNS = ("team_id", "agent_id", "channel", "survey_id", "csat", *FACTORS)
KEY = "agent_id, team_id, channel, survey_id"


def _delta(source: str, sign: int) -> str:
    return f"""
        SELECT CAST(submitted_at AT TIME ZONE 'UTC' AS date) AS day,
               coalesce(agent_id, 0) AS agent_id, coalesce(team_id, 0) AS team_id,
               coalesce(channel, '') AS channel, survey_id, {sign} AS sign,
               fcr, ticket_contacts, ticket_reopened
        FROM {source}
        WHERE status = 'confirmed' AND fcr IS NOT NULL AND ticket_contacts IS NOT NULL"""


def _upserts(delta: str) -> str:
    return "".join(
        helpers.counting_upsert(delta, table, period, expr, KEY, COUNT_WHEN)
        for table, period, expr in (
            ("fcr_gap_rollups", "day", "day"),
            ("fcr_gap_rollups_monthly", "month", "CAST(date_trunc('month', day) AS date)"),
        )
    )


_factor_targets = ", ".join(FACTORS)
_factor_values = ", ".join(FACTORS.values())
COPY_FROM_TICKETS = f"""
    UPDATE responses r SET ({_factor_targets}) = ({_factor_values})
    FROM tickets t
    WHERE t.id = r.ticket_id
      AND ({", ".join(f"r.{c}" for c in FACTORS)}) IS DISTINCT FROM ({_factor_values});"""


def _create_postgresql_objects() -> None:
    op.execute(COPY_FROM_TICKETS)
    into = ", ".join(f"NEW.{c}" for c in FACTORS)
    op.execute(
        "CREATE FUNCTION responses_ticket_factors() RETURNS trigger LANGUAGE plpgsql "
        f"AS $body$ BEGIN SELECT {_factor_values} INTO {into} "
        "FROM tickets t WHERE t.id = NEW.ticket_id FOR SHARE; RETURN NEW; END $body$"
    )
    op.execute(
        "CREATE TRIGGER responses_ticket_factors BEFORE INSERT OR UPDATE OF ticket_id "
        "ON responses FOR EACH ROW EXECUTE FUNCTION responses_ticket_factors()"
    )
    new_values = ", ".join(v.replace("t.", "n.") for v in FACTORS.values())
    op.execute(
        "CREATE FUNCTION tickets_factors_to_responses() RETURNS trigger LANGUAGE plpgsql "
        f"AS $body$ BEGIN UPDATE responses r SET ({_factor_targets}) = ({new_values}) "
        "FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE r.ticket_id = n.id "
        f"AND ({', '.join(f'o.{c}' for c in TICKET_SOURCES)}) "
        f"IS DISTINCT FROM ({', '.join(f'n.{c}' for c in TICKET_SOURCES)}); "
        "RETURN NULL; END $body$"
    )
    op.execute(
        "CREATE TRIGGER tickets_factors_to_responses AFTER UPDATE ON tickets "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION tickets_factors_to_responses()"
    )
    helpers.create_rollup_triggers(
        "fcr_gap_rollups", "responses", _delta, _upserts, TABLES, f"{COPY_FROM_TICKETS} "
    )
    op.execute("SELECT fcr_gap_rollups_rebuild()")


def upgrade() -> None:
    helpers.add_columns(
        "responses",
        *helpers.columns(sa.Integer, "ticket_contacts", nullable=True),
        *helpers.columns(sa.Boolean, "ticket_escalated", "ticket_reopened", nullable=True),
        *helpers.columns(
            sa.Float, "ticket_first_response_seconds", "ticket_resolution_seconds", nullable=True
        ),
    )
    for table, period in (("fcr_gap_rollups", "day"), ("fcr_gap_rollups_monthly", "month")):
        helpers.rollup_table(table, period, ("agent_id", "team_id", "channel", "survey_id"), COUNTS)
    # The drivers sample (the most recent answers with a CSAT in the filter, and
    # their factors) read backwards from the range's end: on PostgreSQL an
    # index-only scan (the factors are included), on SQLite the range in order.
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        _create_postgresql_objects()
    include = f"INCLUDE ({', '.join(SAMPLE_COLUMNS)}) " if postgresql else ""
    op.execute(
        f"CREATE INDEX {SAMPLE_INDEX} ON responses (submitted_at, id) {include}"
        "WHERE status = 'confirmed' AND csat IS NOT NULL"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX {SAMPLE_INDEX}")
    if op.get_bind().dialect.name == "postgresql":
        helpers.drop_rollup_triggers("fcr_gap_rollups", "responses")
        op.execute("DROP TRIGGER tickets_factors_to_responses ON tickets")
        op.execute("DROP FUNCTION tickets_factors_to_responses()")
        op.execute("DROP TRIGGER responses_ticket_factors ON responses")
        op.execute("DROP FUNCTION responses_ticket_factors()")
    for table in reversed(TABLES):
        op.drop_table(table)
    helpers.drop_columns("responses", *reversed(FACTORS))
