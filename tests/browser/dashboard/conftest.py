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
from werkzeug.serving import make_server

from feedback_service.demo.cli import (
    analyse_and_find_patterns,
    pending_comments,
    raise_recent_alerts,
    rebuild_rollups,
)
from feedback_service.demo.seed import DemoSummary, seed_demo
from tests.apps import another_app, empty_tables, give_back

PASSWORD = "browser demo password"


@dataclass(frozen=True)
class DemoSite:
    url: str
    app: Flask
    summary: DemoSummary


@pytest.fixture(scope="package")
def demo_site(app: Flask, database_url: str, broker_url: str) -> Iterator[DemoSite]:
    from feedback_service.db import get_session

    live = another_app(database_url, broker_url)
    with live.app_context():
        session = get_session()
        summary = seed_demo(session, days=100, agents=8, seed=7, password=PASSWORD)
        rebuild_rollups(session)
        session.commit()
        analyse_and_find_patterns(session, pending_comments(session))
        raise_recent_alerts(session)
        session.commit()
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield DemoSite(f"http://127.0.0.1:{server.server_port}", live, summary)
    finally:
        server.shutdown()
        empty_tables(live.extensions["db"].engine)
        give_back(app, live)
