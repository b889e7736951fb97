"""Complaint and praise patterns per representative, and agent-adjusted CSAT.

Pure arithmetic on counts: no Flask, no SQLAlchemy. The workers count, per
agent and period, how many responses there were on each channel, how many of
them carry each complaint category (about the agent, the product or a process)
and praise, and how many carry a negative comment or a low CSAT, NPS or CES
answer (out of the answers to that question); this module says which of those
counts are a *pattern*, i.e. clearly above what the agent's peers get.

Why more than the agent-directed categories (issue 14): the classifier often
files a complaint about the representative under a process or product category
("on hold for two hours" as wait-time). A representative whose customers
complain far more must be found even when no single label is right, so the
label-free measures (negative comments, low ratings) are tested beside every
category. A category that is not about the agent is reported as
``about="concentrated"``: complaints piling up at one person are a coaching or
routing signal even when they are about the product.

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
are therefore corrected with Benjamini-Hochberg across every (agent, category
or measure) tested in the run (complaints, praise and the label-free measures
together; one family, the simplest honest choice: adding measures raises every
test's bar), and a finding is reported only when all three hold:

* ``q < alpha`` (default 0.05): it is unlikely to be noise after correction;
* ``count >= min_count`` (default 3): one complaint is not a pattern;
* ``rate_ratio >= min_rate_ratio`` (default 2): the agent's customers complain
  at least twice as often as the peers' on the same channels. A statistically
  clear but small excess is not worth a coaching session, and it is what the
  label-free measures produce without any problem: negative comments and low
  ratings are common (10-20% of answers), agents differ in case mix, and with a
  few hundred answers the exact test, whose null is one shared rate, calls a
  1.5x excess significant. At 1.5 the synthetic evaluation's false findings were
  almost all such low-CSAT / negative-comment excesses of 1.5-1.8x; at 2 the
  planted problems are still found (see ``bench/README-patterns.md``: chosen on
  one seed range, reported on another).

Only (agent, category) pairs whose *team* total for the category reaches
``min_count`` enter the family. That filter looks at the margins the exact test
conditions on, so it does not bias the p-values (independent filtering), and it
drops tests that could never be reported, which keeps the correction tight.

Rates are per response: a response whose comment says "rude" twice counts
once, so hits never exceed responses and the hypergeometric is valid.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from feedback_service.analysis.text.taxonomy import Taxonomy
from feedback_service.scores.stats import benjamini_hochberg, fisher_exact_greater

PRAISE_CATEGORIES: Final = ("praised",)
# The agent-directed complaint categories of the shipped taxonomy: a finding in one
# of these is ``about: "agent"``; every other complaint category found piling up at
# one agent is ``about: "concentrated"``.
COMPLAINT_CATEGORIES: Final = tuple(
    c for c in Taxonomy.default().categories["agent"] if c not in PRAISE_CATEGORIES
)
TREND_ALPHA: Final = 0.05

# What a finding measures. ``category``: responses whose comment carries one
# complaint (or praise) category. The others do not depend on any category label:
# ``negative_comments``: responses whose comment's overall sentiment is negative (not
# mixed: see NEGATIVE_SENTIMENTS); ``low_csat`` / ``low_nps`` / ``low_ces``: answers
# of CSAT <= 2, NPS <= 6, CES <= 2, out of the responses that answered that question.
CATEGORY: Final = "category"
NEGATIVE_COMMENTS: Final = "negative_comments"
LOW_CSAT: Final = "low_csat"
LOW_NPS: Final = "low_nps"
LOW_CES: Final = "low_ces"
MEASURES: Final = (NEGATIVE_COMMENTS, LOW_CSAT, LOW_NPS, LOW_CES)
# Share of the weighted Benjamini-Hochberg family given to the label-free measures
# (about 4 tests per agent) against every category (about 15-20 per agent).
MEASURE_SHARE: Final = 0.5
ABOUT_AGENT: Final = "agent"
ABOUT_CONCENTRATED: Final = "concentrated"


# A comment counts as negative when its overall sentiment is negative. Mixed comments
# ("the agent was lovely but the app keeps crashing") are left out: they are common
# everywhere, so counting them raises every representative's baseline and dilutes
# the measure (on the real-sentence evaluation, choosing seeds 2000-2179, counting
# them cost 6 of 78 strong planted representatives); their complaints still count
# through their categories.
NEGATIVE_SENTIMENTS: Final = ("negative",)
# A low rating per question: CSAT 1-2 of 5, NPS 0-6 of 10 (detractors), CES 1-2 of 7.
LOW_RATING_BARS: Final = {LOW_CSAT: ("csat", 2), LOW_NPS: ("nps", 6), LOW_CES: ("ces", 2)}
TARGETED: Final = ("agent", "product", "process")


def counted_findings(findings: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The categories one response counts for, each with the finding that carries it.

    Every category whose finding names a target (agent, product or process) counts
    once per response: a complaint when the finding is not positive ("the agent
    was not rude at all" is no complaint), praise when it is not negative.
    Findings about nobody (``none``: "other", general praise) never count.
    """
    out: dict[str, Mapping[str, Any]] = {}
    for finding in findings:
        category = finding.get("category")
        if not category or finding.get("target") not in TARGETED or category in out:
            continue
        praise = category in PRAISE_CATEGORIES
        if finding.get("sentiment") == ("negative" if praise else "positive"):
            continue
        out[str(category)] = finding
    return out


