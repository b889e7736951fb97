"""Test fixtures: a fresh database upgraded to head, per-test rollback, factories.

Backends come from the environment the test command sets:
  TEST_DATABASE_URL  PostgreSQL server URL (a fresh database is created on it)
  TEST_BROKER_URL    redis://... for the worker tests
Without them the tests use a SQLite file and kombu's SQLAlchemy transport.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
_TMP = Path(tempfile.mkdtemp(prefix="feedback-tests-"))
os.environ.setdefault("FEEDBACK_DATA_DIR", str(_TMP / "data"))
# Bytecode is written (as bin/run does): with PYTHONDONTWRITEBYTECODE set, as in the
# Dockerfile, every Celery worker, bin/run and probe the tests start would compile
# the same libraries again, about two seconds each.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# Hypothesis's "too slow" health check and its per-example deadline time the machine,
# not the product: on a busy machine (CI runs two suites side by side) they fail
# property tests whose properties hold. Tests that need their own settings set them.
settings.register_profile(
    "suite", suppress_health_check=[HealthCheck.too_slow], deadline=None, parent=settings.default
)
settings.load_profile("suite")


def _create_postgres_database(server_url: str) -> tuple[str, str]:
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"fs_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(server_url: str, name: str) -> None:
    url = make_url(server_url).set(drivername="postgresql+psycopg", database="postgres")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    from feedback_service.cli import upgrade_database

    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        url, name = _create_postgres_database(server)
        upgrade_database(url)
        yield url
        _drop_postgres_database(server, name)
    else:
        url = f"sqlite:///{_TMP / 'test.sqlite3'}"
        upgrade_database(url)
        yield url


@pytest.fixture(scope="session")
def broker_url() -> str:
    return os.environ.get("TEST_BROKER_URL") or f"sqla+sqlite:///{_TMP / 'broker.sqlite3'}"


@pytest.fixture(scope="session")
def outbox_dir() -> Path:
    path = _TMP / "outbox"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def built_seed_model() -> Path:
    """The seed model as ``flask analysis build`` (bin/setup) caches it under ./var/build:
    trained only if this checkout has not built it for the current seed data yet.
    Read-only: tests copy it (``trained_seed_models``, ``fresh_install_models``)."""
    from feedback_service.analysis.text.build import cached_model

    return cached_model(ROOT / "var" / "build")


@pytest.fixture(scope="session")
def app(database_url: str, broker_url: str, outbox_dir: Path, built_seed_model: Path) -> Flask:
    """The app, its MODEL_DIR holding the seed model as bin/setup leaves a fresh install."""
    from feedback_service import create_app
    from feedback_service.analysis.text.build import install

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": True,
            "EMAIL_BACKEND": "outbox",
            "MAIL_OUTBOX_DIR": str(outbox_dir),
            "PUBLIC_BASE_URL": "http://feedback.test",
            "RATELIMIT_ENABLED": False,
        }
    )
    install(built_seed_model, app.config["MODEL_DIR"])
    return app


@pytest.fixture(scope="session")
def trained_seed_models(built_seed_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory holding the model a fresh install has from ``flask analysis
    build`` (the seed model, promoted): a copy of the built one."""
    path = tmp_path_factory.mktemp("seed-models") / "models"
    shutil.copytree(built_seed_model, path)
    return path


@pytest.fixture
def fresh_install_models(trained_seed_models: Path, tmp_path: Path) -> Path:
    """A model directory of the test's own, as a fresh install has it after set-up
    (the seed model promoted): a copy, so promotions touch no other test."""
    path = tmp_path / "models"
    shutil.copytree(trained_seed_models, path)
    return path


@pytest.fixture
def empty_model_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """MODEL_DIR as a machine has it before set-up built the model: empty, and the
    test's own, so a model trained or promoted here touches no other test."""
    path = tmp_path / "models"
    monkeypatch.setitem(app.config, "MODEL_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    from feedback_service.cache import clear_all

    clear_all()
    yield
    clear_all()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """Everything a test writes, including its commits, is rolled back at the end."""
    database = app.extensions["db"]
    connection = database.engine.connect()
    outer = connection.begin()
    database.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    session = database.session_factory()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()
        database.session_factory.configure(bind=database.engine, join_transaction_mode=None)


@pytest.fixture
def outbox(outbox_dir: Path) -> Iterator[Path]:
    for old in outbox_dir.glob("*.eml"):
        old.unlink()
    yield outbox_dir


@pytest.fixture
def make_key(app: Flask, db_session: Session) -> Any:
    from feedback_service.auth.service import create_api_key

    def make(*scopes: str, signed: bool = False) -> tuple[str, str | None]:
        api_key, plain = create_api_key(
            db_session, "test", list(scopes) or ["admin"], with_signing_secret=signed
        )
        db_session.commit()
        return plain, api_key.signing_secret

    return make


@pytest.fixture
def auth(make_key: Any) -> Any:
    """``auth("ingest")`` -> headers with a fresh key of that scope."""

    def headers(*scopes: str) -> dict[str, str]:
        plain, _secret = make_key(*scopes)
        return {"Authorization": f"Bearer {plain}"}

    return headers
