"""Score rollups: exact answer histograms kept up to date response by response.

``score_rollups`` holds, per day x agent x team x channel x survey x metric x
answer value, how many confirmed answers had that value. Every score (top-2-box,
NPS, means, intervals, medians) is recomputed from those counts, so merging days
or agents is adding counts, never averaging averages.

Exactly once. ``applied_responses`` keeps, per response, the snapshot of what it
currently adds to the rollups. Processing a response (under its row lock, in the
task's one transaction) subtracts the old snapshot and adds the new one, so:

* a re-delivered task finds ``processed_version == version`` and does nothing;
* an amended response moves its counts instead of adding a second copy;
* a provisional response adds nothing until it is confirmed; one made
  provisional again (a new rating by GET) takes its counts back out.

``rebuild`` recomputes everything from the responses table with set-based SQL,
and the ticket and invitation rollups (kept by triggers, see migrations 0009 and
0010) from the tickets and invitations.

Functions take a session, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.scores.models import (
    NO_CHANNEL,
    NO_ID,
    RESPONSES_METRIC,
    AgentScoreRollup,
    AppliedResponse,
    FcrGapRollup,
    InvitationRollup,
    MonthlyAgentScoreRollup,
    MonthlyScoreRollup,
    MonthlyTeamScoreRollup,
    ScoreRollup,
    TeamScoreRollup,
    TicketRollup,
)
from feedback_service.surveys.models import Response
from feedback_service.surveys.responses import CONFIRMED

SURVEY_METRICS = ("csat", "nps", "ces", "fcr")

# (day, agent_id, team_id, channel, survey_id, metric, value)
CellKey = tuple[dt.date, int, int, str, int, str, int]


@dataclass(frozen=True)
class Snapshot:
    """What one response adds to the rollups: one count per answered metric."""

    day: dt.date
    agent_id: int
    team_id: int
    channel: str
    survey_id: int
    csat: int | None
    nps: int | None
    ces: int | None
    fcr: int | None
    commented: bool

    def cells(self) -> list[CellKey]:
        base = (self.day, self.agent_id, self.team_id, self.channel, self.survey_id)
        out: list[CellKey] = [(*base, RESPONSES_METRIC, 1 if self.commented else 0)]
        for metric in SURVEY_METRICS:
            value = getattr(self, metric)
            if value is not None:
                out.append((*base, metric, int(value)))
        return out


def snapshot_of(response: Response) -> Snapshot | None:
    """What ``response`` should add to the rollups now; None while not confirmed."""
    if response.status != CONFIRMED:
        return None
    return Snapshot(
        day=response.submitted_at.astimezone(dt.UTC).date(),
        agent_id=response.agent_id or NO_ID,
        team_id=response.team_id or NO_ID,
        channel=response.channel or NO_CHANNEL,
        survey_id=response.survey_id,
        csat=response.csat,
        nps=response.nps,
        ces=response.ces,
        fcr=response.fcr,
        commented=bool(response.comment),
    )


def _snapshot_of_applied(row: AppliedResponse) -> Snapshot:
    return Snapshot(
        day=row.day,
        agent_id=row.agent_id,
        team_id=row.team_id,
        channel=row.channel,
        survey_id=row.survey_id,
        csat=row.csat,
        nps=row.nps,
        ces=row.ces,
        fcr=row.fcr,
        commented=row.commented,
    )


def _insert_fn(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


CELL_FIELDS = ("day", "agent_id", "team_id", "channel", "survey_id", "metric", "value")
AGENT_KEYS = ("agent_id", "team_id", "survey_id", "metric", "value")
TEAM_KEYS = ("team_id", "survey_id", "metric", "value")
# The coarser grains kept beside the daily and monthly cells: (table, date column,
# the cell fields it keeps besides the date).
COARSER: tuple[tuple[Any, str, tuple[str, ...]], ...] = (
    (AgentScoreRollup, "day", AGENT_KEYS),
    (MonthlyAgentScoreRollup, "month", AGENT_KEYS),
    (TeamScoreRollup, "day", TEAM_KEYS),
    (MonthlyTeamScoreRollup, "month", TEAM_KEYS),
)


def coarse_key(key: CellKey, date: str, fields: tuple[str, ...]) -> tuple[Any, ...]:
    """A daily cell's key at a coarser grain (month start when ``date`` is "month")."""
    day = key[0] if date == "day" else key[0].replace(day=1)
    return (day, *(key[CELL_FIELDS.index(name)] for name in fields))


