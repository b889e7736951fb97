"""Score targets: a goal per metric for everyone, a team or an agent.

The most specific target wins: the agent's own, else their team's, else the one
for everyone. Services flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from feedback_service.errors import ValidationError
from feedback_service.helpdesk.models import Agent, Team
from feedback_service.scores.models import NO_ID, ScoreTarget

# Targets are on each metric's reporting scale (DESIGN.md section 2).
TARGET_RANGES: dict[str, tuple[float, float]] = {
    "csat": (0.0, 100.0),
    "nps": (-100.0, 100.0),
    "ces": (1.0, 7.0),
    "fcr": (0.0, 100.0),
}


@dataclass(frozen=True)
class TargetSet:
    """All targets, keyed for the most-specific-wins lookup."""

    by_key: Mapping[tuple[str, int, int], float]

    def for_agent(self, metric: str, agent_id: int, team_id: int | None) -> float | None:
        if (metric, NO_ID, agent_id) in self.by_key:
            return self.by_key[(metric, NO_ID, agent_id)]
        if team_id and (metric, team_id, NO_ID) in self.by_key:
            return self.by_key[(metric, team_id, NO_ID)]
        return self.by_key.get((metric, NO_ID, NO_ID))


def load(session: Session) -> TargetSet:
    rows = session.execute(
        select(ScoreTarget.metric, ScoreTarget.team_id, ScoreTarget.agent_id, ScoreTarget.value)
    )
    return TargetSet({(m, t, a): v for m, t, a, v in rows})


class Target(TypedDict):
    metric: str
    team: str | None
    agent: str | None
    value: float
    updated_at: dt.datetime


def list_targets(session: Session) -> list[Target]:
    teams = {k: v for k, v in session.execute(select(Team.id, Team.external_id))}
    agents = {k: v for k, v in session.execute(select(Agent.id, Agent.external_id))}
    rows = session.scalars(
        select(ScoreTarget).order_by(ScoreTarget.metric, ScoreTarget.team_id, ScoreTarget.agent_id)
    )
    return [
        {
            "metric": row.metric,
            "team": teams.get(row.team_id) if row.team_id else None,
            "agent": agents.get(row.agent_id) if row.agent_id else None,
            "value": row.value,
            "updated_at": row.updated_at,
        }
        for row in rows
    ]


def replace_targets(session: Session, items: Sequence[Mapping[str, Any]]) -> None:
    """PUT semantics: the given list becomes the whole set of targets.

    Validates every item before writing anything (a 422 never leaves half a set).
    """
    errors: dict[str, list[str]] = {}
    rows: dict[tuple[str, int, int], float] = {}
    team_ids = {k: v for k, v in session.execute(select(Team.external_id, Team.id))}
    agent_ids = {k: v for k, v in session.execute(select(Agent.external_id, Agent.id))}
    for i, item in enumerate(items):
        metric, value = item["metric"], float(item["value"])
        team, agent = item.get("team"), item.get("agent")
        low, high = TARGET_RANGES[metric]
        if not low <= value <= high:
            errors[f"items.{i}.value"] = [f"A {metric} target must be between {low} and {high}."]
        if team is not None and agent is not None:
            errors[f"items.{i}.team"] = ["Give a team or an agent, not both."]
        team_id = agent_id = NO_ID
        if team is not None:
            if team not in team_ids:
                errors[f"items.{i}.team"] = [f"Unknown team '{team}'."]
            team_id = team_ids.get(team, NO_ID)
        if agent is not None:
            if agent not in agent_ids:
                errors[f"items.{i}.agent"] = [f"Unknown agent '{agent}'."]
            agent_id = agent_ids.get(agent, NO_ID)
        key = (metric, team_id, agent_id)
        if key in rows:
            errors[f"items.{i}"] = ["The same metric and scope is given twice."]
        rows[key] = value
    if errors:
        raise ValidationError(
            "Some targets are invalid: " + ", ".join(sorted(errors)), fields=errors
        )
    session.execute(delete(ScoreTarget))
    session.add_all(
        ScoreTarget(metric=m, team_id=t, agent_id=a, value=v) for (m, t, a), v in rows.items()
    )
    session.flush()
