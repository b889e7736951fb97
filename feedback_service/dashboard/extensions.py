"""Where the dashboard meets the features built beside it: alerts (open and
acknowledged), the stored complaint-pattern and product-gap runs, and comment
corrections that teach the classifier. Each is read through its feature's own
service functions; the dashboard only narrows what they return to the viewer's
scope and shapes it for a template."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.alerts import service as alerts_service
from feedback_service.analysis.comments import labels
from feedback_service.auth.models import User
from feedback_service.auth.users import Scope
from feedback_service.errors import ValidationError
from feedback_service.helpdesk.models import Agent
from feedback_service.patterns import service as patterns_service
from feedback_service.surveys.models import Response

ALERT_LABELS = {
    "detractor_response": "Unhappy customer",
    "emerging_product_gap": "Emerging product gap",
}


class OpenAlert(TypedDict):
    id: int
    kind: str
    kind_label: str
    title: str
    summary: str
    created_at: dt.datetime


def open_alerts(session: Session, scope: Scope, limit: int = 10) -> list[OpenAlert] | None:
    """Open (not acknowledged) alerts the viewer may see, newest first.

    Managers see all; a team lead those raised for their teams; an agent none
    (alerts are for the people who follow up). ``None`` never happens here: it
    is kept in the signature for the template's "not set up" branch.
    """
    if not scope.everything and not scope.team_ids:
        return []
    rows, _total = alerts_service.list_alerts(
        session, status="open", kind=None, page=1, per_page=500
    )
    out: list[OpenAlert] = []
    for alert in rows:
        if not scope.everything and alert.team_id not in scope.team_ids:
            continue
        payload = alert.payload or {}
        out.append(
            {
                "id": alert.id,
                "kind": alert.kind,
                "kind_label": ALERT_LABELS.get(alert.kind, alert.kind.replace("_", " ")),
                "title": alert.title,
                "summary": payload.get("comment") or alert.title,
                "created_at": alert.created_at,
            }
        )
        if len(out) >= limit:
            break
    return out


def _latest(session: Session, kind: str) -> Any:
    # The scheduled runs cover the default window with no filters.
    return patterns_service.latest_done_run(session, kind, {})


MEASURE_LABELS = {
    "negative_comments": "Negative comments",
    "low_csat": "Low CSAT (1-2 of 5)",
    "low_nps": "Detractors (NPS 0-6)",
    "low_ces": "Hard to handle (CES 1-2 of 7)",
}


# "from" is a keyword: the functional form names it.
PatternCard = TypedDict(
    "PatternCard",
    {
        "kind": str | None,
        "measure": str,
        "about": str,
        "category": str | None,
        "label": str,
        "summary": str,
        "why": str | None,
        "examples": list[str],
        "from": dt.date,
        "to": dt.date,
    },
)


def agent_patterns(session: Session, agent: Agent) -> list[PatternCard] | None:
    """The agent's complaint and praise patterns from the latest stored run that
    holds against their peers (``None``: no run has been computed yet): by
    category, and overall (negative comments, low ratings), each with the
    sentence that says why."""
    run = _latest(session, patterns_service.COMPLAINT_PATTERNS)
    if run is None:
        return None
    report = patterns_service.complaint_report(session, run, agent.external_id)
    out: list[PatternCard] = []
    for item in report["items"]:
        rate, peer = item.get("rate"), item.get("peer_rate")
        summary = f"{item['count']} of {item['responses']} responses"
        if rate is not None and peer is not None:
            summary += f" ({100 * rate:.0f}% vs {100 * peer:.0f}% for peers"
            if item.get("q_value") is not None:
                summary += f", q={item['q_value']:.3f}"
            summary += ")"
        if item.get("trend"):
            summary += f", {item['trend']}"
        measure = item.get("measure") or "category"
        category = item.get("category")
        label = (
            MEASURE_LABELS.get(measure, measure.replace("_", " "))
            if measure != "category"
            else str(category or "").replace("-", " ")
        )
        out.append(
            {
                "kind": item.get("kind"),
                "measure": measure,
                "about": item.get("about") or "agent",
                "category": category,
                "label": label,
                "summary": summary,
                "why": item.get("why"),
                "examples": [e["sentence"] for e in item.get("examples", [])[:3]],
                "from": run.data_from,
                "to": run.data_to,
            }
        )
    return out


def adjusted_csat(session: Session) -> dict[str, dict[str, Any]]:
    """Each agent's CSAT with product- and process-blamed dissatisfaction taken out
    (what the agent controls), from the latest stored complaint-patterns run, by the
    agent's helpdesk id; empty until a run has been computed."""
    run = _latest(session, patterns_service.COMPLAINT_PATTERNS)
    if run is None:
        return {}
    report = patterns_service.complaint_report(session, run, None)
    return {str(row["agent"]): row for row in report["adjusted_csat"] if row.get("agent")}


