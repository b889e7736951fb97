"""Who customers say it was about, on the dashboard: the stated reason (a survey's
choice question mapped to the target) beside the comment model's inferred target,
per agent, with the agreement and "customer says product, model says agent"
rates. A view over ``scores.attribution.attribution_report``; no arithmetic and
no queries here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from feedback_service.scores import attribution
from feedback_service.scores import service as reports

LABELS = {
    "agent": "Agent",
    "product": "Product",
    "process": "Process",
    "none": "No one",
}


@dataclass(frozen=True)
class AttributionRow:
    agent: str  # the helpdesk's agent id
    name: str
    n: int
    too_few: bool
    agreement: dict[str, Any]  # count, n, share, interval (low, high)
    product_says_agent: dict[str, Any]
    counts: dict[str, dict[str, int]]  # stated -> inferred -> answers


@dataclass(frozen=True)
class AttributionSection:
    overall: AttributionRow
    rows: list[AttributionRow]
    stated: tuple[str, ...] = attribution.STATED
    inferred: tuple[str, ...] = attribution.INFERRED

    def label(self, target: str) -> str:
        return LABELS.get(target, target)


def _row(agent: str, name: str, a: attribution.Attribution) -> AttributionRow:
    return AttributionRow(
        agent=agent,
        name=name,
        n=a.n,
        too_few=a.too_few,
        agreement=a.agreement().view(),
        product_says_agent=a.product_says_agent().view(),
        counts=a.table(),
    )


def attribution_section(
    session: Session, f: reports.Filters, min_n: int, only_agent: str | None = None
) -> AttributionSection | None:
    """The per-agent attribution under ``f`` (``only_agent``: that helpdesk agent's
    row alone), or None when no answer in it states a reason."""
    report = attribution.attribution_report(session, f, min_n)
    rows = [
        _row(agent, name, a)
        for agent, name, a in report.by_agent
        if only_agent is None or agent == only_agent
    ]
    if only_agent is not None:
        if not rows:
            return None
        return AttributionSection(overall=rows[0], rows=rows)
    if not report.overall.n:
        return None
    return AttributionSection(overall=_row("", "All agents", report.overall), rows=rows)


def export_rows(session: Session, f: reports.Filters, min_n: int) -> list[dict[str, Any]]:
    """The exports page's CSV: the same rows as ``/api/v1/reports/attribution?format=csv``."""
    return attribution.attribution_rows(attribution.attribution_report(session, f, min_n))
