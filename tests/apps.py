"""Second apps for tests that need other settings than the shared session app.

``create_app`` makes its Celery app the process's current and default one, so every
second app must give them back to the shared app afterwards, or later tests that call
tasks directly would run them against a disposed engine.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Engine, inspect, text

from feedback_service.models import Base

# What a test that commits data leaves behind: the seeded survey and the schema version.
KEEP_TABLES = {"surveys", "alembic_version"}


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
