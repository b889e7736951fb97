"""Complaint and praise patterns per representative, and agent-adjusted CSAT.

Pure arithmetic on counts: no Flask, no SQLAlchemy. The workers count, per
agent and period, how many responses there were on each channel and how many of
them carry each agent-directed category; this module says which of those
counts are a *pattern*, i.e. clearly above what the agent's peers get.

The test, and why
-----------------
For one agent and one category, the question is "does this agent receive this
complaint more often than the rest of their team, in the same period?". The
peers are the team minus the agent, so the agent never dilutes their own
baseline.

Channel mix is a confounder: customers report rudeness far more often on the
phone, slow replies far more often by email. An agent who takes mostly calls
would look rude on a raw rate. So the comparison is stratified by channel:
within each channel the agent's responses and the peers' responses form a 2x2
table (hits / no hits), and conditional on every table's margins the agent's
hit count in channel ``c`` is hypergeometric. The agent's total is the sum over
channels, whose exact null distribution is the convolution of those
hypergeometrics; the p-value is its upper tail. This is the exact conditional
test behind the Cochran-Mantel-Haenszel statistic (a common odds ratio of 1
against "greater"), used instead of the CMH chi-square because pattern counts
are small (three complaints is a pattern, five is common) and the normal
approximation is poor there. With a single channel it *is* the one-sided Fisher
exact test (``stats.fisher_exact_greater``), which the tests check.

The effect size is standardised the same way: the agent's observed count ``O``
against the count expected if they had their peers' rate in each of their own
channels, ``E = sum_c n_agent,c * hits_peers,c / n_peers,c`` (indirect
standardisation). ``rate_ratio = O / E`` and ``rate_difference = (O - E) / n``.

Many agents times many categories means many tests: at 5% each, a team of 40
agents and 8 categories would "find" 16 patterns in pure noise. The p-values
are therefore corrected with Benjamini-Hochberg across every (agent, category)
tested in the run (complaints and praise together; one family, the simplest
honest choice), and a finding is reported only when all three hold:

* ``q < alpha`` (default 0.05): it is unlikely to be noise after correction;
* ``count >= min_count`` (default 3): one complaint is not a pattern;
* ``rate_ratio >= min_rate_ratio`` (default 1.5): a statistically clear but
  tiny excess (common with very large teams) is not worth a coaching session.

Only (agent, category) pairs whose *team* total for the category reaches
``min_count`` enter the family. That filter looks at the margins the exact test
conditions on, so it does not bias the p-values (independent filtering), and it
drops tests that could never be reported, which keeps the correction tight.

Rates are per response: a response whose comment says "rude" twice counts
once, so hits never exceed responses and the hypergeometric is valid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from feedback_service.analysis.scoring import DEFAULT_MIN_N, Interval, wilson_interval
from feedback_service.analysis.stats import benjamini_hochberg, fisher_exact_greater

COMPLAINT_CATEGORIES: Final = (
    "rude",
    "unhelpful",
    "slow-response",
    "did-not-resolve",
    "knowledge",
    "communication",
)
PRAISE_CATEGORIES: Final = ("praised",)
TREND_ALPHA: Final = 0.05


@dataclass(frozen=True, slots=True)
class ExampleComment:
    """A comment that shows the pattern, for the manager to read."""

    comment_id: str
    ticket_id: str
    confidence: float
    sentence: str = ""


@dataclass(frozen=True, slots=True)
class AgentPeriod:
    """One agent's counts in one period.

    ``responses`` maps channel -> responses the agent received in the period;
    ``hits`` maps category -> channel -> responses whose comment carries that
    category (at most one per response). A caller without a channel breakdown
    passes a single channel (e.g. ``"all"``). ``examples`` maps category ->
    example comments, best first (the caller chooses, e.g. by confidence).
    """

    agent_id: str
    team_id: str
    responses: Mapping[str, int]
    hits: Mapping[str, Mapping[str, int]]
    examples: Mapping[str, Sequence[ExampleComment]] = field(default_factory=dict)

    @property
    def total_responses(self) -> int:
        return sum(self.responses.values())

    def count(self, category: str) -> int:
        return sum(self.hits.get(category, {}).values())


@dataclass(frozen=True, slots=True)
class Trend:
    """The agent's rate for the category in the previous period, and the direction.

    ``direction`` is ``rising`` / ``falling`` when a one-sided Fisher test between
    the two periods is below 0.05 (descriptive, not corrected), ``steady``
    otherwise, ``new`` when the agent had no responses in the previous period.
    """

    previous_count: int
    previous_responses: int
    previous_rate: float | None
    change: float | None
    direction: str


@dataclass(frozen=True, slots=True)
class AgentPattern:
    """An (agent, category) whose rate holds up against the peers' after correction."""

    agent_id: str
    team_id: str
    category: str
    kind: str  # "complaint" or "praise"
    count: int
    responses: int
    rate: float
    peer_count: int
    peer_responses: int
    peer_rate: float
    expected_count: float  # at the peers' per-channel rates, over the agent's channels
    adjusted_peer_rate: float  # expected_count / responses
    rate_ratio: float | None  # count / expected_count; None when the peers had none
    rate_difference: float  # rate - adjusted_peer_rate
    p_value: float
    q_value: float
    trend: Trend | None
    examples: tuple[ExampleComment, ...]


