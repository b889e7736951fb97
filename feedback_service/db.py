"""SQLAlchemy engine and session, the declarative base, and after-commit hooks.

A request or a task gets one session (``get_session()``); services ``flush()`` and
never ``commit()``. Work for the workers is registered with ``after_commit`` so a
task is sent only once the rows it needs are durable (Warehouse's pattern).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in Python on every backend (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, issue BEGIN, so SAVEPOINT works
            # (the pysqlite recipe in SQLAlchemy's SQLite dialect docs).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front. A deferred transaction that
            # reads and then writes can deadlock with another one, and SQLite then
            # fails at once ("database is locked") instead of waiting its turn.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it costs a round trip on every request. Connections are recycled
    # instead, and a connection broken by a database restart fails one request.
    return create_engine(url, echo=echo, pool_recycle=1800, pool_size=10, max_overflow=20)


class Database:
    """The engine and session factory of one app, kept in ``app.extensions``."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


def init_app(app: Flask) -> Database:
    database = Database(app.config["DATABASE_URL"], app.config["DATABASE_ECHO"])
    app.extensions["db"] = database

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()

    return database


def get_db() -> Database:
    db: Database = current_app.extensions["db"]
    return db


def get_session() -> Session:
    """The session of the current request or task (one per app context)."""
    if "db_session" not in g:
        g.db_session = get_db().session_factory()
    session: Session = g.db_session
    return session


# --- after-commit hooks -----------------------------------------------------------

_HOOKS_KEY = "after_commit_hooks"


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the session's current transaction has committed.

    Dropped on rollback, so nothing is enqueued for rows that never became durable.
    """
    session.info.setdefault(_HOOKS_KEY, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    hooks: list[Callable[[], None]] = session.info.pop(_HOOKS_KEY, [])
    for fn in hooks:
        try:
            fn()
        except Exception:
            # The row is committed; the periodic sweep will pick the work up again.
            log.exception("after-commit hook failed; the sweep will retry")


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_HOOKS_KEY, None)


# --- prebuilt statements on the hot paths ---------------------------------------------


class DriverStatement:
    """A constant ``text()`` statement run straight through the driver's cursor of
    a SQLAlchemy connection, in that connection's transaction.

    For the few statements every dispatch or answer runs: SQLAlchemy's execution
    and result layers cost about 0.5 ms of CPU per statement there, more than the
    driver's own work. The SQL is what SQLAlchemy compiles for the dialect (casts
    included), compiled once; parameters go through their types' bind processors
    (UTCDateTime, JSON...) and the typed result columns of a ``.columns()``
    statement through their result processors, as SQLAlchemy would do. On a
    driver without named ``%(name)s`` parameters (SQLite) it runs the ordinary
    way. What is skipped: SQLAlchemy's cursor events (``DATABASE_ECHO`` does not show these)
    and its wrapping of driver errors.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, dict[str, Any], dict[str, Any]]:
        ready = self._compiled.get(dialect.name)
        if ready is None:
            compiled = self.statement.compile(dialect=dialect)
            binds = {
                name: processor
                for name, bind in compiled.binds.items()
                if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
            }
            results = {
                column.name: processor
                for column in getattr(self.statement, "selected_columns", ())
                if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
            }
            ready = self._compiled[dialect.name] = (str(compiled), binds, results)
        return ready

    def first(self, connection: Any, params: dict[str, Any]) -> dict[str, Any] | None:
        """The first row as a dict (None if there is none)."""
        if connection.dialect.paramstyle != "pyformat":  # SQLite: the ordinary way
            row_ = connection.execute(self.statement, params).mappings().first()
            return dict(row_) if row_ is not None else None
        sql, binds, results = self._for(connection.dialect)
        values = {k: binds[k](v) if k in binds else v for k, v in params.items()}
        with connection.connection.driver_connection.cursor() as cursor:
            cursor.execute(sql, values)
            found = cursor.fetchone()
            if found is None:
                return None
            names = [d.name for d in cursor.description]
        row = dict(zip(names, found, strict=True))
        for name, processor in results.items():
            if name in row:
                row[name] = processor(row[name])
        return row
