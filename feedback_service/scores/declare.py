"""Rollup families, each declared once; tables, rebuilds and triggers derived from it.

A family (``Family``) says what is counted: its source rows and which of them
count (``where``), the UTC day a row falls on, the cell key (``keys``) and the
counted columns, each with the condition under which a row adds to it. A family
is kept at one or more grains (``Grain``): a table per period (day or month) and
set of keys, the finest first. From that one declaration come:

* the table (``Family.table``), which the mapped class in ``scores.models`` wraps;
* the set-based SQL that adds a batch of source rows to every grain
  (``Family.upserts``): the rebuild runs it over the whole source, and on
  PostgreSQL the statement-level triggers of a ``TriggerSet`` run it over the
  rows a statement inserted (+1), deleted (-1) or updated (both);
* the PL/pgSQL text of those triggers and of the ``<name>_rebuild()`` functions
  (``TriggerSet.functions``), installed by migration ``0021_rollups_declared``
  and compared with the database by ``tests/integration/test_migrations.py``.

Changing a family therefore needs a migration that re-runs
``TriggerSet.install`` (the test fails until there is one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Select,
    Table,
    UniqueConstraint,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm.decl_api import DeclarativeAttributeIntercept
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

from feedback_service.db import Base

# --- date expressions, one definition compiled for each backend ----------------------


class utc_day(FunctionElement[dt.date]):
    """The UTC calendar day of a timestamp column."""

    type = Date()
    inherit_cache = True


class month_start(FunctionElement[dt.date]):
    """The first day of a date's calendar month."""

    type = Date()
    inherit_cache = True


# A timestamptz cast to date would use the session's time zone, hence AT TIME ZONE;
# SQLite stores naive UTC text, whose date() is the "YYYY-MM-DD" a Date column holds.
_SQL = {
    (utc_day, "postgresql"): "CAST({} AT TIME ZONE 'UTC' AS DATE)",
    (utc_day, "sqlite"): "date({})",
    (month_start, "postgresql"): "CAST(date_trunc('month', {}) AS DATE)",
    (month_start, "sqlite"): "date({}, 'start of month')",
}


def _render(template: str, element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return template.format(compiler.process(element.clauses, **kw))


for (_construct, _dialect), _template in _SQL.items():
    compiles(_construct, _dialect)(partial(_render, _template))


# (table, sign): rows that add (1) or take away (-1) their counts.
Sources = tuple[tuple[str, int], ...]

# --- the declaration ---------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """A column of the cell key: its type, the sentinel that stands for "none"
    (a NULL never equals another NULL, so a unique key with NULLs would let two
    rows of one cell coexist) and its value over a source row (None: each
    ``Part`` gives it)."""

    name: str
    type: TypeEngine[Any]
    source: ColumnElement[Any] | None = None
    default: int | str | None = None


@dataclass(frozen=True)
class Part:
    """One cell per source row and part (a row counted under several keys, e.g.
    one per answered metric): the values of the keys the family leaves to its
    parts, and which rows have this part."""

    values: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    where: ColumnElement[bool] | None = None


@dataclass(frozen=True)
class Grain:
    """One table of a family: per ``period`` ("day" or "month") and the family's
    keys (or the subset named), with its read indexes; ``covering`` indexes
    include every other column on PostgreSQL, so reads are index-only scans."""

    table: str
    period: str
    keys: tuple[str, ...] | None = None
    indexes: tuple[tuple[str, ...], ...] = ()
    covering: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Family:
    """A rollup family: see the module docstring. ``counts`` maps each counted
    column to the condition under which a row adds one (None: every row)."""

    name: str
    source: str
    day: ColumnElement[dt.date]
    where: ColumnElement[bool] | None
    keys: tuple[Key, ...]
    counts: Mapping[str, ColumnElement[bool] | None]
    grains: tuple[Grain, ...]
    parts: tuple[Part, ...] = (Part(),)

    def grain(self, table: str) -> Grain:
        return next(g for g in self.grains if g.table == table)

    def key_names(self, grain: Grain) -> tuple[str, ...]:
        return grain.keys if grain.keys is not None else tuple(k.name for k in self.keys)

    def table(self, grain: Grain, metadata: MetaData) -> Table:
        """The grain's table: id, period, keys, counts, unique on period + keys."""
        by_name = {k.name: k for k in self.keys}
        keys = [by_name[name] for name in self.key_names(grain)]
        columns = [grain.period, *(k.name for k in keys), *self.counts]
        indexes = [Index(f"ix_{grain.table}_{'_'.join(cols)}", *cols) for cols in grain.indexes] + [
            Index(
                f"ix_{grain.table}_{'_'.join(cols)}",
                *cols,
                postgresql_include=[c for c in columns if c not in cols],
            )
            for cols in grain.covering
        ]
        return Table(
            grain.table,
            metadata,
            Column("id", Integer, primary_key=True),
            Column(grain.period, Date, nullable=False),
            *(Column(k.name, k.type, nullable=False, default=k.default) for k in keys),
            *(Column(name, Integer, nullable=False, default=0) for name in self.counts),
            UniqueConstraint(grain.period, *(k.name for k in keys)),
            *indexes,
        )

    def delta(self, source: str, sign: int) -> list[Select[Any]]:
        """The cells ``source``'s rows add (``sign`` 1) or take away (-1): per row
        and part, the day, the keys and each count as ``sign`` or 0."""
        out = []
        for part in self.parts:
            keys = [
                (part.values[k.name] if k.source is None else k.source).label(k.name)
                for k in self.keys
            ]
            counts = [
                (literal(sign) if cond is None else case((cond, sign), else_=0)).label(name)
                for name, cond in self.counts.items()
            ]
            where = [c for c in (self.where, part.where) if c is not None]
            out.append(
                select(self.day.label("day"), *keys, *counts)
                .select_from(text(source))
                .where(*where)
            )
        return out

    def grouped(self, grain: Grain, rows: Any) -> Select[Any]:
        """``rows`` (day, keys, counts) summed into the grain's cells, in key order
        (concurrent writers then lock cells in one order and never deadlock);
        cells whose counts all sum to zero are left out."""
        period = rows.c.day if grain.period == "day" else month_start(rows.c.day)
        keys = [period, *(rows.c[name] for name in self.key_names(grain))]
        sums = [func.sum(rows.c[name]) for name in self.counts]
        return (
            select(*keys, *sums)
            .group_by(*keys)
            .having(or_(*(s != 0 for s in sums)))
            .order_by(*keys)
        )

    def upserts(self, tables: Mapping[str, Table], sources: Sources) -> Iterator[Any]:
        """One ``INSERT .. ON CONFLICT DO UPDATE`` per grain adding the rows of
        ``sources`` (a table, or a trigger's transition tables ``new_rows`` and
        ``old_rows``), each with its sign, to the cells; PostgreSQL."""
        for grain in self.grains:
            parts = [part for name, sign in sources for part in self.delta(name, sign)]
            rows = (
                union_all(*parts).subquery("delta")
                if len(parts) > 1
                else parts[0].subquery("delta")
            )
            table = tables[grain.table]
            names = [grain.period, *self.key_names(grain), *self.counts]
            stmt = postgresql.insert(table).from_select(names, self.grouped(grain, rows))
            yield stmt.on_conflict_do_update(
                index_elements=[grain.period, *self.key_names(grain)],
                set_={c: table.c[c] + stmt.excluded[c] for c in self.counts},
            )


def postgresql_sql(statement: ClauseElement) -> str:
    """A statement as PostgreSQL text with its constants inlined (trigger bodies)."""
    return str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})  # type: ignore[no-untyped-call]
    )


