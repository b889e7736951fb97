"""ticket rollups and duration histograms, invitations sent_at index

Revision ID: 0009_ticket_rollups
Revises: 0008_alerts
Create Date: 2026-12-02

The summary's operational KPIs read every ticket closed in the range (two exact
percentiles over up to a year of tickets: seconds per request at a million
responses). These tables hold, per closed day (and per month):

* ``ticket_rollups``: per agent x team x channel, the counts behind ticket
  volume, escalation, reopen and operational FCR rates;
* ``ticket_duration_rollups``: per team, how many tickets fall in each
  log-spaced band of first-response and resolution seconds. A report finds the
  band holding a percentile's order statistics from these counts and reads only
  that band's tickets, in order, through the expression indexes below: exact
  percentiles without sorting every ticket.

On PostgreSQL they are kept by statement-level triggers on ``tickets`` in the
transaction that changes the ticket (the dispatch path's one-statement upsert
has no task of its own to hang a worker on, and a trigger sees every path that
writes tickets, bulk loads included). Each trigger adds the new rows' counts and
subtracts the old rows' with one aggregated INSERT .. ON CONFLICT per table, in
key order, so concurrent writers never lose an update. ``ticket_rollups_rebuild()``
(``flask scores rebuild``) recomputes them from scratch. On SQLite the tables
exist but stay empty: reports compute the KPIs from the tickets there.
"""

# ruff: noqa: S608 - the SQL is assembled from the constant fragments below, no input

from collections.abc import Sequence

from alembic import op

from migrations import helpers

revision: str = "0009_ticket_rollups"
down_revision: str | Sequence[str] | None = "0008_alerts"

# What one closed ticket adds to each count (the old ``operational_kpis`` definitions).
COUNT_WHEN = {
    "tickets": "TRUE",
    "escalated_known": "escalated IS NOT NULL",
    "escalated": "escalated IS TRUE",
    "reopened_known": "reopened IS NOT NULL",
    "reopened": "reopened IS TRUE",
    "contacts_known": "contacts IS NOT NULL",
    "operational_fcr": "contacts <= 1 AND reopened IS NOT TRUE",
}
COUNTS = tuple(COUNT_WHEN)

FUNCTIONS = """
CREATE FUNCTION ticket_seconds(later timestamptz, earlier timestamptz)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CAST(extract(epoch FROM later - earlier) AS double precision) $$;

-- Log-spaced bands, 5% wide: monotonic in the seconds (negative ones too), so a
-- band is a contiguous run of the sorted durations.
CREATE FUNCTION ticket_duration_bucket(seconds double precision)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CAST(floor(sign(seconds) * ln(1 + abs(seconds)) / ln(1.05)) AS integer) $$;
"""


def _delta(source: str, sign: int) -> str:
    return f"""
        SELECT CAST(closed_at AT TIME ZONE 'UTC' AS date) AS day,
               coalesce(agent_id, 0) AS agent_id, coalesce(team_id, 0) AS team_id,
               coalesce(channel, '') AS channel, {sign} AS sign,
               escalated, reopened, contacts,
               ticket_seconds(first_response_at, opened_at) AS first_response,
               ticket_seconds(resolved_at, opened_at) AS resolution
        FROM {source} WHERE closed_at IS NOT NULL"""


def _upserts(delta: str) -> str:
    """The four INSERT .. ON CONFLICT statements that add ``delta`` to the rollups."""
    statements = [
        helpers.counting_upsert(
            delta, table, period, expr, "agent_id, team_id, channel", COUNT_WHEN
        )
        for table, period, expr in (
            ("ticket_rollups", "day", "day"),
            ("ticket_rollups_monthly", "month", "CAST(date_trunc('month', day) AS date)"),
        )
    ]
    for table, period, expr in (
        ("ticket_duration_rollups", "day", "day"),
        ("ticket_duration_rollups_monthly", "month", "CAST(date_trunc('month', day) AS date)"),
    ):
        statements.append(
            f"""
        WITH delta AS ({delta}),
        durations AS (
            SELECT day, team_id, sign, 'first_response' AS kind,
                   ticket_duration_bucket(first_response) AS bucket
            FROM delta WHERE first_response IS NOT NULL
            UNION ALL
            SELECT day, team_id, sign, 'resolution', ticket_duration_bucket(resolution)
            FROM delta WHERE resolution IS NOT NULL)
        INSERT INTO {table} ({period}, team_id, kind, bucket, count)
        SELECT {expr}, team_id, kind, bucket, sum(sign)
        FROM durations GROUP BY 1, 2, 3, 4 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT ({period}, team_id, kind, bucket)
        DO UPDATE SET count = {table}.count + excluded.count;"""
        )
    return "".join(statements)


TABLES = (
    "ticket_rollups",
    "ticket_rollups_monthly",
    "ticket_duration_rollups",
    "ticket_duration_rollups_monthly",
)


def _create_postgresql_objects() -> None:
    op.execute(FUNCTIONS)
    helpers.create_rollup_triggers("ticket_rollups", "tickets", _delta, _upserts, TABLES)
    # The band reads: one band's closed tickets in a date range, in duration order.
    for kind, later in (("first_response", "first_response_at"), ("resolution", "resolved_at")):
        op.execute(
            f"CREATE INDEX ix_tickets_{kind}_band ON tickets "
            f"(ticket_duration_bucket(ticket_seconds({later}, opened_at)), closed_at) "
            "WHERE closed_at IS NOT NULL"
        )
    op.execute("SELECT ticket_rollups_rebuild()")


SENT_AT_INDEX = ("ix_invitations_sent_at", ["sent_at"])


def upgrade() -> None:
    for table, period in (("ticket_rollups", "day"), ("ticket_rollups_monthly", "month")):
        helpers.rollup_table(table, period, ("agent_id", "team_id", "channel"), COUNTS)
    for table, period in (
        ("ticket_duration_rollups", "day"),
        ("ticket_duration_rollups_monthly", "month"),
    ):
        helpers.rollup_table(table, period, ("team_id", "kind", "bucket"), ["count"])
    helpers.create_indexes("invitations", SENT_AT_INDEX)
    if op.get_bind().dialect.name == "postgresql":
        _create_postgresql_objects()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for kind in ("first_response", "resolution"):
            op.execute(f"DROP INDEX ix_tickets_{kind}_band")
        helpers.drop_rollup_triggers("ticket_rollups", "tickets")
        op.execute("DROP FUNCTION ticket_duration_bucket(double precision)")
        op.execute("DROP FUNCTION ticket_seconds(timestamptz, timestamptz)")
    helpers.drop_indexes("invitations", SENT_AT_INDEX)
    for table in reversed(TABLES):
        op.drop_table(table)
