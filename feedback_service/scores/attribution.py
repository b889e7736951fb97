"""Stated against inferred attribution: who the customer says the problem was (the
answer to a survey's choice question mapped to the target, ``"maps_to": "target"``)
beside who the comment model says it was, overall and per agent.

Counted over confirmed responses under the shared report filters that have both a
stated target (agent, product or process; "other" states none) and a comment the
model analysed (a supported language). The inferred target is that of the
comment's most confident negative finding, else of its most confident finding
(a finding a manager added has no confidence and ranks above the model's; ties go
to the earlier sentence), else ``none`` (no sentence is about anyone).

For each group: the stated x inferred table, the agreement rate (stated equals
inferred) and the "customer says product, model says agent" rate (of the answers
stating product, the share the model puts on the agent), each with a 95% Wilson
interval.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.analysis.models import CommentAnalysis, CommentFinding
from feedback_service.helpdesk.models import Agent
from feedback_service.scores.filters import Filters, response_conditions
from feedback_service.scores.scoring import wilson_interval
from feedback_service.surveys import answers, questions
from feedback_service.surveys.models import Response

STATED = questions.STATED_TARGETS
INFERRED = (*STATED, "none")


@dataclass(frozen=True)
class Finding:
    target: str
    sentiment: str | None
    confidence: float | None
    position: int


def inferred_target(findings: Iterable[Finding]) -> str:
    """The target of the most confident negative finding, else of the most confident
    one, else ``none``. No confidence (a manager's finding) ranks first."""
    found = list(findings)
    pool = [f for f in found if f.sentiment == "negative"] or found
    if not pool:
        return "none"
    best = max(pool, key=lambda f: (1.0 if f.confidence is None else f.confidence, -f.position))
    return best.target


@dataclass(frozen=True)
class Rate:
    count: int
    n: int

    def view(self) -> dict[str, Any]:
        if not self.n:
            return {"count": self.count, "n": 0, "share": None, "interval": None}
        low_high = wilson_interval(self.count, self.n)
        return {
            "count": self.count,
            "n": self.n,
            "share": self.count / self.n,
            "interval": {"low": low_high.low, "high": low_high.high},
        }


@dataclass(frozen=True)
class Attribution:
    """How ``n`` answers' stated targets meet their comments' inferred ones."""

    counts: Counter[tuple[str, str]]
    too_few: bool

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def agreement(self) -> Rate:
        return Rate(sum(self.counts[(t, t)] for t in STATED), self.n)

    def product_says_agent(self) -> Rate:
        stated_product = sum(self.counts[("product", t)] for t in INFERRED)
        return Rate(self.counts[("product", "agent")], stated_product)

    def table(self) -> dict[str, dict[str, int]]:
        return {s: {i: self.counts[(s, i)] for i in INFERRED} for s in STATED}


def tally(pairs: Iterable[tuple[str, str]], min_n: int) -> Attribution:
    """``pairs`` of (stated, inferred) target counted."""
    counts = Counter(pairs)
    return Attribution(counts, sum(counts.values()) < min_n)


@dataclass
class AttributionReport:
    overall: Attribution
    by_agent: list[tuple[str, str, Attribution]]


def _stated(session: Session, f: Filters) -> dict[int, tuple[str, int | None]]:
    """Response id -> (stated target, agent id) of the answers with an analysed comment."""
    query = answers.stated_reasons(session)
    if query is None:
        return {}
    rows = session.execute(
        query.add_columns(Response.agent_id)
        .join(CommentAnalysis, CommentAnalysis.response_id == Response.id)
        .where(CommentAnalysis.supported.is_(True), *response_conditions(f))
    )
    out: dict[int, tuple[str, int | None]] = {}
    for response_id, value, agent_id in rows:
        target = questions.stated_target(value)
        if target is not None:
            out[response_id] = (target, agent_id)
    return out


def _inferred(session: Session, response_ids: Sequence[int]) -> dict[int, str]:
    findings: dict[int, list[Finding]] = {}
    for start in range(0, len(response_ids), 1000):
        rows = session.execute(
            select(
                CommentFinding.response_id,
                CommentFinding.target,
                CommentFinding.sentiment,
                CommentFinding.confidence,
                CommentFinding.position,
            ).where(CommentFinding.response_id.in_(response_ids[start : start + 1000]))
        )
        for response_id, target, sentiment, confidence, position in rows:
            found = Finding(target, sentiment, confidence, position)
            findings.setdefault(response_id, []).append(found)
    return {rid: inferred_target(findings.get(rid, [])) for rid in response_ids}


def attribution_report(session: Session, f: Filters, min_n: int) -> AttributionReport:
    stated = _stated(session, f)
    inferred = _inferred(session, sorted(stated))
    by_agent: dict[int, list[tuple[str, str]]] = {}
    for rid, (target, agent_id) in stated.items():
        if agent_id is not None:
            by_agent.setdefault(agent_id, []).append((target, inferred[rid]))
    names = {
        i: (ext, name or "")
        for i, ext, name in session.execute(
            select(Agent.id, Agent.external_id, Agent.name).where(Agent.id.in_(list(by_agent)))
        )
    }
    return AttributionReport(
        tally(((t, inferred[rid]) for rid, (t, _) in stated.items()), min_n),
        [
            (*names[agent_id], tally(pairs, min_n))
            for agent_id, pairs in sorted(by_agent.items(), key=lambda item: names[item[0]][0])
        ],
    )


def _group(a: Attribution) -> dict[str, Any]:
    return {
        "n": a.n,
        "too_few": a.too_few,
        "counts": a.table(),
        "agreement": a.agreement().view(),
        "product_says_agent": a.product_says_agent().view(),
    }


def attribution_json(report: AttributionReport) -> dict[str, Any]:
    return {
        "stated": list(STATED),
        "inferred": list(INFERRED),
        "overall": _group(report.overall),
        "by_agent": [{"id": i, "name": name, **_group(a)} for i, name, a in report.by_agent],
    }


def attribution_rows(report: AttributionReport) -> list[dict[str, Any]]:
    """The CSV: one row per scope (all, then each agent), every cell of the table
    as a ``<stated>_says_<inferred>`` column, then the two rates."""
    scopes = [("all", "", "", report.overall)]
    scopes += [("agent", i, name, a) for i, name, a in report.by_agent]
    out = []
    for scope, group_id, name, a in scopes:
        row: dict[str, Any] = {"scope": scope, "id": group_id, "name": name, "n": a.n}
        row["too_few"] = a.too_few
        for s, inferred in a.table().items():
            row.update({f"stated_{s}_model_{i}": c for i, c in inferred.items()})
        for label, rate in (
            ("agreement", a.agreement()),
            ("product_says_agent", a.product_says_agent()),
        ):
            view = rate.view()
            row[label] = view["share"]
            row[f"{label}_low"] = view["interval"]["low"] if view["interval"] else None
            row[f"{label}_high"] = view["interval"]["high"] if view["interval"] else None
        out.append(row)
    return out
