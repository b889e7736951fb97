"""Building blocks the revisions share: a table with an integer ``id`` key, its
timestamps, its named constraints and indexes, a rollup table, and the statement
triggers that keep a rollup family.

Revisions that have already run call these, so an edit here would change what an
old revision builds. Add a new function instead of changing one; the schema after
every revision (``pg_dump --schema-only``, SQLite ``.schema``) must stay the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# A rollup key column's type, wherever a rollup table has that key.
ROLLUP_KEYS: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "agent_id": sa.Integer,
    "team_id": sa.Integer,
    "channel": lambda: sa.String(length=40),
    "survey_id": sa.Integer,
    "metric": lambda: sa.String(length=20),
    "value": sa.SmallInteger,
    "kind": lambda: sa.String(length=20),
    "bucket": sa.Integer,
}
IndexSpec = str | tuple[str, list[str]]


def data_table(name: str, **types: Any) -> sa.TableClause:
    """A table as a data statement of a revision reads and writes it (no schema)."""
    return sa.table(name, *(sa.column(column, kind) for column, kind in types.items()))


def create_table(name: str, *items: sa.schema.SchemaItem) -> None:
    """``op.create_table`` with an integer ``id`` first, the primary key ``pk_<name>``."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        *items,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )


def timestamps(*names: str, nullable: bool = False) -> list[sa.Column[Any]]:
    return [sa.Column(name, sa.DateTime(timezone=True), nullable=nullable) for name in names]


def strings(*, nullable: bool = False, **lengths: int) -> list[sa.Column[Any]]:
    """``String`` columns, one per ``name=length``, in the order given."""
    return [sa.Column(name, sa.String(length=n), nullable=nullable) for name, n in lengths.items()]


def columns(
    kind: Callable[[], sa.types.TypeEngine[Any]], *names: str, nullable: bool = False
) -> list[sa.Column[Any]]:
    """Columns of one type (``sa.Integer``, ``sa.JSON`` ...), in the order given."""
    return [sa.Column(name, kind(), nullable=nullable) for name in names]


def foreign_key(table: str, column: str, target: str, **kw: Any) -> sa.ForeignKeyConstraint:
    """``<table>.<column>`` references ``<target>.id``, named by the convention."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **kw
    )


def foreign_keys(table: str, **targets: str) -> list[sa.ForeignKeyConstraint]:
    """``foreign_key`` for each ``column=target``, in the order given."""
    return [foreign_key(table, column, target) for column, target in targets.items()]


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def add_unique(table: str, *columns: str) -> None:
    """Adds ``uq_<table>_<columns>`` to an existing table (on SQLite a rebuild)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f(f"uq_{table}_{'_'.join(columns)}"), list(columns)
        )


def drop_unique(table: str, *columns: str) -> None:
    """Drops what ``add_unique`` made."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f"uq_{table}_{'_'.join(columns)}"), type_="unique")


def add_columns(table: str, *columns: sa.Column[Any]) -> None:
    """Adds the columns to ``table``, in the order given (one batch: on SQLite at most
    one rebuild of the table)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.add_column(column)


def drop_columns(table: str, *names: str) -> None:
    """Drops the columns from ``table``, in the order given (one batch)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_column(name)


def create_indexes(table: str, *specs: IndexSpec) -> None:
    """A column name makes ``ix_<table>_<column>``; ``(name, columns)`` a named index."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for spec in specs:
            if isinstance(spec, str):
                batch_op.create_index(batch_op.f(f"ix_{table}_{spec}"), [spec], unique=False)
            else:
                batch_op.create_index(spec[0], spec[1], unique=False)


def drop_indexes(table: str, *specs: IndexSpec) -> None:
    """Drops what ``create_indexes`` made, in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for spec in specs:
            if isinstance(spec, str):
                batch_op.drop_index(batch_op.f(f"ix_{table}_{spec}"))
            else:
                batch_op.drop_index(spec[0])


def drop_table(table: str, *index_specs: IndexSpec) -> None:
    """Drops the table's indexes made by ``create_indexes`` (in reverse), then the table."""
    if index_specs:
        drop_indexes(table, *reversed(index_specs))
    op.drop_table(table)