def add_counts(session: Session, deltas: Counter[CellKey]) -> None:
    """Add signed counts to their cells with one INSERT .. ON CONFLICT DO UPDATE.

    ``count = count + excluded.count`` is computed by the database under the row's
    lock, so two workers adding to the same cell never lose an update.
    """
    rows = [
        {
            "day": key[0],
            "agent_id": key[1],
            "team_id": key[2],
            "channel": key[3],
            "survey_id": key[4],
            "metric": key[5],
            "value": key[6],
            "count": delta,
        }
        for key, delta in sorted(deltas.items())  # a fixed order avoids deadlocks
        if delta != 0
    ]
    if not rows:
        return
    keys = ["agent_id", "team_id", "channel", "survey_id", "metric", "value"]
    stmt = _insert_fn(session)(ScoreRollup).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", *keys],
        set_={"count": ScoreRollup.count + stmt.excluded.count},
    )
    session.execute(stmt)
    # The same deltas by month, in the same transaction, so the two grains agree.
    by_month: Counter[CellKey] = Counter()
    for key, delta in deltas.items():
        by_month[(key[0].replace(day=1), *key[1:])] += delta
    monthly = [
        dict(zip(["month", *keys], key, strict=True), count=delta)
        for key, delta in sorted(by_month.items())
        if delta != 0
    ]
    if monthly:
        mstmt = _insert_fn(session)(MonthlyScoreRollup).values(monthly)
        mstmt = mstmt.on_conflict_do_update(
            index_elements=["month", *keys],
            set_={"count": MonthlyScoreRollup.count + mstmt.excluded.count},
        )
        session.execute(mstmt)
    # And without the channel (agent cells) and without agent and channel (team
    # cells), daily and monthly, likewise.
    for table, date, coarse in COARSER:
        summed: Counter[tuple[Any, ...]] = Counter()
        for key, delta in deltas.items():
            summed[coarse_key(key, date, coarse)] += delta
        cells = [
            dict(zip([date, *coarse], key, strict=True), count=delta)
            for key, delta in sorted(summed.items())
            if delta != 0
        ]
        if cells:
            cstmt = _insert_fn(session)(table).values(cells)
            cstmt = cstmt.on_conflict_do_update(
                index_elements=[date, *coarse],
                set_={"count": table.count + cstmt.excluded.count},
            )
            session.execute(cstmt)


def apply_response(session: Session, response: Response) -> bool:
    """Make the rollups reflect ``response`` as it is now; True if counts moved.

    The caller holds the response's row lock (``SELECT .. FOR UPDATE``) and
    commits once, so the snapshot and the counts change together or not at all.
    """
    applied = session.get(AppliedResponse, response.id, with_for_update=True)
    old = _snapshot_of_applied(applied) if applied is not None else None
    new = snapshot_of(response)
    if old == new:
        if applied is not None:
            applied.version = response.version
            session.flush()
        return False
    deltas: Counter[CellKey] = Counter()
    for cell in old.cells() if old else []:
        deltas[cell] -= 1
    for cell in new.cells() if new else []:
        deltas[cell] += 1
    add_counts(session, deltas)
    if new is None:
        assert applied is not None
        session.delete(applied)
    else:
        values = {
            "version": response.version,
            **{f: getattr(new, f) for f in new.__dataclass_fields__},
        }
        if applied is None:
            session.add(AppliedResponse(response_id=response.id, **values))
        else:
            for name, value in values.items():
                setattr(applied, name, value)
    session.flush()
    return True


# --- rebuild ----------------------------------------------------------------------


