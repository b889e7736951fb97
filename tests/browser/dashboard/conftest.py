"""A live server with the demo data set committed, shared by this module's tests.

Seeding once per package (comments analysed, pattern reports computed) keeps the
browser tests to seconds; the tables are
emptied afterwards, as ``tests/browser/conftest.py`` does for its own fixture.
The Selenium ``driver`` fixture (headless Chromium via /usr/bin/chromedriver,
phone viewport) comes from ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import inspect, text
from werkzeug.serving import make_server

from feedback_service.demo.cli import (
    analyse_and_find_patterns,
    raise_recent_alerts,
    rebuild_rollups,
)
from feedback_service.demo.seed import DemoSummary, seed_demo
from feedback_service.models import Base

PASSWORD = "browser demo password"
KEEP_TABLES = {"surveys", "alembic_version"}


@dataclass(frozen=True)
class DemoSite:
    url: str
    app: Flask
    summary: DemoSummary


@pytest.fixture(scope="package")
def demo_site(app: Flask, database_url: str, broker_url: str) -> Iterator[DemoSite]:
    from feedback_service import create_app
    from feedback_service.db import get_session

    live = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    with live.app_context():
        session = get_session()
        summary = seed_demo(session, days=100, agents=8, seed=7, password=PASSWORD)
        rebuild_rollups(session)
        session.commit()
        analyse_and_find_patterns(session)
        raise_recent_alerts(session)
        session.commit()
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield DemoSite(f"http://127.0.0.1:{server.server_port}", live, summary)
    finally:
        server.shutdown()
        # create_app made its Celery app the process default: give it back.
        app.extensions["celery"].set_default()
        engine = live.extensions["db"].engine
        existing = set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in existing and table.name not in KEEP_TABLES:
                    conn.execute(table.delete())
            conn.execute(text("UPDATE surveys SET throttle_days = 30 WHERE key = 'post-ticket'"))
        engine.dispose()
