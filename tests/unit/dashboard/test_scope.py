"""The scope object every dashboard query filters with (no database needed)."""

from __future__ import annotations

from sqlalchemy.dialects import sqlite

from feedback_service.auth.users import Scope
from feedback_service.surveys.models import Response


def sql(scope: Scope) -> str:
    clause = scope.clause(Response.agent_id, Response.team_id)
    return str(clause.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def test_manager_sees_everything() -> None:
    scope = Scope(True, frozenset(), frozenset())
    assert scope.can_see_agent(1) and scope.can_see_agent(999)
    assert sql(scope) in {"1", "1 = 1", "true"}


def test_agent_sees_only_their_own_agent_never_their_team() -> None:
    scope = Scope(False, frozenset(), frozenset({7}))
    assert scope.can_see_agent(7)
    assert not scope.can_see_agent(8)
    assert not scope.can_see_team(1)
    assert sql(scope) == "responses.agent_id IN (7)"


def test_team_lead_sees_their_agents_and_their_teams_rows() -> None:
    scope = Scope(False, frozenset({3}), frozenset({7, 8}))
    assert scope.can_see_agent(8) and not scope.can_see_agent(9)
    assert scope.can_see_team(3) and not scope.can_see_team(4)
    assert sql(scope) == "responses.agent_id IN (7, 8) OR responses.team_id IN (3)"


def test_an_empty_scope_matches_nothing() -> None:
    scope = Scope(False, frozenset(), frozenset())
    assert not scope.can_see_agent(1)
    assert sql(scope) in {"0", "0 = 1", "false"}
