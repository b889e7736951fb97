"""``flask customers export|erase ID``: the same as the API, for an operator."""

from __future__ import annotations

import getpass
import json

import click
from flask import Flask

from feedback_service.customers import service
from feedback_service.db import get_session


def register_cli(app: Flask) -> None:
    @app.cli.group("customers")
    def customers_group() -> None:
        """One customer's data (GDPR): export or erase."""

    @customers_group.command("export")
    @click.argument("customer_id")
    def export_command(customer_id: str) -> None:
        """Print everything held about the customer with this helpdesk id, as JSON."""
        session = get_session()
        try:
            data = service.export_customer(session, customer_id)
        except service.CustomerNotFound as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            session.rollback()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))

    @customers_group.command("erase")
    @click.argument("customer_id")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def erase_command(customer_id: str, yes: bool) -> None:
        """Erase the customer with this helpdesk id (irreversible)."""
        if not yes:
            click.confirm(f"Erase customer {customer_id!r}? This cannot be undone", abort=True)
        session = get_session()
        try:
            result = service.erase_customer(
                session, customer_id, trigger="cli", requested_by=f"cli:{getpass.getuser()}"
            )
        except service.CustomerNotFound as exc:
            session.rollback()
            raise click.ClickException(exc.message) from exc
        session.commit()
        result["erased_at"] = result["erased_at"].isoformat()
        click.echo(json.dumps(result, indent=2))
