"""Seeded synthetic feedback with planted findings, for tests, evaluation and benchmarks.

Agents sit in teams and answer responses over a number of weeks on three
channels. Each response may carry a comment; a comment says one thing (an
*issue*: a rude agent, a crashing login, a long hold...) drawn from
hand-written phrasings, wrapped in varied openers and tails so that no two
themes share their exact words. Base rates depend on the channel on purpose:
rudeness is reported far more on the phone and slow replies far more by email,
so an agent who mostly takes calls looks worse on a raw rate without being
worse (the confounder the pattern test must adjust for).

What can be planted (:class:`Plant`):

- a complaint pattern: one agent whose rate of one agent-directed category is
  raised in the current period (by default: rude, +3 points per response,
  about 12 more rude comments over four weeks than a typical agent's 3);
- a praise pattern: one agent praised far more often than the team;
- a spreading product bug: a new issue (invoice downloads failing with an
  error 500) that appears in the last weeks and reaches more agents' customers
  every week: an emerging product gap;
- a one-agent theme: a product complaint that only one agent's customers make
  (that agent handles the printer line), which is a theme but not a gap;
- a channel-confounded agent: nearly all phone, busy (2.5 times the volume),
  with ordinary per-channel rates.

With ``Plant.nothing()`` the data are pure noise around the base rates, and the
modules must flag nothing (no pattern, no emerging gap). Recurring product
problems present in every week (the crashing login...) are real product gaps in
both cases: they are the background every support team lives with.

Everything is generated column-wise with numpy, so a million responses take
about a second; only comments become Python objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from feedback_service.demo.issues import ISSUE_INDEX, ISSUES, NOBODY, Issue, comment_text
from feedback_service.patterns.agents import AgentPeriod, ExampleComment
from feedback_service.patterns.csat import AgentCsatCounts, blame_of
from feedback_service.patterns.themes import ThemeComment

CHANNELS: Final = ("email", "chat", "phone")
FIRST_WEEK: Final = dt.date(2026, 9, 7)  # a Monday


# CSAT 1..5 distributions: a complaint goes with a low score, praise with a high one.
_CSAT_HAPPY: Final = (0.02, 0.03, 0.07, 0.30, 0.58)
_CSAT_COMPLAINT: Final = (0.35, 0.25, 0.20, 0.12, 0.08)
_CSAT_PRAISE: Final = (0.01, 0.01, 0.03, 0.20, 0.75)


@dataclass(frozen=True, slots=True)
class Plant:
    """What to plant. A pattern's strength is a rate per response *added* to the
    agent's base rates on every channel in the current period (additive, so the
    strength does not depend on the agent's channel mix)."""

    pattern_category: str | None = "rude"
    pattern_extra_rate: float = 0.03
    praise_extra_rate: float | None = None
    spreading_bug: bool = True
    bug_rate: float = 0.015
    spread_weeks: int = 3
    single_agent_theme: bool = False
    confounded_agent: bool = False

    @classmethod
    def nothing(cls) -> Plant:
        return cls(pattern_category=None, spreading_bug=False)


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """What was planted, by the ids the modules report."""

    patterns: frozenset[tuple[str, str]]  # (agent_id, category), complaints and praise
    emerging_issue: str | None  # issue key of the spreading bug
    single_agent_issue: str | None
    confounded_agent: str | None
    # The agent whose customers alone report the one-agent theme (a product
    # complaint concentrated at them: a routing signal, not an agent problem).
    single_agent: str | None = None


@dataclass(frozen=True, slots=True)
class PlantedData:
    """Responses column-wise (one row per response) plus what was planted.

    ``issue`` is the index into :data:`ISSUES` of what the response's comment
    says, or -1 when the response has no comment.
    """

    agent_ids: tuple[str, ...]
    team_ids: tuple[str, ...]  # per agent
    weeks: tuple[dt.date, ...]
    agent: NDArray[np.int32]
    week: NDArray[np.int16]
    channel: NDArray[np.int8]
    csat: NDArray[np.int8]
    issue: NDArray[np.int16]
    confidence: NDArray[np.float32]
    phrasing: NDArray[np.int32]  # index into a comment-text table built on demand
    truth: GroundTruth
    period_weeks: int = 4

    @property
    def responses(self) -> int:
        return int(self.agent.size)

    @property
    def comments(self) -> int:
        return int(np.count_nonzero(self.issue >= 0))


