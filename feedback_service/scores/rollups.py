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

The cells and grains are those the score family's declaration
(``scores.models.SCORES``) gives. ``rebuild`` recomputes everything from the
responses table with set-based SQL derived from it, and the families kept by
triggers on PostgreSQL (``scores.models.TRIGGER_SETS``) from their sources.

Functions take a session, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from feedback_service.db import Base
from feedback_service.progress import Advance, no_progress
from feedback_service.scores.declare import Grain, utc_day
from feedback_service.scores.models import (
    NO_CHANNEL,
    NO_ID,
    RESPONSES_METRIC,
    SCORES,
    SURVEY_METRICS,
    TRIGGER_SETS,
    AppliedResponse,
    ScoreRollup,
)
from feedback_service.surveys.models import Response
from feedback_service.surveys.responses import CONFIRMED

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
    # Both dialects spell INSERT .. ON CONFLICT alike; SQLAlchemy has one construct each.
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[
        session.get_bind().dialect.name
    ]


# The cell key of ``score_rollups``, the finest grain of the score family.
CELL_FIELDS = ("day", *(key.name for key in SCORES.keys))


def grain_key(key: CellKey, grain: Grain) -> tuple[Any, ...]:
    """A daily cell's key at a grain of the score family (month start for monthly)."""
    day = key[0] if grain.period == "day" else key[0].replace(day=1)
    return (day, *(key[CELL_FIELDS.index(name)] for name in SCORES.key_names(grain)))


def _table(grain: Grain) -> Table:
    return Base.metadata.tables[grain.table]


def add_counts(session: Session, deltas: Counter[CellKey]) -> None:
    """Add signed counts to their cells at every grain of the score family, one
    INSERT .. ON CONFLICT DO UPDATE per grain, in the same transaction.

    ``count = count + excluded.count`` is computed by the database under the row's
    lock, so two workers adding to the same cell never lose an update.
    """
    insert = _insert_fn(session)
    for grain in SCORES.grains:
        summed: Counter[tuple[Any, ...]] = Counter()
        for key, delta in deltas.items():
            summed[grain_key(key, grain)] += delta
        names = [grain.period, *SCORES.key_names(grain)]
        rows = [
            dict(zip(names, key, strict=True), count=delta)
            for key, delta in sorted(summed.items())  # a fixed order avoids deadlocks
            if delta != 0
        ]
        if rows:
            # One statement executed for many rows (compiled once, cached; psycopg
            # pipelines them) rather than a multi-VALUES INSERT compiled per call.
            table = _table(grain)
            stmt = insert(table).values({name: bindparam(name) for name in [*names, "count"]})
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=names, set_={"count": table.c.count + stmt.excluded.count}
                ),
                rows,
            )


def apply_response(session: Session, response: Response) -> bool:
    """Make the rollups reflect ``response`` as it is now; True if counts moved.

    The caller holds the response's row lock (``SELECT .. FOR UPDATE``) and
    commits once, so the snapshot and the counts change together or not at all.
    """
    return apply_responses(session, [response]) == 1


