"""``flask`` commands: database migrations, API keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from feedback_service.auth.models import SCOPES, ApiKey
from feedback_service.auth.service import (
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)
from feedback_service.db import get_session
from feedback_service.errors import FeedbackError

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade_database(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


db_group = AppGroup("db", help="Database schema (Alembic).")


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Upgrade the database to the newest schema."""
    upgrade_database(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database upgraded to {revision}")


R = TypeVar("R")

keys_group = AppGroup("keys", help="API keys for helpdesks and report readers.")


@keys_group.command("create")
@click.option("--name", required=True, help="Who the key is for, e.g. 'zendesk-prod'.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="ingest, reports or admin; repeat for several.",
)
@click.option("--signed", is_flag=True, help="Also issue an HMAC request-signing secret.")
def keys_create(name: str, scopes: tuple[str, ...], signed: bool) -> None:
    """Create an API key and print it once; only its hash is stored."""
    session = get_session()
    api_key, plain = create_api_key(session, name, list(scopes), with_signing_secret=signed)
    session.commit()
    click.echo(f"API key for {name} ({api_key.scopes}); shown once, store it now:")
    click.echo(plain)
    if api_key.signing_secret:
        click.echo(f"Signing secret (X-Signature HMAC-SHA256): {api_key.signing_secret}")


@keys_group.command("list")
@click.option("--active", is_flag=True, help="Leave revoked keys out.")
def keys_list(active: bool) -> None:
    """Every key: id, name, prefix, scopes, created, last used, revoked (no secrets)."""
    keys, _total = list_api_keys(get_session(), include_revoked=not active, per_page=10**6)
    click.echo("id\tname\tprefix\tscopes\tcreated\tlast used\trevoked")
    for k in keys:
        click.echo(
            "\t".join(
                [
                    str(k.id),
                    k.name,
                    k.prefix + "…",
                    k.scopes.replace(" ", ","),
                    _when(k.created_at),
                    _when(k.last_used_at),
                    _when(k.revoked_at),
                ]
            )
        )


def _change_key(key_id: int, change: Callable[[Session, ApiKey], R]) -> tuple[ApiKey, R]:
    """Apply ``change`` to the key and commit; a missing or revoked key is a CLI error."""
    session = get_session()
    try:
        api_key = get_api_key(session, key_id)
        result = change(session, api_key)
    except FeedbackError as error:
        raise click.ClickException(error.message) from None
    session.commit()
    return api_key, result


@keys_group.command("revoke")
@click.argument("key_id", type=int)
def keys_revoke(key_id: int) -> None:
    """Revoke a key: it is refused (401) from then on."""
    api_key, _ = _change_key(key_id, revoke_api_key)
    click.echo(f"key {api_key.id} ({api_key.name}) revoked")


@keys_group.command("rotate")
@click.argument("key_id", type=int)
def keys_rotate(key_id: int) -> None:
    """Give a key a new secret (same id, name, scopes) and print it once."""
    api_key, plain = _change_key(key_id, rotate_api_key)
    click.echo(f"New key for {api_key.name} ({api_key.scopes}); shown once, store it now:")
    click.echo(plain)
    if api_key.signing_secret:
        click.echo(f"New signing secret (X-Signature HMAC-SHA256): {api_key.signing_secret}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(keys_group)


def _when(moment: dt.datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"