def generate(
    seed: int,
    plant: Plant | None = None,
    *,
    teams: int = 4,
    agents_per_team: int = 8,
    weeks: int = 8,
    responses_per_agent_week: float = 100.0,
    period_weeks: int = 4,
    comment_rate_scale: float = 1.0,
) -> PlantedData:
    """Generate responses for ``teams * agents_per_team`` agents over ``weeks`` weeks.

    The current period is the last ``period_weeks`` weeks, the previous period
    the ``period_weeks`` before it. Planted agents are drawn at random (seeded)
    and never coincide. ``comment_rate_scale`` multiplies every base rate (about
    19% of responses carry a comment at 1.0).
    """
    plant = plant if plant is not None else Plant()
    rng = np.random.default_rng(seed)
    n_agents = teams * agents_per_team
    agent_ids = tuple(f"agent-{i:04d}" for i in range(n_agents))
    team_ids = tuple(f"team-{i // agents_per_team:03d}" for i in range(n_agents))
    week_dates = tuple(FIRST_WEEK + dt.timedelta(weeks=w) for w in range(weeks))

    # Agents differ in volume and in channel mix (around a team mix).
    volume = responses_per_agent_week * rng.uniform(0.7, 1.3, n_agents)
    team_mix = rng.dirichlet((6.0, 4.0, 4.0), teams)
    mix = np.vstack([rng.dirichlet(team_mix[i // agents_per_team] * 30) for i in range(n_agents)])
    special = rng.choice(n_agents, size=min(4, n_agents), replace=False)
    pattern_agent, praise_agent, one_theme_agent, confounded = (int(a) for a in special)
    if plant.confounded_agent:
        mix[confounded] = (0.03, 0.02, 0.95)
        volume[confounded] *= 2.5  # a busy phone agent: enough volume to look guilty
    extra, patterns = _planted_rates(
        plant, (n_agents, weeks), weeks - period_weeks, pattern_agent, praise_agent, agent_ids
    )
    p = comment_rate_scale * np.array([issue.rates for issue in ISSUES])[None, None, :, :]
    p = p + extra[:, :, :, None]  # (A, W, K, C)
    if plant.spreading_bug:
        k = ISSUE_INDEX["invoice-download"]
        order = rng.permutation(n_agents)
        for step in range(plant.spread_weeks):
            w = weeks - plant.spread_weeks + step
            reached = order[: max(1, round(n_agents * (step + 1) / plant.spread_weeks))]
            p[reached, w, k, :] = plant.bug_rate
    if plant.single_agent_theme:
        p[one_theme_agent, :, ISSUE_INDEX["printer-driver"], :] = 0.03
    lam = volume[:, None, None] * mix[:, None, :] * np.ones((1, weeks, 1))
    agent, week, channel, issue = _responses(rng, lam, p)
    return PlantedData(
        agent_ids=agent_ids,
        team_ids=team_ids,
        weeks=week_dates,
        agent=agent,
        week=week,
        channel=channel,
        csat=_csat(rng, issue),
        issue=issue,
        confidence=rng.uniform(0.5, 1.0, issue.size).astype(np.float32),
        phrasing=rng.integers(0, 1 << 30, issue.size, dtype=np.int32),
        truth=GroundTruth(
            patterns=frozenset(patterns),
            emerging_issue="invoice-download" if plant.spreading_bug else None,
            single_agent_issue="printer-driver" if plant.single_agent_theme else None,
            confounded_agent=agent_ids[confounded] if plant.confounded_agent else None,
            single_agent=agent_ids[one_theme_agent] if plant.single_agent_theme else None,
        ),
        period_weeks=period_weeks,
    )


def _planted_rates(
    plant: Plant,
    shape: tuple[int, int],
    first_current: int,
    pattern_agent: int,
    praise_agent: int,
    agent_ids: Sequence[str],
) -> tuple[NDArray[np.float64], set[tuple[str, str]]]:
    """Rates added per (agent, week, issue) by the planted patterns, and the truth."""
    extra = np.zeros((*shape, len(ISSUES)))
    current = np.arange(shape[1]) >= first_current
    patterns: set[tuple[str, str]] = set()
    if plant.pattern_category is not None:
        k = ISSUE_INDEX[plant.pattern_category]
        extra[pattern_agent, current, k] = plant.pattern_extra_rate
        patterns.add((agent_ids[pattern_agent], plant.pattern_category))
    if plant.praise_extra_rate is not None:
        k = ISSUE_INDEX["praised"]
        extra[praise_agent, current, k] = plant.praise_extra_rate
        patterns.add((agent_ids[praise_agent], "praised"))
    return extra, patterns


def _responses(
    rng: np.random.Generator, lam: NDArray[np.float64], p: NDArray[np.float64]
) -> tuple[NDArray[np.int32], NDArray[np.int16], NDArray[np.int8], NDArray[np.int16]]:
    """Responses per (agent, week, channel) and their comments, one row per response:
    agent, week, channel and issue (-1: no comment), by a multinomial over issues."""
    n = rng.poisson(lam)  # (A, W, C)
    probs = np.moveaxis(p, 2, 3)  # (A, W, C, K)
    no_comment = 1.0 - probs.sum(axis=3, keepdims=True)
    counts = rng.multinomial(n, np.concatenate([probs, no_comment], axis=3))  # (A, W, C, K+1)
    cells = counts.reshape(-1, len(ISSUES) + 1)
    flat = cells.ravel()
    a_idx, w_idx, c_idx = np.unravel_index(np.arange(cells.shape[0]), n.shape)
    k_idx = np.tile(np.arange(len(ISSUES) + 1), cells.shape[0])
    row_cell = np.repeat(np.arange(cells.shape[0]).repeat(len(ISSUES) + 1), flat)
    issue = np.repeat(k_idx, flat).astype(np.int16)
    issue[issue == len(ISSUES)] = -1
    return (
        a_idx[row_cell].astype(np.int32),
        w_idx[row_cell].astype(np.int16),
        c_idx[row_cell].astype(np.int8),
        issue,
    )


def _csat(rng: np.random.Generator, issue: NDArray[np.int16]) -> NDArray[np.int8]:
    """CSAT 1..5 per response: low with a complaint, high with praise."""
    kinds = np.zeros(issue.size, dtype=np.int8)  # 0 happy, 1 complaint, 2 praise
    targets = np.array([i.target for i in ISSUES])
    is_praise = np.array([i.category in ("praised", "praise-general") for i in ISSUES])
    complaint = np.array([t != NOBODY for t in targets]) & ~is_praise
    has = issue >= 0
    kinds[has & complaint[np.where(has, issue, 0)]] = 1
    kinds[has & is_praise[np.where(has, issue, 0)]] = 2
    csat = np.empty(issue.size, dtype=np.int8)
    u = rng.random(issue.size)
    for kind, dist in enumerate((_CSAT_HAPPY, _CSAT_COMPLAINT, _CSAT_PRAISE)):
        sel = kinds == kind
        csat[sel] = np.searchsorted(np.cumsum(dist)[:-1], u[sel], side="right") + 1
    return csat


def _period_mask(data: PlantedData, period: str) -> NDArray[np.bool_]:
    n_weeks = len(data.weeks)
    end = n_weeks if period == "current" else n_weeks - data.period_weeks
    start = end - data.period_weeks
    return (data.week >= start) & (data.week < end)


def _best_examples(
    data: PlantedData, rows: NDArray[np.int64], keys: NDArray[np.int64], max_examples: int
) -> dict[tuple[int, int], list[ExampleComment]]:
    """Up to ``max_examples`` comments per (agent, key), highest confidence first."""
    order = np.lexsort((-data.confidence[rows], keys, data.agent[rows]))
    out: dict[tuple[int, int], list[ExampleComment]] = {}
    for r, key in zip(rows[order].tolist(), keys[order].tolist(), strict=True):
        bucket = out.setdefault((int(data.agent[r]), int(key)), [])
        if len(bucket) < max_examples:
            bucket.append(
                ExampleComment(
                    comment_id=f"C{r}",
                    ticket_id=f"T{r}",
                    confidence=round(float(data.confidence[r]), 3),
                    sentence=comment_text(int(data.issue[r]), int(data.phrasing[r])),
                )
            )
    return out


def agent_periods(
    data: PlantedData, period: str = "current", *, max_examples: int = 3
) -> list[AgentPeriod]:
    """Per-agent counts for ``period`` ("current" or "previous"), as the patterns consume.

    Hits count responses whose comment carries the category (one per response),
    per channel, for every category that is not about nobody (agent, product and
    process complaints, and praise); examples are the highest-confidence
    comments per category. The label-free measures: ``negative_comments`` (a
    comment with a complaint, as :mod:`planted_db` stores its sentiment) and
    ``low_csat`` (CSAT 1 or 2; every planted response answers CSAT).
    """
    mask = _period_mask(data, period)
    n_agents, n_ch = len(data.agent_ids), len(CHANNELS)
    agent, channel, issue = data.agent[mask], data.channel[mask], data.issue[mask]
    responses = np.bincount(agent * n_ch + channel, minlength=n_agents * n_ch).reshape(
        n_agents, n_ch
    )
    categories = sorted({i.category for i in ISSUES if i.target != NOBODY})
    category_of = np.array(
        [categories.index(i.category) if i.target != NOBODY else -1 for i in ISSUES] + [-1]
    )
    cat = category_of[np.where(issue >= 0, issue, len(ISSUES))]
    sel = cat >= 0
    rows = np.flatnonzero(mask)[sel]
    a, c, k = agent[sel], channel[sel], cat[sel].astype(np.int64)
    hits = np.bincount(
        (a * len(categories) + k) * n_ch + c, minlength=n_agents * len(categories) * n_ch
    ).reshape(n_agents, len(categories), n_ch)

    examples = _best_examples(data, rows, k, max_examples)
    complaint_issue = np.array([_is_complaint(i) for i in ISSUES] + [False])
    negative = complaint_issue[np.where(issue >= 0, issue, len(ISSUES))]
    low = data.csat[mask] <= 2
    measures = {}
    for name, flag in (("negative_comments", negative), ("low_csat", low)):
        measures[name] = np.bincount(
            agent[flag] * n_ch + channel[flag], minlength=n_agents * n_ch
        ).reshape(n_agents, n_ch)
    negative_rows = np.flatnonzero(mask)[negative]
    negative_examples = _best_examples(
        data, negative_rows, np.zeros(negative_rows.size, dtype=np.int64), max_examples
    )

    out = []
    for a_i in range(n_agents):
        out.append(
            AgentPeriod(
                agent_id=data.agent_ids[a_i],
                team_id=data.team_ids[a_i],
                responses={ch: int(responses[a_i, j]) for j, ch in enumerate(CHANNELS)},
                hits={
                    name: {ch: int(hits[a_i, k_i, j]) for j, ch in enumerate(CHANNELS)}
                    for k_i, name in enumerate(categories)
                },
                examples={
                    name: tuple(examples.get((a_i, k_i), ())) for k_i, name in enumerate(categories)
                },
                measures={
                    name: {ch: int(m[a_i, j]) for j, ch in enumerate(CHANNELS)}
                    for name, m in measures.items()
                },
                measure_examples={"negative_comments": tuple(negative_examples.get((a_i, 0), ()))},
            )
        )
    return out


def _is_complaint(issue: Issue) -> bool:
    return issue.target != NOBODY and issue.category not in ("praised", "praise-general")


def csat_counts(data: PlantedData, period: str = "current") -> list[AgentCsatCounts]:
    """Per-agent CSAT answers with the not-satisfied ones split by whom the comment blames."""
    mask = _period_mask(data, period)
    n_agents = len(data.agent_ids)
    agent, csat, issue = data.agent[mask], data.csat[mask], data.issue[mask]
    blame_names = ("agent", "product", "process", "none")
    blame_of_issue = np.array([blame_names.index(blame_of([i.target])) for i in ISSUES] + [3])
    blame = blame_of_issue[np.where(issue >= 0, issue, len(ISSUES))]
    unsatisfied = csat <= 3
    answers = np.bincount(agent, minlength=n_agents)
    satisfied = np.bincount(agent[~unsatisfied], minlength=n_agents)
    by_blame = np.bincount(
        agent[unsatisfied] * 4 + blame[unsatisfied], minlength=n_agents * 4
    ).reshape(n_agents, 4)
    return [
        AgentCsatCounts(
            agent_id=data.agent_ids[i],
            team_id=data.team_ids[i],
            answers=int(answers[i]),
            satisfied=int(satisfied[i]),
            unsatisfied_agent=int(by_blame[i, 0]),
            unsatisfied_product=int(by_blame[i, 1]),
            unsatisfied_process=int(by_blame[i, 2]),
        )
        for i in range(n_agents)
    ]


def theme_comments(
    data: PlantedData, targets: Sequence[str] = ("product", "process")
) -> list[ThemeComment]:
    """Product- and process-directed comments over all weeks, as the themes consume."""
    wanted = [k for k, i in enumerate(ISSUES) if i.target in targets]
    rows = np.flatnonzero(np.isin(data.issue, wanted))
    out = []
    for r in rows.tolist():
        issue = ISSUES[data.issue[r]]
        out.append(
            ThemeComment(
                comment_id=f"C{r}",
                ticket_id=f"T{r}",
                agent_id=data.agent_ids[data.agent[r]],
                product=issue.product,
                week=data.weeks[data.week[r]],
                csat=int(data.csat[r]),
                target=issue.target,
                category=issue.category,
                sentence=comment_text(int(data.issue[r]), int(data.phrasing[r])),
            )
        )
    return out


def issue_of(comment_id: str, data: PlantedData) -> str:
    """The planted issue key behind a comment id (for scoring themes against the truth)."""
    return ISSUES[int(data.issue[int(comment_id[1:])])].key


def response_csat_histogram(data: PlantedData) -> dict[int, int]:
    """CSAT answers 1..5 over every response (the baseline a theme is compared with)."""
    hist = np.bincount(data.csat, minlength=6)
    return {score: int(hist[score]) for score in range(1, 6)}