def _utc_day(session: Session) -> ColumnElement[Any]:
    """The UTC calendar day of ``responses.submitted_at`` in SQL, on each backend."""
    if session.get_bind().dialect.name == "postgresql":
        # A timestamptz cast to date would use the session's time zone.
        return cast(func.timezone("UTC", Response.submitted_at), Date)
    # SQLite stores naive UTC text; date() gives the "YYYY-MM-DD" a Date column holds.
    return type_coerce(func.date(Response.submitted_at), Date)


def rebuild(session: Session) -> int:
    """Recompute every snapshot and every rollup from the responses table.

    Set-based (two INSERT .. SELECT), so a million responses take seconds. On
    PostgreSQL the two tables are locked for the duration: a worker applying a
    response meanwhile waits and then applies on top of the rebuilt state, where
    its snapshot comparison keeps it exact. Returns the number of rollup cells.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "LOCK TABLE applied_responses, score_rollups, score_rollups_monthly, "
                "score_rollups_agent, score_rollups_agent_monthly, "
                "score_rollups_team, score_rollups_team_monthly "
                "IN SHARE ROW EXCLUSIVE MODE"
            )
        )
    session.execute(delete(ScoreRollup))
    session.execute(delete(MonthlyScoreRollup))
    session.execute(delete(AppliedResponse))
    snapshot_cols = select(
        Response.id,
        Response.version,
        _utc_day(session),
        func.coalesce(Response.agent_id, NO_ID),
        func.coalesce(Response.team_id, NO_ID),
        func.coalesce(Response.channel, NO_CHANNEL),
        Response.survey_id,
        Response.csat,
        Response.nps,
        Response.ces,
        Response.fcr,
        cast(
            case((and_(Response.comment.is_not(None), Response.comment != ""), True), else_=False),
            Boolean,
        ),
    ).where(Response.status == CONFIRMED)
    session.execute(
        insert(AppliedResponse).from_select(
            [
                "response_id",
                "version",
                "day",
                "agent_id",
                "team_id",
                "channel",
                "survey_id",
                "csat",
                "nps",
                "ces",
                "fcr",
                "commented",
            ],
            snapshot_cols,
        )
    )
    a = AppliedResponse
    keys = (a.day, a.agent_id, a.team_id, a.channel, a.survey_id)
    parts = [
        select(
            *keys,
            literal(RESPONSES_METRIC, String(20)),
            case((a.commented, 1), else_=0).label("value"),
            func.count(),
        ).group_by(*keys, a.commented)
    ]
    for metric in SURVEY_METRICS:
        column = getattr(a, metric)
        parts.append(
            select(*keys, literal(metric, String(20)), column, func.count())
            .where(column.is_not(None))
            .group_by(*keys, column)
        )
    session.execute(
        insert(ScoreRollup).from_select(
            ["day", "agent_id", "team_id", "channel", "survey_id", "metric", "value", "count"],
            union_all(*parts),
        )
    )
    r = ScoreRollup
    month = _month_of(session, r.day)
    session.execute(
        insert(MonthlyScoreRollup).from_select(
            ["month", "agent_id", "team_id", "channel", "survey_id", "metric", "value", "count"],
            select(
                month,
                r.agent_id,
                r.team_id,
                r.channel,
                r.survey_id,
                r.metric,
                r.value,
                func.sum(r.count),
            ).group_by(month, r.agent_id, r.team_id, r.channel, r.survey_id, r.metric, r.value),
        )
    )
    _rebuild_coarser_rollups(session)
    rebuild_ticket_rollups(session)
    rebuild_invitation_rollups(session)
    rebuild_fcr_gap_rollups(session)
    session.flush()
    return int(session.scalar(select(func.count()).select_from(ScoreRollup)) or 0)


def _rebuild_coarser_rollups(session: Session) -> None:
    """The agent and team cells from the rebuilt daily cells (called by ``rebuild``)."""
    r = ScoreRollup
    for table, date, fields in COARSER:
        session.execute(delete(table))
        day = r.day if date == "day" else _month_of(session, r.day)
        columns = [getattr(r, name) for name in fields]
        session.execute(
            insert(table).from_select(
                [date, *fields, "count"],
                select(day, *columns, func.sum(r.count)).group_by(day, *columns),
            )
        )


def rebuild_ticket_rollups(session: Session) -> int:
    """Recompute the ticket rollups and duration bands from the tickets table
    (PostgreSQL, where triggers keep them; see migration 0009). Ticket writes
    wait for the rebuild's commit, so none is counted twice or lost. Returns the
    number of ticket rollup cells (0 on SQLite, which has none)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    session.execute(text("LOCK TABLE tickets IN SHARE MODE"))
    session.execute(text("SELECT ticket_rollups_rebuild()"))
    return int(session.scalar(select(func.count()).select_from(TicketRollup)) or 0)


