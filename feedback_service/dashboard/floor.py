"""The support floor's KPIs on the dashboard: every agent's complaints and the
Pareto of agents and causes (agents page); the tickets closed, response and
resolution times, escalation and reopen rates by week and the response rate by
delivery and reminder (overview). Views over the scores service; no arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from feedback_service.auth.users import Scope
from feedback_service.dashboard import charts
from feedback_service.dashboard.queries import View
from feedback_service.scores import service as reports

DELIVERY_LABELS = {"email": "Email", "link": "Survey link", "widget": "Helpdesk widget"}
WAY_LABELS = {
    "email_button": "Rating button in the email",
    "page": "Survey page",
    "widget": "Widget or app",
}


@dataclass(frozen=True)
class ComplaintRow:
    """One agent's line of the complaints table."""

    agent_id: int
    agent: str
    name: str
    team: str | None
    complaints: reports.AgentComplaints


def complaint_rows(cards: Sequence[Mapping[str, Any]]) -> list[ComplaintRow]:
    """Every scorecard's complaints, most complaints first (then by name)."""
    rows = [
        ComplaintRow(
            agent_id=card["agent_id"],
            agent=card["agent"],
            name=card["name"] or card["agent"],
            team=card["team_name"],
            complaints=card["complaints"],
        )
        for card in cards
    ]
    return sorted(rows, key=lambda r: (-r.complaints["count"], r.name.lower()))


def agents_context(session: Session, scope: Scope, view: View) -> dict[str, Any]:
    """The agents page's Pareto of agents and causes, within the viewer's scope."""
    pareto = reports.complaint_pareto(session, view.filters, scope)
    # Every item goes to the chart: it draws the largest ten, their shares of all.
    agents = pareto["agents"]
    causes = pareto["categories"]
    return {
        "pareto": pareto,
        "pareto_agents_svg": charts.pareto_chart(
            [(a["name"] or a["agent"] or "no agent", a["complaints"]) for a in agents],
            title="Complaints by agent",
        )
        if agents
        else None,
        "pareto_causes_svg": charts.pareto_chart(
            [
                (f"{c['target']}: {c['category'].replace('-', ' ')}", c["complaints"])
                for c in causes
            ],
            title="Complaints by cause",
        )
        if causes
        else None,
    }


def duration(seconds: float | None) -> str:
    """Seconds as a person reads a wait: minutes, hours or days."""
    if seconds is None:
        return "\u2013"  # an en dash, as the templates show a missing figure
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _spark(values: Sequence[float | None], title: str) -> str:
    return charts.sparkline(list(values), title=title)


def overview_context(session: Session, view: View) -> dict[str, Any]:
    """The overview's floor section: weekly ticket KPIs and the response-rate split."""
    ops = reports.operations_trend(session, view.filters, "week")["items"]
    return {
        "floor_weeks": ops,
        "floor_sparks": {
            "tickets": _spark([float(i["tickets"]) for i in ops], "Tickets closed per week"),
            "first_response": _spark(
                [i["first_response_seconds"]["median"] for i in ops],
                "Median first response per week",
            ),
            "resolution": _spark(
                [i["resolution_seconds"]["median"] for i in ops], "Median resolution per week"
            ),
            "escalation": _spark(
                [i["escalation_rate"]["value"] for i in ops], "Escalation rate per week"
            ),
            "reopen": _spark([i["reopen_rate"]["value"] for i in ops], "Reopen rate per week"),
        },
        "response_rates": reports.response_rates(session, view.filters),
        "delivery_labels": DELIVERY_LABELS,
        "way_labels": WAY_LABELS,
        "fmt_duration": duration,
    }