def low_ratings(ratings: Mapping[str, int | None]) -> list[str]:
    """The low-rating measures an answer counts for (``ratings``: csat, nps, ces)."""
    out = []
    for measure, (question, bar) in LOW_RATING_BARS.items():
        value = ratings.get(question)
        if value is not None and value <= bar:
            out.append(measure)
    return out


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

    ``measures`` maps a label-free measure (:data:`MEASURES`) -> channel ->
    responses that count for it, and ``answered`` the measure -> channel ->
    responses it is a share of (the answers to that question; a measure absent
    from ``answered`` is a share of ``responses``). ``measure_examples`` holds
    their example comments. A measure absent from ``measures`` is not tested.
    """

    agent_id: str
    team_id: str
    responses: Mapping[str, int]
    hits: Mapping[str, Mapping[str, int]]
    examples: Mapping[str, Sequence[ExampleComment]] = field(default_factory=dict)
    measures: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    answered: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    measure_examples: Mapping[str, Sequence[ExampleComment]] = field(default_factory=dict)

    @property
    def total_responses(self) -> int:
        return sum(self.responses.values())

    def count(self, category: str) -> int:
        return sum(self.hits.get(category, {}).values())

    def tallies(
        self, measure: str, category: str | None
    ) -> tuple[Mapping[str, int], Mapping[str, int]]:
        """``(hits by channel, denominator by channel)`` of one test."""
        if measure == CATEGORY:
            return self.hits.get(category or "", {}), self.responses
        return self.measures.get(measure, {}), self.answered.get(measure, self.responses)

    def examples_of(self, measure: str, category: str | None) -> Sequence[ExampleComment]:
        if measure == CATEGORY:
            return self.examples.get(category or "", ())
        return self.measure_examples.get(measure, ())


@dataclass(frozen=True, slots=True)
class Trend:
    """The agent's rate for the measure in the previous period, and the direction.

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
    """An (agent, measure) whose rate holds up against the peers' after correction.

    ``category`` is the complaint or praise category for ``measure == "category"``
    and ``None`` for the label-free measures. ``about`` is ``agent`` for a
    category that names the agent (rude, unhelpful, praised...), ``concentrated``
    for everything else: product or process complaints, negative comments and low
    ratings piling up at this agent (a coaching or routing signal, not a verdict
    on the agent's conduct). ``responses`` is the denominator: the agent's
    responses, or for a low-rating measure their answers to that question.
    """

    agent_id: str
    team_id: str
    category: str | None
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
    measure: str = CATEGORY
    about: str = ABOUT_AGENT
    peers: int = 0  # the other agents of the team it was compared with
    weight: float = 1.0  # its weight in the weighted Benjamini-Hochberg (q uses p / weight)


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
    agent_hits: Mapping[str, int],
    agent_n: Mapping[str, int],
    team_hits: Mapping[str, int],
    team_n: Mapping[str, int],
) -> list[tuple[int, int, int, int]]:
    channels = sorted(set(agent_n) | set(team_n))
    return [
        (
            agent_hits.get(ch, 0),
            agent_n.get(ch, 0),
            team_hits.get(ch, 0) - agent_hits.get(ch, 0),
            team_n.get(ch, 0) - agent_n.get(ch, 0),
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


def _trend(current_count: int, current_n: int, prev_count: int, prev_n: int) -> Trend:
    if prev_n == 0:
        return Trend(0, 0, None, None, "new")
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


def _sum_by_channel(rows: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for row in rows:
        for ch, n in row.items():
            total[ch] = total.get(ch, 0) + n
    return total


@dataclass(frozen=True, slots=True)
class _Test:
    agent: AgentPeriod
    peers: int
    measure: str
    category: str | None
    kind: str
    about: str
    strata: list[tuple[int, int, int, int]]


def _weights(is_measure: Sequence[bool], measure_share: float | None) -> list[float]:
    """Weights averaging 1: ``measure_share`` of the total to the measure tests."""
    measures = sum(is_measure)
    categories = len(is_measure) - measures
    if measure_share is None or measures == 0 or categories == 0:
        return [1.0] * len(is_measure)
    if not 0.0 < measure_share < 1.0:
        raise ValueError("measure_share must be between 0 and 1")
    total = len(is_measure)
    w_measure = measure_share * total / measures
    w_category = (1.0 - measure_share) * total / categories
    return [w_measure if m else w_category for m in is_measure]


def _tests_of(
    current: Sequence[AgentPeriod],
    complaint_categories: Sequence[str] | None,
    praise_categories: Sequence[str],
    measures: Sequence[str],
) -> list[tuple[str, str | None, str]]:
    """(measure, category, kind) of every test made per agent."""
    if complaint_categories is None:
        seen = {c for r in current for c in r.hits}
        complaint_categories = sorted(seen - set(praise_categories))
    tests_of: list[tuple[str, str | None, str]] = [
        (CATEGORY, c, "complaint") for c in complaint_categories
    ]
    tests_of += [(CATEGORY, c, "praise") for c in praise_categories]
    tests_of += [(m, None, "complaint") for m in measures]
    return tests_of


def _team_tests(
    members: Sequence[AgentPeriod],
    tests_of: Sequence[tuple[str, str | None, str]],
    *,
    agent_categories: Collection[str],
    min_count: int,
    adjust_for_channel: bool,
) -> Iterator[_Test]:
    """The tests of one team's agents whose team total reaches ``min_count``."""
    for measure, category, kind in tests_of:
        tallies = [r.tallies(measure, category) for r in members]
        if measure != CATEGORY and not any(measure in r.measures for r in members):
            continue
        team_hits = _sum_by_channel(h for h, _ in tallies)
        if sum(team_hits.values()) < min_count:
            continue
        team_n = _sum_by_channel(n for _, n in tallies)
        about = (
            ABOUT_AGENT
            if measure == CATEGORY and category in agent_categories
            else ABOUT_CONCENTRATED
        )
        for agent, (hits, answered) in zip(members, tallies, strict=True):
            strata = _strata(hits, answered, team_hits, team_n)
            if not adjust_for_channel:
                strata = [_pooled(strata)]
            if sum(s[1] for s in strata) == 0 or sum(s[3] for s in strata) == 0:
                continue
            yield _Test(agent, len(members) - 1, measure, category, kind, about, strata)


def _finding(
    test: _Test,
    p: float,
    q: float,
    weight: float,
    before: Mapping[str, AgentPeriod] | None,
    max_examples: int,
) -> AgentPattern:
    strata = test.strata
    count = sum(s[0] for s in strata)
    n = sum(s[1] for s in strata)
    expected = _expected(strata)
    peer_count, peer_n = sum(s[2] for s in strata), sum(s[3] for s in strata)
    trend = None
    if before is not None:
        prior = before.get(test.agent.agent_id)
        prev_hits, prev_n = (
            prior.tallies(test.measure, test.category) if prior is not None else ({}, {})
        )
        trend = _trend(count, n, sum(prev_hits.values()), sum(prev_n.values()))
    return AgentPattern(
        agent_id=test.agent.agent_id,
        team_id=test.agent.team_id,
        category=test.category,
        kind=test.kind,
        count=count,
        responses=n,
        rate=count / n,
        peer_count=peer_count,
        peer_responses=peer_n,
        peer_rate=peer_count / peer_n,
        expected_count=expected,
        adjusted_peer_rate=expected / n,
        rate_ratio=count / expected if expected > 0 else None,
        rate_difference=(count - expected) / n,
        p_value=p,
        q_value=q,
        trend=trend,
        examples=tuple(test.agent.examples_of(test.measure, test.category))[:max_examples],
        measure=test.measure,
        about=test.about,
        peers=test.peers,
        weight=weight,
    )


def _holds(test: _Test, q: float, alpha: float, min_count: int, min_rate_ratio: float) -> bool:
    """Significant after correction, frequent enough, and a large enough excess."""
    count = sum(s[0] for s in test.strata)
    if q >= alpha or count < min_count:
        return False
    expected = _expected(test.strata)
    return expected <= 0 or count / expected >= min_rate_ratio


def _order(f: AgentPattern) -> tuple[float, float, str, str, str]:
    return (f.q_value, -(f.rate_ratio or math.inf), f.agent_id, f.measure, f.category or "")


def find_agent_patterns(
    current: Sequence[AgentPeriod],
    previous: Sequence[AgentPeriod] | None = None,
    *,
    complaint_categories: Sequence[str] | None = None,
    praise_categories: Sequence[str] = PRAISE_CATEGORIES,
    agent_categories: Collection[str] = COMPLAINT_CATEGORIES + PRAISE_CATEGORIES,
    measures: Sequence[str] = MEASURES,
    measure_share: float | None = MEASURE_SHARE,
    alpha: float = 0.05,
    min_count: int = 3,
    min_rate_ratio: float = 2.0,
    adjust_for_channel: bool = True,
    max_examples: int = 3,
) -> PatternReport:
    """Complaint and praise patterns of each agent against their team peers.

    ``current`` holds every agent of every team for the period (an agent alone
    in their team has no peers and is not tested); ``previous``, when given,
    supplies each agent's previous period for the trend. With
    ``adjust_for_channel=False`` the channels are pooled (plain one-sided
    Fisher), which is only right when channel mixes are alike.

    Tested, per agent: every complaint category (``complaint_categories``;
    ``None``, the default, is every category found in ``hits`` that is not a
    praise category), every praise category, and every label-free measure of
    ``measures`` the caller counted. One Benjamini-Hochberg family holds them
    all, so adding measures makes each test's bar higher, never lower.

    The family is corrected with *weighted* Benjamini-Hochberg (Genovese,
    Roeder and Wasserman 2006): the label-free measures together get
    ``measure_share`` of the family's weight and the categories the rest, each
    test's p-value divided by its weight before the usual step-up. Weights
    average 1, so the false discovery rate is still ``alpha`` (and nothing is
    flagged in pure noise with probability ``1 - alpha``); what changes is
    where the power goes: the few measures that do not depend on a label being
    right get more of it than each of the many categories. They are fixed
    before looking at any p-value (they depend on how many tests of each kind
    entered the family, i.e. on the margins alone). ``None``: plain BH.
    """
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    teams: dict[str, list[AgentPeriod]] = {}
    for record in current:
        teams.setdefault(record.team_id, []).append(record)
    tests_of = _tests_of(current, complaint_categories, praise_categories, measures)
    candidates = [
        test
        for members in teams.values()
        if len(members) >= 2
        for test in _team_tests(
            members,
            tests_of,
            agent_categories=agent_categories,
            min_count=min_count,
            adjust_for_channel=adjust_for_channel,
        )
    ]
    pvalues = [stratified_exact_greater(t.strata) for t in candidates]
    weights = _weights([t.measure != CATEGORY for t in candidates], measure_share)
    weighted = [min(1.0, p / w) for p, w in zip(pvalues, weights, strict=True)]
    qvalues = [float(q) for q in benjamini_hochberg(weighted)] if pvalues else []
    before = {r.agent_id: r for r in previous} if previous else None
    complaints: list[AgentPattern] = []
    praise: list[AgentPattern] = []
    for test, p, q, weight in zip(candidates, pvalues, qvalues, weights, strict=True):
        if _holds(test, q, alpha, min_count, min_rate_ratio):
            finding = _finding(test, p, q, weight, before, max_examples)
            (complaints if test.kind == "complaint" else praise).append(finding)
    return PatternReport(
        complaints=tuple(sorted(complaints, key=_order)),
        praise=tuple(sorted(praise, key=_order)),
        tests=len(pvalues),
        alpha=alpha,
        min_count=min_count,
        min_rate_ratio=min_rate_ratio,
        adjusted_for_channel=adjust_for_channel,
    )
