"""A complaint pattern explained to a team lead, with the numbers behind it."""

from __future__ import annotations

from typing import Final

from feedback_service.patterns.agents import (
    ABOUT_CONCENTRATED,
    CATEGORY,
    LOW_CES,
    LOW_CSAT,
    LOW_NPS,
    NEGATIVE_COMMENTS,
    AgentPattern,
)

_WHAT: Final = {
    NEGATIVE_COMMENTS: ("left a negative comment on", "answers"),
    LOW_CSAT: ("rated their satisfaction 1 or 2 out of 5 on", "CSAT answers"),
    LOW_NPS: ("would not recommend us (0 to 6 out of 10) on", "NPS answers"),
    LOW_CES: ("found the issue hard to handle (1 or 2 out of 7) on", "effort answers"),
}
_CATEGORY_WORDS: Final = {
    "rude": "the agent being rude",
    "unhelpful": "the agent being unhelpful",
    "slow-response": "slow replies",
    "did-not-resolve": "the issue not being resolved",
    "knowledge": "the agent's product knowledge",
    "communication": "unclear communication",
    "bug": "bugs in the product",
    "missing-feature": "a missing feature",
    "pricing": "pricing",
    "usability": "the product being hard to use",
    "performance": "the product being slow",
    "account-access": "account access",
    "quality": "product quality",
    "wait-time": "waiting times",
    "transfer": "being transferred",
    "policy": "a policy",
    "delivery": "delivery",
    "billing-process": "billing",
}


def _percent(rate: float) -> str:
    pct = 100 * rate
    return f"{pct:.1f}%" if 0 < pct < 1 else f"{pct:.0f}%"


def _times(ratio: float) -> str:
    return f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}"


def _chance(q: float) -> str:
    for bar in (1_000, 100, 20):
        if q < 1 / bar:
            return f"less than 1 time in {bar:,}"
    return f"about 1 time in {max(1, round(1 / q)):,}" if q > 0 else "never"


def explain(
    finding: AgentPattern,
    *,
    agent_name: str,
    team_name: str,
    tests: int,
    previous_days: int | None = None,
) -> str:
    """A sentence or three a team lead understands, with the numbers behind the finding.

    E.g. "Customers of Dana left a negative comment on 30 of 100 answers (30%),
    against 4% for the other 19 agents of Tier 1 on the same channels: 7.5 times
    as often. Rising: 12% in the 28 days before. Chance alone would explain this
    less than 1 time in 1,000 after checking 130 comparisons."
    """
    f = finding
    if f.measure == CATEGORY:
        words = _CATEGORY_WORDS.get(f.category or "", (f.category or "").replace("-", " "))
        if f.kind == "praise":
            what, unit = "praised the agent on", "answers"
        else:
            what, unit = f"complained about {words} on", "answers"
    else:
        what, unit = _WHAT.get(f.measure, (f"counted for {f.measure} on", "answers"))
    peers = f"the other {f.peers} agent{'s' if f.peers != 1 else ''} of {team_name}"
    text = (
        f"Customers of {agent_name} {what} {f.count} of {f.responses} {unit} ({_percent(f.rate)}), "
        f"against {_percent(f.adjusted_peer_rate)} for {peers} on the same channels"
    )
    if f.rate_ratio is None:
        text += "."
    else:
        text += f": {_times(f.rate_ratio)} times as often."
    if f.trend is not None:
        before = f"in the {previous_days} days before" if previous_days else "in the period before"
        if f.trend.previous_rate is None:
            text += f" New: no answers {before}."
        else:
            text += (
                f" {f.trend.direction.capitalize()}: {_percent(f.trend.previous_rate)} {before}."
            )
    comparisons = f"{tests:,} comparison{'s' if tests != 1 else ''}"
    text += f" Chance alone would explain this {_chance(f.q_value)} after checking {comparisons}."
    if f.measure == CATEGORY and f.about == ABOUT_CONCENTRATED and f.kind == "complaint":
        text += (
            f" These complaints are about the product or a process, not the agent's conduct;"
            f" piling up at {agent_name}, they point to the cases routed to them or to what"
            " they tell customers."
        )
    return text
