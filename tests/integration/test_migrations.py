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
from feedback_service.scores.declare import EVENTS
from feedback_service.scores.models import TRIGGER_SETS
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


def test_rollup_triggers_at_head_are_the_declarations(fresh_database: str) -> None:
    """Every trigger-kept rollup family's functions in a database upgraded to head
    are the text its declaration generates, fired by one statement-level trigger
    per event on its source table; SQLite has none (those tables stay empty)."""
    upgrade_database(fresh_database)
    engine = create_engine(fresh_database)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                found = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                assert list(found) == []
                return
            for trigger_set in TRIGGER_SETS:
                for name, body in trigger_set.functions(Base.metadata.tables).items():
                    installed = conn.scalars(
                        text("SELECT prosrc FROM pg_proc WHERE proname = :name"), {"name": name}
                    ).all()
                    assert installed == [body], f"{name} differs from its declaration"
                rows = conn.execute(
                    text(
                        "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                        "JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE c.relname = :source AND t.tgname LIKE :prefix"
                    ),
                    {"source": trigger_set.source, "prefix": f"{trigger_set.name}_%"},
                )
                triggers = {name: definition for name, definition in rows}
                assert set(triggers) == {f"{trigger_set.name}_{event}" for event in EVENTS}
                for event in EVENTS:
                    definition = triggers[f"{trigger_set.name}_{event}"]
                    assert f"AFTER {event.upper()} ON public.{trigger_set.source}" in definition
                    assert "FOR EACH STATEMENT" in definition
                    assert f"EXECUTE FUNCTION {trigger_set.name}_on_{event}()" in definition
    finally:
        engine.dispose()
