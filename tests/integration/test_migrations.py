"""The schema changes only through Alembic: fresh databases upgrade to head, and the
models agree with the migrations (Warehouse's ``bin/db-check``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from feedback_service.cli import alembic_config, upgrade_database
from feedback_service.models import Base
from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip("PostgreSQL not configured (TEST_DATABASE_URL unset); SQLite covered")
    url, name = _create_postgres_database(server)
    yield url
    _drop_postgres_database(server, name)


def test_migrations_have_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()


def test_fresh_database_upgrades_to_head_and_matches_the_models(fresh_database: str) -> None:
    upgrade_database(fresh_database)
    engine = create_engine(fresh_database)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            heads = ScriptDirectory.from_config(alembic_config(fresh_database)).get_heads()
            assert context.get_current_heads() == tuple(heads)
            keys = {row[0] for row in conn.execute(text("SELECT key FROM surveys"))}
            assert {"post-ticket", "nps"} <= keys
        assert {"invitations", "responses", "tickets", "api_keys"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_migrations_downgrade_to_base_and_up_again(fresh_database: str) -> None:
    from alembic import command

    upgrade_database(fresh_database)
    command.downgrade(alembic_config(fresh_database), "base")
    upgrade_database(fresh_database)
    engine = create_engine(fresh_database)
    try:
        assert "invitations" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
