"""Agent-adjusted CSAT: dissatisfaction the comment blames on the product or a
process taken out of the agent's CSAT. Pure arithmetic on counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from feedback_service.scores.scoring import DEFAULT_MIN_N, Interval, wilson_interval


def blame_of(targets: Iterable[str]) -> str:
    """Whom a not-satisfied answer's comment blames, for the adjusted CSAT.

    Precedence agent > product > process > none: a comment that blames the agent
    *and* the product stays against the agent (the agent was part of the
    problem), and one blaming product and process counts as product.
    """
    found = set(targets)
    for target in ("agent", "product", "process"):
        if target in found:
            return target
    return "none"


@dataclass(frozen=True, slots=True)
class AgentCsatCounts:
    """One agent's CSAT answers in a period, the not-satisfied ones split by blame.

    *Not satisfied* is the complement of the top-2-box: answers 1, 2 or 3. The
    ``unsatisfied_*`` counts use :func:`blame_of` on the answer's comment;
    not-satisfied answers without a comment or blaming nobody are the remainder
    (``answers - satisfied - the three``) and stay against the agent.
    """

    agent_id: str
    team_id: str
    answers: int
    satisfied: int
    unsatisfied_agent: int
    unsatisfied_product: int
    unsatisfied_process: int


@dataclass(frozen=True, slots=True)
class AgentAdjustedCsat:
    """Raw and agent-adjusted CSAT (percent of top-2-box) with Wilson intervals."""

    agent_id: str
    team_id: str
    answers: int
    satisfied: int
    csat: float | None
    csat_interval: Interval | None
    excused_product: int
    excused_process: int
    controllable_answers: int
    adjusted_csat: float | None
    adjusted_interval: Interval | None
    low_sample: bool


def adjusted_csat(
    counts: Iterable[AgentCsatCounts], min_n: int = DEFAULT_MIN_N
) -> list[AgentAdjustedCsat]:
    """CSAT with product- and process-directed dissatisfaction taken out.

    Formula::

        csat          = satisfied / answers
        controllable  = answers - unsatisfied_product - unsatisfied_process
        adjusted_csat = satisfied / controllable

    A not-satisfied answer whose comment blames only the product or a process
    says nothing about the agent's own work, so it leaves the denominator; it is
    not turned into a satisfied answer (that would credit the agent for a
    product failure). Everything else stays: not-satisfied answers blaming the
    agent, and those with no comment or no target, because silence is not an
    excuse. Hence ``adjusted_csat >= csat`` always, and the gap is exactly the
    share of dissatisfaction the agent does not control. ``low_sample`` is set
    when the controllable answers are fewer than ``min_n``.
    """
    out = []
    for c in counts:
        excused = c.unsatisfied_product + c.unsatisfied_process
        if min(c.satisfied, c.unsatisfied_agent, c.unsatisfied_product, c.unsatisfied_process) < 0:
            raise ValueError(f"negative count for agent {c.agent_id}")
        if c.satisfied + c.unsatisfied_agent + excused > c.answers:
            raise ValueError(f"counts exceed answers for agent {c.agent_id}")
        controllable = c.answers - excused
        out.append(
            AgentAdjustedCsat(
                agent_id=c.agent_id,
                team_id=c.team_id,
                answers=c.answers,
                satisfied=c.satisfied,
                csat=100.0 * c.satisfied / c.answers if c.answers else None,
                csat_interval=_pct(c.satisfied, c.answers),
                excused_product=c.unsatisfied_product,
                excused_process=c.unsatisfied_process,
                controllable_answers=controllable,
                adjusted_csat=100.0 * c.satisfied / controllable if controllable else None,
                adjusted_interval=_pct(c.satisfied, controllable),
                low_sample=controllable < min_n,
            )
        )
    return out


def _pct(successes: int, n: int) -> Interval | None:
    if n <= 0:
        return None
    interval = wilson_interval(successes, n)
    return Interval(100.0 * interval.low, 100.0 * interval.high)