@dataclass(frozen=True, slots=True)
class PatternReport:
    """Findings of one run, with the settings that produced them."""

    complaints: tuple[AgentPattern, ...]
    praise: tuple[AgentPattern, ...]
    tests: int  # size of the Benjamini-Hochberg family
    alpha: float
    min_count: int
    min_rate_ratio: float
    adjusted_for_channel: bool


def _log_comb(n: float, k: NDArray[np.float64]) -> NDArray[np.float64]:
    """log C(n, k) for a fixed ``n`` and an array of ``k``."""
    return np.asarray(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1), dtype=np.float64)


def stratified_exact_greater(strata: Iterable[tuple[int, int, int, int]]) -> float:
    """P(agent's total hits >= observed) given every stratum's margins.

    ``strata`` holds ``(agent_hits, agent_n, peer_hits, peer_n)`` per channel.
    Each stratum's agent count is hypergeometric given its margins; the total
    is their convolution. A stratum where either side has no responses, or
    nobody has a hit, has a fixed count and carries no evidence, so it is left
    out (its observed count is subtracted from both sides of the inequality).
    """
    pmf = np.ones(1)
    offset = 0
    observed = 0
    for a, n, b, m in strata:
        if a < 0 or b < 0 or a > n or b > m:
            raise ValueError(f"hits must be between 0 and responses: {(a, n, b, m)}")
        big_n, k = n + m, a + b
        if n == 0 or m == 0 or k == 0 or k == big_n:
            continue
        lo, hi = max(0, n + k - big_n), min(k, n)
        x = np.arange(lo, hi + 1, dtype=np.float64)
        log_p = (
            _log_comb(float(k), x)
            + _log_comb(float(big_n - k), n - x)
            - float(gammaln(big_n + 1) - gammaln(n + 1) - gammaln(big_n - n + 1))
        )
        pmf = np.convolve(pmf, np.exp(log_p))
        offset += lo
        observed += a
    start = observed - offset
    if start <= 0:
        return 1.0
    return float(min(1.0, max(0.0, pmf[start:].sum())))


def _strata(
    agent: AgentPeriod, peers_responses: Mapping[str, int], peers_hits: Mapping[str, int], cat: str
) -> list[tuple[int, int, int, int]]:
    hits = agent.hits.get(cat, {})
    channels = sorted(set(agent.responses) | set(peers_responses))
    return [
        (
            hits.get(ch, 0),
            agent.responses.get(ch, 0),
            peers_hits.get(ch, 0) - hits.get(ch, 0),
            peers_responses.get(ch, 0) - agent.responses.get(ch, 0),
        )
        for ch in channels
    ]