def apply_responses(session: Session, responses: Sequence[Response]) -> int:
    """Make the rollups reflect every response as it is now, the deltas of all of
    them summed per cell before one ``add_counts``; returns how many moved counts.

    The caller holds the responses' row locks, taken in id order, and commits once.
    """
    ids = [r.id for r in responses]
    applied = {
        a.response_id: a
        for a in session.scalars(
            select(AppliedResponse)
            .where(AppliedResponse.response_id.in_(ids))
            .order_by(AppliedResponse.response_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    deltas: Counter[CellKey] = Counter()
    moved = 0
    for response in responses:
        row = applied.get(response.id)
        old = _snapshot_of_applied(row) if row is not None else None
        new = snapshot_of(response)
        if old == new:
            if row is not None:
                row.version = response.version
            continue
        moved += 1
        for cell in old.cells() if old else []:
            deltas[cell] -= 1
        for cell in new.cells() if new else []:
            deltas[cell] += 1
        _store_snapshot(session, response, row, new)
    add_counts(session, deltas)
    session.flush()
    return moved


def _store_snapshot(
    session: Session, response: Response, row: AppliedResponse | None, new: Snapshot | None
) -> None:
    if new is None:
        assert row is not None
        session.delete(row)
        return
    values = {"version": response.version, **{f: getattr(new, f) for f in new.__dataclass_fields__}}
    if row is None:
        session.add(AppliedResponse(response_id=response.id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


# --- rebuild ----------------------------------------------------------------------


def rebuild_steps() -> int:
    """How many steps ``rebuild`` reports to its ``advance``."""
    return 1 + len(SCORES.grains) + len(TRIGGER_SETS)


def rebuild(session: Session, advance: Advance = no_progress) -> int:
    """Recompute every snapshot and every rollup: the score family from the
    responses table, the families kept by triggers from their sources.

    Set-based (INSERT .. SELECT), so a million responses take seconds. On
    PostgreSQL the tables are locked for the duration: a worker applying a
    response meanwhile waits and then applies on top of the rebuilt state, where
    its snapshot comparison keeps it exact. Returns the number of score cells.
    """
    finest, *coarser = SCORES.grains
    if session.get_bind().dialect.name == "postgresql":
        tables = ", ".join(["applied_responses", *(g.table for g in SCORES.grains)])
        session.execute(text(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE"))
    for grain in SCORES.grains:
        session.execute(delete(_table(grain)))
    session.execute(delete(AppliedResponse))
    snapshot_cols = select(
        Response.id,
        Response.version,
        utc_day(Response.submitted_at),
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
    advance(1)
    # The finest cells from the snapshots, every other grain from the finest.
    columns = [*CELL_FIELDS, *SCORES.counts]
    snapshots = union_all(*SCORES.delta(SCORES.source, 1)).subquery("delta")
    session.execute(insert(_table(finest)).from_select(columns, SCORES.grouped(finest, snapshots)))
    advance(1)
    for grain in coarser:
        columns = [grain.period, *SCORES.key_names(grain), *SCORES.counts]
        session.execute(
            insert(_table(grain)).from_select(columns, SCORES.grouped(grain, _table(finest)))
        )
        advance(1)
    for trigger_set in TRIGGER_SETS:
        rebuild_kept_by_triggers(session, trigger_set.name)
        advance(1)
    session.flush()
    return int(session.scalar(select(func.count()).select_from(ScoreRollup)) or 0)


def rebuild_kept_by_triggers(session: Session, name: str) -> int:
    """Recompute the families of one trigger set (``scores.models.TRIGGER_SETS``)
    from their source with the set's ``<name>_rebuild()``, holding its locks:
    writes to the source wait for the rebuild's commit, so none is counted twice
    or lost. PostgreSQL, where the triggers keep them (empty tables on SQLite).
    Returns the number of cells of the set's first table (0 on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    trigger_set = next(t for t in TRIGGER_SETS if t.name == name)
    for lock in trigger_set.locks:
        session.execute(text(f"LOCK TABLE {lock}"))
    session.execute(text(f"SELECT {trigger_set.name}_rebuild()"))
    first = _table(trigger_set.families[0].grains[0])
    return int(session.scalar(select(func.count()).select_from(first)) or 0)


def rebuild_ticket_rollups(session: Session) -> int:
    """The ticket rollups and duration bands (``rebuild_kept_by_triggers``)."""
    return rebuild_kept_by_triggers(session, "ticket_rollups")


def rebuild_invitation_rollups(session: Session) -> int:
    """The sent-invitation counts (``rebuild_kept_by_triggers``)."""
    return rebuild_kept_by_triggers(session, "invitation_rollups")


def rebuild_fcr_gap_rollups(session: Session) -> int:
    """The ticket factors on the answers and the FCR-gap counts from them."""
    return rebuild_kept_by_triggers(session, "fcr_gap_rollups")


def grain_rows(session: Session, grain: Grain) -> dict[tuple[Any, ...], int]:
    """Every non-empty cell of one score grain (tests and checks compare
    incremental with rebuilt)."""
    table = _table(grain)
    columns = [table.c[name] for name in (grain.period, *SCORES.key_names(grain))]
    rows = session.execute(select(*columns, table.c.count))
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1] != 0}


def grain_cells(cells: dict[CellKey, int], grain: Grain) -> dict[tuple[Any, ...], int]:
    """Daily cells summed to one score grain (what its table must hold)."""
    total: Counter[tuple[Any, ...]] = Counter()
    for key, count in cells.items():
        total[grain_key(key, grain)] += count
    return {k: v for k, v in total.items() if v}


def histogram_rows(session: Session) -> dict[CellKey, int]:
    """Every non-empty daily cell."""
    return grain_rows(session, SCORES.grains[0])


def monthly_rows(session: Session) -> dict[CellKey, int]:
    """Every non-empty monthly cell, keyed like the daily ones (first of the month)."""
    return grain_rows(session, SCORES.grain("score_rollups_monthly"))


def by_month(cells: dict[CellKey, int]) -> dict[CellKey, int]:
    """Daily cells summed by month (what the monthly table must hold)."""
    return grain_cells(cells, SCORES.grain("score_rollups_monthly"))


# The grains without the channel (agent cells) and without agent and channel
# (team cells), daily and monthly.
COARSER = tuple(g for g in SCORES.grains if g.keys is not None)


def coarser_rows(session: Session) -> dict[str, dict[tuple[Any, ...], int]]:
    """Every non-empty agent and team cell, per table name."""
    return {grain.table: grain_rows(session, grain) for grain in COARSER}


def coarser_cells(cells: dict[CellKey, int]) -> dict[str, dict[tuple[Any, ...], int]]:
    """Daily cells summed to each coarser grain (what those tables must hold)."""
    return {grain.table: grain_cells(cells, grain) for grain in COARSER}


def cells_of(snapshots: Iterable[Snapshot]) -> Counter[CellKey]:
    """The rollups a set of snapshots adds up to (a plain-Python reference)."""
    total: Counter[CellKey] = Counter()
    for snap in snapshots:
        total.update(snap.cells())
    return total