def rebuild_invitation_rollups(session: Session) -> int:
    """Recompute the sent-invitation counts (PostgreSQL; migration 0010) like
    ``rebuild_ticket_rollups``. Returns the number of daily cells."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    session.execute(text("LOCK TABLE invitations IN SHARE MODE"))
    session.execute(text("SELECT invitation_rollups_rebuild()"))
    return int(session.scalar(select(func.count()).select_from(InvitationRollup)) or 0)


def rebuild_fcr_gap_rollups(session: Session) -> int:
    """Re-copy the ticket factors onto the answers and recompute the FCR-gap
    counts from them (PostgreSQL; migration 0014). Ticket and answer writes wait
    for the rebuild's commit. Returns the number of daily cells (0 on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    session.execute(text("LOCK TABLE tickets IN SHARE MODE"))
    session.execute(text("LOCK TABLE responses IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(text("SELECT fcr_gap_rollups_rebuild()"))
    return int(session.scalar(select(func.count()).select_from(FcrGapRollup)) or 0)


def _month_of(session: Session, day: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", day), Date)
    return type_coerce(func.date(day, "start of month"), Date)


def histogram_rows(session: Session) -> dict[CellKey, int]:
    """Every non-empty cell (tests and checks compare incremental with rebuilt)."""
    r = ScoreRollup
    rows = session.execute(
        select(r.day, r.agent_id, r.team_id, r.channel, r.survey_id, r.metric, r.value, r.count)
    )
    return {tuple(row[:7]): row[7] for row in rows if row[7] != 0}  # type: ignore[misc]


def monthly_rows(session: Session) -> dict[CellKey, int]:
    """Every non-empty monthly cell, keyed like the daily ones (first of the month)."""
    m = MonthlyScoreRollup
    rows = session.execute(
        select(m.month, m.agent_id, m.team_id, m.channel, m.survey_id, m.metric, m.value, m.count)
    )
    return {tuple(row[:7]): row[7] for row in rows if row[7] != 0}  # type: ignore[misc]


def coarser_rows(session: Session) -> dict[str, dict[tuple[Any, ...], int]]:
    """Every non-empty agent and team cell, per table name."""
    out = {}
    for table, date, fields in COARSER:
        columns = [getattr(table, date), *(getattr(table, name) for name in fields)]
        rows = session.execute(select(*columns, table.count))
        out[table.__tablename__] = {tuple(row[:-1]): row[-1] for row in rows if row[-1] != 0}
    return out


def coarser_cells(cells: dict[CellKey, int]) -> dict[str, dict[tuple[Any, ...], int]]:
    """Daily cells summed to each coarser grain (what those tables must hold)."""
    out = {}
    for table, date, fields in COARSER:
        total: Counter[tuple[Any, ...]] = Counter()
        for key, count in cells.items():
            total[coarse_key(key, date, fields)] += count
        out[table.__tablename__] = {k: v for k, v in total.items() if v}
    return out


def by_month(cells: dict[CellKey, int]) -> dict[CellKey, int]:
    """Daily cells summed by month (what the monthly table must hold)."""
    total: Counter[CellKey] = Counter()
    for key, count in cells.items():
        total[(key[0].replace(day=1), *key[1:])] += count
    return {k: v for k, v in total.items() if v}


def cells_of(snapshots: Iterable[Snapshot]) -> Counter[CellKey]:
    """The rollups a set of snapshots adds up to (a plain-Python reference)."""
    total: Counter[CellKey] = Counter()
    for snap in snapshots:
        total.update(snap.cells())
    return total