def _pooled(strata: Sequence[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return (
        sum(s[0] for s in strata),
        sum(s[1] for s in strata),
        sum(s[2] for s in strata),
        sum(s[3] for s in strata),
    )


def _expected(strata: Sequence[tuple[int, int, int, int]]) -> float:
    """Hits the agent would have at the peers' rate in each of the agent's channels."""
    peer_hits = sum(s[2] for s in strata)
    peer_n = sum(s[3] for s in strata)
    overall = peer_hits / peer_n if peer_n else 0.0
    return sum(n * (b / m if m else overall) for _, n, b, m in strata)


def _trend(current_count: int, current_n: int, previous: AgentPeriod | None, cat: str) -> Trend:
    if previous is None or previous.total_responses == 0:
        return Trend(0, 0, None, None, "new")
    prev_count, prev_n = previous.count(cat), previous.total_responses
    prev_rate = prev_count / prev_n
    change = current_count / current_n - prev_rate if current_n else None
    if current_n and fisher_exact_greater(current_count, current_n, prev_count, prev_n) < (
        TREND_ALPHA
    ):
        direction = "rising"
    elif current_n and fisher_exact_greater(prev_count, prev_n, current_count, current_n) < (
        TREND_ALPHA
    ):
        direction = "falling"
    else:
        direction = "steady"
    return Trend(prev_count, prev_n, prev_rate, change, direction)


def find_agent_patterns(
    current: Sequence[AgentPeriod],
    previous: Sequence[AgentPeriod] | None = None,
    *,
    complaint_categories: Sequence[str] = COMPLAINT_CATEGORIES,
    praise_categories: Sequence[str] = PRAISE_CATEGORIES,
    alpha: float = 0.05,
    min_count: int = 3,
    min_rate_ratio: float = 1.5,
    adjust_for_channel: bool = True,
    max_examples: int = 3,
) -> PatternReport:
    """Complaint and praise patterns of each agent against their team peers.

    ``current`` holds every agent of every team for the period (an agent alone
    in their team has no peers and is not tested); ``previous``, when given,
    supplies each agent's previous period for the trend. With
    ``adjust_for_channel=False`` the channels are pooled (plain one-sided
    Fisher), which is only right when channel mixes are alike.
    """
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    teams: dict[str, list[AgentPeriod]] = {}
    for record in current:
        teams.setdefault(record.team_id, []).append(record)
    before = {r.agent_id: r for r in previous or ()}
    categories = [(c, "complaint") for c in complaint_categories] + [
        (c, "praise") for c in praise_categories
    ]

    candidates: list[tuple[AgentPeriod, str, str, list[tuple[int, int, int, int]]]] = []
    pvalues: list[float] = []
    for members in teams.values():
        if len(members) < 2:
            continue
        team_responses: dict[str, int] = {}
        for r in members:
            for ch, n in r.responses.items():
                team_responses[ch] = team_responses.get(ch, 0) + n
        for cat, kind in categories:
            team_hits: dict[str, int] = {}
            for r in members:
                for ch, h in r.hits.get(cat, {}).items():
                    team_hits[ch] = team_hits.get(ch, 0) + h
            if sum(team_hits.values()) < min_count:
                continue
            for agent in members:
                strata = _strata(agent, team_responses, team_hits, cat)
                if not adjust_for_channel:
                    strata = [_pooled(strata)]
                if sum(s[1] for s in strata) == 0 or sum(s[3] for s in strata) == 0:
                    continue
                candidates.append((agent, cat, kind, strata))
                pvalues.append(stratified_exact_greater(strata))

    qvalues = [float(q) for q in benjamini_hochberg(pvalues)] if pvalues else []
    complaints: list[AgentPattern] = []
    praise: list[AgentPattern] = []
    for (agent, cat, kind, strata), p, q in zip(candidates, pvalues, qvalues, strict=True):
        count = sum(s[0] for s in strata)
        if q >= alpha or count < min_count:
            continue
        n = sum(s[1] for s in strata)
        expected = _expected(strata)
        ratio = count / expected if expected > 0 else None
        if ratio is not None and ratio < min_rate_ratio:
            continue
        peer_count, peer_n = sum(s[2] for s in strata), sum(s[3] for s in strata)
        finding = AgentPattern(
            agent_id=agent.agent_id,
            team_id=agent.team_id,
            category=cat,
            kind=kind,
            count=count,
            responses=n,
            rate=count / n,
            peer_count=peer_count,
            peer_responses=peer_n,
            peer_rate=peer_count / peer_n,
            expected_count=expected,
            adjusted_peer_rate=expected / n,
            rate_ratio=ratio,
            rate_difference=(count - expected) / n,
            p_value=p,
            q_value=q,
            trend=_trend(count, n, before.get(agent.agent_id), cat) if previous else None,
            examples=tuple(agent.examples.get(cat, ()))[:max_examples],
        )
        (complaints if kind == "complaint" else praise).append(finding)

    def order(f: AgentPattern) -> tuple[float, float, str, str]:
        return (f.q_value, -(f.rate_ratio or math.inf), f.agent_id, f.category)

    return PatternReport(
        complaints=tuple(sorted(complaints, key=order)),
        praise=tuple(sorted(praise, key=order)),
        tests=len(pvalues),
        alpha=alpha,
        min_count=min_count,
        min_rate_ratio=min_rate_ratio,
        adjusted_for_channel=adjust_for_channel,
    )


# --- Agent-adjusted CSAT ---------------------------------------------------------


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
