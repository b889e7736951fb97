"""Second apps for tests that need other settings than the shared session app.

``create_app`` makes its Celery app the process's current and default one, so every
second app must give them back to the shared app afterwards, or later tests that call
tasks directly would run them against a disposed engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import Engine, delete, func, inspect, select, table, text
from sqlalchemy.orm import Session

from feedback_service.models import Base

# What a test that commits data leaves behind: the seeded survey and the schema version.
KEEP_TABLES = {"surveys", "alembic_version"}

T = TypeVar("T")


def another_app(database_url: str, broker_url: str, **config: Any) -> Flask:
    """An app on the test database and broker: testing, eager tasks, rate limits off
    unless ``config`` says otherwise."""
    from feedback_service import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": True,
            "RATELIMIT_ENABLED": False,
            **config,
        }
    )


def give_back(shared: Flask, *others: Flask) -> None:
    """Dispose of the other apps' engines; the shared app's Celery is current again."""
    for other in others:
        other.extensions["db"].engine.dispose()
    shared.extensions["celery"].set_default()
    shared.extensions["celery"].set_current()


def empty_tables(engine: Engine) -> None:
    """Delete what tests committed (children first), keeping KEEP_TABLES."""
    existing = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in existing and table.name not in KEEP_TABLES:
                conn.execute(table.delete())
        conn.execute(text("UPDATE surveys SET throttle_days = 30 WHERE key = 'post-ticket'"))


def row_counts(engine: Engine) -> dict[str, int]:
    """Every table's row count (tables the migrations made outside the models too)."""
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in inspect(engine).get_table_names()
        }


@contextmanager
def committed_for_module(app: Flask, seed: Callable[[Session], T]) -> Iterator[T]:
    """``seed`` run once on its own session and committed, for a module's tests to
    share; each test still writes inside its own rolled-back transaction
    (``db_session``). Afterwards the tables the seed wrote are emptied again; the seed
    may only write tables that were empty before it, and nothing may be left over."""
    database = app.extensions["db"]
    engine: Engine = database.engine
    before = row_counts(engine)
    written: list[str] = []
    try:
        session = database.session_factory(bind=engine)
        try:
            value = seed(session)
            session.commit()
        finally:
            session.close()
        after = row_counts(engine)
        written = [name for name, count in after.items() if count != before.get(name)]
        clash = [name for name in written if before.get(name)]
        assert not clash, f"the module's seed wrote to tables that held rows: {clash}"
        yield value
    finally:
        _empty(engine, written or [n for n, c in row_counts(engine).items() if not before.get(n)])
    left = {n: c for n, c in row_counts(engine).items() if c != before.get(n)}
    assert not left, f"rows left behind by the module's seed: {left}"


def _empty(engine: Engine, names: list[str]) -> None:
    """Delete every row of ``names``, children first; twice, for the rows that
    triggers (PostgreSQL's rollups) wrote while the first pass deleted."""
    ordered = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in names]
    ordered += [name for name in names if name not in ordered]
    for _pass in range(2):
        with engine.begin() as conn:
            for name in ordered:
                conn.execute(delete(table(name)))