class ProductGaps(TypedDict):
    run: patterns_service.RunInfo
    # The stored theme rows (``patterns_service.gap_report``'s items), narrowed to the
    # viewer's agents.
    themes: list[dict[str, Any]]


def product_gaps(session: Session, scope: Scope) -> ProductGaps | None:
    """The latest stored product-gap run: themes with volume, trend, agents and
    products affected, and examples. A team lead sees the themes that touch their
    agents, with the affected agents limited to theirs."""
    run = _latest(session, patterns_service.PRODUCT_GAPS)
    if run is None:
        return None
    report = patterns_service.gap_report(session, run, None)
    visible: set[str] | None = None
    if not scope.everything:
        visible = set(
            session.scalars(select(Agent.external_id).where(Agent.id.in_(sorted(scope.agent_ids))))
        )
    themes: list[dict[str, Any]] = []
    for item in report["items"]:
        agents: list[Mapping[str, Any]] = item.get("top_agents", [])
        if visible is not None:
            agents = [a for a in agents if a["agent"] in visible]
            if not agents:
                continue
        examples = [
            e for e in item.get("examples", []) if visible is None or e.get("agent") in visible
        ]
        themes.append({**item, "top_agents": agents, "examples": examples})
    return {"run": report["run"], "themes": themes}


# --- relabelling ---------------------------------------------------------------------------

COMMENT_SENTIMENTS = ("positive", "neutral", "negative", "mixed")


def taxonomy(session: Session) -> dict[str, list[str]]:
    """The taxonomy in use, with the categories managers added."""
    return labels.taxonomy(session).categories


def relabel(session: Session, user: User, response_id: int, form: Mapping[str, str]) -> None:
    """Store a lead's or manager's correction through the analysis feature, where
    ``flask analysis train`` picks it up as training data. Flushes only.

    ``form``: ``sentiment`` (the comment's), ``label`` ("target/category") and
    ``finding`` (the index of the finding corrected, or "new" for the whole
    comment as a new finding).
    """
    data: dict[str, Any] = {}
    sentiment = form.get("sentiment") or None
    if sentiment is not None:
        if sentiment not in COMMENT_SENTIMENTS:
            raise ValidationError(
                "Unknown sentiment.", fields={"sentiment": [f"One of {COMMENT_SENTIMENTS}."]}
            )
        data["sentiment"] = sentiment
    label = form.get("label") or ""
    if label:
        target, _, category = label.partition("/")
        fix: dict[str, Any] = {"target": target, "category": category or None}
        finding = form.get("finding", "new")
        if finding.isdigit():
            fix["index"] = int(finding)
        else:
            response = session.get(Response, response_id)
            fix["sentence"] = (response.comment or "").strip() if response else ""
        data["findings"] = [fix]
    if not data:
        raise ValidationError(
            "Nothing to change.", fields={"label": ["Choose a sentiment or a category."]}
        )
    labels.correct_comment(session, response_id, data, user.email)


def can_see_alert(session: Session, scope: Scope, alert_id: int) -> bool:
    """Managers see every alert; a team lead those raised for their teams."""
    try:
        alert = alerts_service.get_alert(session, alert_id)
    except alerts_service.AlertNotFound:
        return False
    return scope.everything or (alert.team_id is not None and alert.team_id in scope.team_ids)


def acknowledge_alert(session: Session, alert_id: int, by: str) -> None:
    alerts_service.acknowledge(session, alert_id, by)
