"""``flask users ...``: dashboard accounts for people (API keys stay for machines)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from feedback_service.auth.models import ROLES
from feedback_service.auth.users import create_user
from feedback_service.db import get_session
from feedback_service.errors import FeedbackError

users_cli = AppGroup("users", help="Dashboard accounts: managers, team leads, agents.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--team", "teams", multiple=True, help="Team (by name) a team lead leads; repeat for several."
)
@click.option("--agent", "agent_id", help="The helpdesk agent id of an agent's own account.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for (hidden) when not given.",
)
def users_create(
    email: str, name: str, role: str, teams: tuple[str, ...], agent_id: str | None, password: str
) -> None:
    """Create a user who signs in to the dashboard."""
    session = get_session()
    try:
        user = create_user(
            session,
            email=email,
            name=name,
            role=role,
            password=password,
            team_names=list(teams),
            agent_external_id=agent_id,
        )
    except FeedbackError as error:
        session.rollback()
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    session.commit()
    click.echo(f"user {user.email} ({user.role}) created")
