"""Dashboard users: creating them, signing in with throttling, and what each may see.

``visible_scope`` is the one place that answers "which agents and teams may this
person see"; every dashboard query and view goes through it, so an agent can
never be shown another agent's data by a view that forgot a filter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from feedback_service.auth import signin
from feedback_service.auth.models import ROLES, User
from feedback_service.db import utcnow
from feedback_service.errors import Conflict, Unauthorized, ValidationError
from feedback_service.helpdesk.models import Agent, Team

MIN_PASSWORD_LENGTH = 10

# Checked against when the email is unknown, so a wrong email costs the same time
# as a wrong password and response times do not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password-for-timing-only")


class LoginFailed(Unauthorized):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    team_names: list[str] | None = None,
    agent_external_id: str | None = None,
) -> User:
    """Create a user; team leads name the teams they lead, agents their helpdesk id."""
    email = normalise_email(email)
    problems: dict[str, list[str]] = {}
    if "@" not in email or len(email) > 320:
        problems["email"] = ["Not an email address."]
    if not name.strip():
        problems["name"] = ["Required."]
    if role not in ROLES:
        problems["role"] = [f"Must be one of {', '.join(ROLES)}."]
    if len(password) < MIN_PASSWORD_LENGTH:
        problems["password"] = [f"At least {MIN_PASSWORD_LENGTH} characters."]
    teams: list[Team] = []
    if role == "team_lead":
        if not team_names:
            problems["team"] = ["A team lead leads at least one team."]
        else:
            teams = list(session.scalars(select(Team).where(Team.name.in_(team_names))))
            unknown = sorted(set(team_names) - {t.name for t in teams})
            if unknown:
                problems["team"] = [f"Unknown team: {', '.join(unknown)}."]
    agent: Agent | None = None
    if role == "agent":
        if not agent_external_id:
            problems["agent"] = ["An agent account names its helpdesk agent id."]
        else:
            agent = session.scalar(select(Agent).where(Agent.external_id == agent_external_id))
            if agent is None:
                problems["agent"] = [f"No agent with id {agent_external_id!r}."]
    if problems:
        raise ValidationError("The user cannot be created.", fields=problems)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with email {email} exists already.")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=generate_password_hash(password),
        agent_id=agent.id if agent else None,
        teams=teams,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "Password too short.",
            fields={"password": [f"At least {MIN_PASSWORD_LENGTH} characters."]},
        )
    user.password_hash = generate_password_hash(password)
    session.flush()


def authenticate_user(
    session: Session,
    email: str,
    password: str,
    address: str,
    *,
    known_device: bool = False,
    now: dt.datetime | None = None,
) -> User:
    """The active user with this email and password, signing in from ``address``
    (``known_device``: in a browser this account signed in from before).

    Raises ``SignInThrottled`` (the attempt is not checked) or ``LoginFailed``. The
    attempt is counted in the session's transaction (or Redis): the caller commits
    failures too, so they count.
    """
    now = now or utcnow()
    email = normalise_email(email)
    attempt = signin.claim(session, email, address, known_device=known_device)
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginFailed("Wrong email or password.")
    if not check_password_hash(user.password_hash, password):
        raise LoginFailed("Wrong email or password.")
    signin.succeeded(session, attempt)
    user.last_login_at = now
    session.flush()
    return user


def session_fingerprint(user: User) -> str:
    """Changes when the password does, so a new password signs out old sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


# --- who may see what ---------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The agents and teams one user may see. ``everything`` is a manager's scope."""

    everything: bool
    team_ids: frozenset[int]
    agent_ids: frozenset[int]

    def can_see_agent(self, agent_id: int) -> bool:
        return self.everything or agent_id in self.agent_ids

    def can_see_team(self, team_id: int) -> bool:
        return self.everything or team_id in self.team_ids

    def clause(self, agent_column: Any, team_column: Any | None = None) -> ColumnElement[bool]:
        """A WHERE clause limiting rows with these agent/team columns to the scope.

        A team lead also sees rows filed under their team whose agent has since
        moved (the team is copied onto a response at answer time); an agent sees
        rows of their own agent id only, never rows that merely share the team.
        """
        if self.everything:
            return true()
        conditions: list[ColumnElement[bool]] = []
        if self.agent_ids:
            conditions.append(agent_column.in_(sorted(self.agent_ids)))
        if team_column is not None and self.team_ids:
            conditions.append(team_column.in_(sorted(self.team_ids)))
        return or_(*conditions) if conditions else false()


def visible_scope(session: Session, user: User) -> Scope:
    """Manager: everything. Team lead: the agents of the teams they lead. Agent:
    their own Agent row only. Anything else (inactive, unknown role): nothing."""
    if not user.active:
        return Scope(False, frozenset(), frozenset())
    if user.role == "manager":
        return Scope(True, frozenset(), frozenset())
    if user.role == "team_lead":
        team_ids = frozenset(t.id for t in user.teams)
        agent_ids = frozenset(
            session.scalars(select(Agent.id).where(Agent.team_id.in_(sorted(team_ids))))
            if team_ids
            else ()
        )
        return Scope(False, team_ids, agent_ids)
    if user.role == "agent" and user.agent_id is not None:
        return Scope(False, frozenset(), frozenset({user.agent_id}))
    return Scope(False, frozenset(), frozenset())
