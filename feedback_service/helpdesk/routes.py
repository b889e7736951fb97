"""HTTP layer of the helpdesk's teams: who leads each team (scope ``admin``).

The helpdesk names teams by their own id (``agent.team`` in a dispatch); the lead's
address is ours to keep, and is where the team's alerts are emailed.
"""

from __future__ import annotations

from typing import Any

from feedback_service.api import api_blueprint
from feedback_service.db import get_session
from feedback_service.helpdesk import service
from feedback_service.helpdesk.schemas import TeamIn, TeamListOut, TeamOut

teams_blp = api_blueprint("teams", __name__, "Teams and their leads")


@teams_blp.route("/teams", methods=["GET"])
@teams_blp.response(200, TeamListOut)
def list_teams() -> Any:
    """Every team with its lead's address and how many agents it has."""
    return {"items": service.list_teams(get_session())}


@teams_blp.route("/teams/<path:team_id>", methods=["PUT"])
@teams_blp.arguments(TeamIn)
@teams_blp.response(200, TeamOut)
@teams_blp.alt_response(201, schema=TeamOut, description="The team was created")
def put_team(data: dict[str, Any], team_id: str) -> Any:
    """Set a team's name and lead email (null removes it); creates the team if
    the helpdesk has not named it yet."""
    session = get_session()
    team, created = service.put_team(session, team_id, data)
    session.commit()
    return service.team_view(session, team), 201 if created else 200