# --- PostgreSQL triggers -------------------------------------------------------------

EVENTS: dict[str, tuple[str, Sources]] = {
    # event: (transition tables, what each adds)
    "insert": ("NEW TABLE AS new_rows", (("new_rows", 1),)),
    "update": ("OLD TABLE AS old_rows NEW TABLE AS new_rows", (("new_rows", 1), ("old_rows", -1))),
    "delete": ("OLD TABLE AS old_rows", (("old_rows", -1),)),
}


@dataclass(frozen=True)
class TriggerSet:
    """Families kept on PostgreSQL by statement-level triggers on their source
    table (``<name>_insert`` / ``_update`` / ``_delete``) in the transaction that
    writes it: every path that writes the source, bulk loads included, moves the
    counts. ``<name>_rebuild()`` recomputes them from the source, after
    ``prepare`` (SQL that brings the source up to date first); ``locks`` are
    what ``flask scores rebuild`` takes so no write is counted twice or lost."""

    name: str
    source: str
    families: tuple[Family, ...]
    locks: tuple[str, ...]
    prepare: str = ""

    def _body(self, tables: Mapping[str, Table], sources: Sources) -> str:
        return "".join(
            f"\n{postgresql_sql(stmt)};"
            for family in self.families
            for stmt in family.upserts(tables, sources)
        )

    def functions(self, tables: Mapping[str, Table]) -> dict[str, str]:
        """``{function name: PL/pgSQL body}`` of the three trigger functions and
        the rebuild function."""
        out = {
            f"{self.name}_on_{event}": f"BEGIN{self._body(tables, sources)}\nRETURN NULL;\nEND"
            for event, (_, sources) in EVENTS.items()
        }
        deletes = "".join(
            f"\nDELETE FROM {grain.table};" for family in self.families for grain in family.grains
        )
        prepare = f"\n{self.prepare.strip()}" if self.prepare else ""
        out[f"{self.name}_rebuild"] = (
            f"BEGIN{prepare}{deletes}{self._body(tables, ((self.source, 1),))}\nEND"
        )
        return out

    def install(self, tables: Mapping[str, Table], execute: Any) -> None:
        """(Re)create the functions and the triggers (``execute`` runs one SQL
        statement: ``op.execute`` in a migration)."""
        for function, body in self.functions(tables).items():
            returns = "void" if function.endswith("_rebuild") else "trigger"
            execute(
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS {returns} "
                f"LANGUAGE plpgsql AS $body${body}$body$"
            )
        for event, (transitions, _) in EVENTS.items():
            execute(
                f"CREATE OR REPLACE TRIGGER {self.name}_{event} AFTER {event.upper()} "
                f"ON {self.source} REFERENCING {transitions} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {self.name}_on_{event}()"
            )


# --- mapped classes over the derived tables ------------------------------------------

if TYPE_CHECKING:

    class _ColumnsAreAny(DeclarativeAttributeIntercept):
        # The columns come from the declaration, so mypy cannot list them.
        def __getattr__(cls, name: str) -> Any: ...

    class RollupModel(Base, metaclass=_ColumnsAreAny):
        def __getattr__(self, name: str) -> Any: ...

else:

    class RollupModel(Base):
        """Base of the classes mapped over a family's derived tables."""

        __abstract__ = True
