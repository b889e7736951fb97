"""SQLAlchemy engine and session, the declarative base, and after-commit hooks.

A request or a task gets one session (``get_session()``); services ``flush()`` and
never ``commit()``. Work for the workers is registered with ``after_commit`` so a
task is sent only once the rows it needs are durable (Warehouse's pattern).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
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
        moment: dt.datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)


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


# --- dialect-specific statements -------------------------------------------------------

_INSERTS: dict[str, Callable[[Table | type[Base]], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def equal_to(entity: Any, **values: object) -> list[ColumnElement[bool]]:
    """``entity.<name> == value`` for each value that is not None: the optional
    equality filters of a report or a listing."""
    return [getattr(entity, name) == value for name, value in values.items() if value is not None]


def unsent_ids(
    session: Session,
    model: Any,
    waiting: str,
    due: Any,
    grace: dt.timedelta,
    stale: dt.timedelta,
    limit: int,
) -> list[int]:
    """Ids of ``model`` rows that nobody is sending: ``waiting`` ones whose ``due``
    time has come and that nobody touched within ``grace`` (a lost enqueue), and
    ``sending`` ones untouched for ``stale`` (a worker that died mid-send)."""
    claim = claimable(model, waiting, due, utcnow(), stale, grace=grace)
    return list(session.scalars(select(model.id).where(claim).order_by(model.id).limit(limit)))


_Row = TypeVar("_Row", bound=Base)


def claim(
    session: Session, model: type[_Row], row_id: int, waiting: str, due: Any, stale: dt.timedelta
) -> _Row | None:
    """Atomically move a row that ``claimable`` allows to ``sending``, one attempt
    more; None if there is nothing to do. The conditional UPDATE is the lock: of two
    workers given the same id, one wins."""
    table: Any = model
    now = utcnow()
    result = session.execute(
        update(table)
        .where(table.id == row_id, claimable(table, waiting, due, now, stale))
        .values(status="sending", attempts=table.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get_one(model, row_id, populate_existing=True)


def claimable(
    model: Any,
    waiting: str,
    due: Any,
    now: dt.datetime,
    stale: dt.timedelta,
    *,
    grace: dt.timedelta | None = None,
) -> ColumnElement[bool]:
    """A row a sender may take: a ``waiting`` one whose ``due`` time has come
    (untouched within ``grace``, if given), or a ``sending`` one untouched for
    ``stale``, whose sender died."""
    ready = (model.status == waiting) & (due <= now)
    if grace is not None:
        ready = ready & (model.updated_at <= now - grace)
    return or_(ready, (model.status == "sending") & (model.updated_at < now - stale))


def insert_for(dialect: str, table: Table | type[Base]) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` into ``table`` (or a model's table) in the named dialect
    (``connection.dialect.name``): the construct that has ``on_conflict_do_nothing``
    and ``on_conflict_do_update``, which both databases support alike."""
    return _INSERTS[dialect](table)