def rollup_table(table: str, period: str, keys: Sequence[str], counts: Iterable[str]) -> None:
    """One cell per period and key: integer counts, unique on the period and the keys."""
    create_table(
        table,
        sa.Column(period, sa.Date(), nullable=False),
        *(sa.Column(key, ROLLUP_KEYS[key](), nullable=False) for key in keys),
        *(sa.Column(count, sa.Integer(), nullable=False) for count in counts),
        unique(table, period, *keys),
    )


def month_of(day: str) -> str:
    """SQL for the first day of the month of the date ``day``, on this database."""
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(date_trunc('month', {day}) AS date)"
    return f"date({day}, 'start of month')"


def sum_cells(target: str, period: str, source: str, at: str, keys: Sequence[str]) -> None:
    """Fills ``target`` with the ``count`` of ``source``'s cells summed per ``period``
    (the expression ``at`` over the source's cells) and ``keys``."""
    columns = ", ".join(keys)
    op.execute(
        f"INSERT INTO {target} ({period}, {columns}, count) "  # noqa: S608 (named tables)
        f"SELECT {at}, {columns}, sum(count) FROM {source} GROUP BY {at}, {columns}"
    )


# --- statement triggers that keep a rollup family (PostgreSQL) ---------------------


def transition_deltas(delta: Callable[[str, int], str]) -> dict[str, tuple[str, str]]:
    """Per event: the transition tables a trigger sees, and the rows it adds (+1)
    or takes away (-1)."""
    return {
        "insert": ("NEW TABLE AS new_rows", delta("new_rows", 1)),
        "update": (
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            delta("new_rows", 1) + "\n        UNION ALL" + delta("old_rows", -1),
        ),
        "delete": ("OLD TABLE AS old_rows", delta("old_rows", -1)),
    }


def counting_upsert(
    delta: str, table: str, period: str, expr: str, keys: str, count_when: dict[str, str]
) -> str:
    """Adds ``delta``'s rows to ``table``: each count sums the signs of the rows that
    meet its condition; a cell that would not change is not written."""
    counts = list(count_when)
    sums = ", ".join(f"sum(CASE WHEN {count_when[c]} THEN sign ELSE 0 END)" for c in counts)
    nonzero = " OR ".join(
        f"sum(CASE WHEN {count_when[c]} THEN sign ELSE 0 END) <> 0" for c in counts
    )
    add = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    group = ", ".join(str(i) for i in range(1, keys.count(",") + 3))
    return f"""
        WITH delta AS ({delta})
        INSERT INTO {table} ({period}, {keys}, {", ".join(counts)})
        SELECT {expr}, {keys}, {sums}
        FROM delta GROUP BY {group} HAVING {nonzero} ORDER BY {group}
        ON CONFLICT ({period}, {keys}) DO UPDATE SET {add};"""  # noqa: S608 (identifiers the revisions name)


def create_rollup_triggers(
    family: str,
    source: str,
    delta: Callable[[str, int], str],
    upserts: Callable[[str], str],
    tables: Iterable[str],
    before_rebuild: str = "",
) -> None:
    """``<family>_on_<event>()`` and its statement trigger on ``source`` per event,
    and ``<family>_rebuild()``: empty the tables, count ``source`` again."""
    for event, (transitions, rows) in transition_deltas(delta).items():
        op.execute(
            f"CREATE FUNCTION {family}_on_{event}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $body$ BEGIN {upserts(rows)}\n RETURN NULL; END $body$"
        )
        op.execute(
            f"CREATE TRIGGER {family}_{event} AFTER {event.upper()} ON {source} "
            f"REFERENCING {transitions} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {family}_on_{event}()"
        )
    deletes = "".join(f" DELETE FROM {t};" for t in tables)  # noqa: S608 (named tables)
    op.execute(
        f"CREATE FUNCTION {family}_rebuild() RETURNS void LANGUAGE plpgsql "
        f"AS $body$ BEGIN {before_rebuild}{deletes} {upserts(delta(source, 1))}\n END $body$"
    )


def drop_rollup_triggers(family: str, source: str) -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER {family}_{event} ON {source}")
        op.execute(f"DROP FUNCTION {family}_on_{event}()")
    op.execute(f"DROP FUNCTION {family}_rebuild()")
