"""The pattern modules' inputs, read from the database.

Counts are aggregated in SQL (responses per agent, channel and period; CSAT
answers per agent). Only the commented responses are read row by row, as plain
column tuples streamed in batches (a server-side cursor on PostgreSQL), never
as ORM objects: at a million responses that is the 200,000 comment analyses,
each parsed once for the agent patterns, the adjusted CSAT and the themes.

Which findings count:

* a complaint category about the agent, the product or a process (rude,
  wait-time, bug, ...) counts when the finding is not positive ("the agent was
  not rude at all" is no complaint), praise when it is not negative; a response
  counts at most once per category;
* a negative comment is one whose comment-level sentiment is negative (mixed
  comments count through their categories only, see ``NEGATIVE_SENTIMENTS``);
  low ratings (CSAT <= 2, NPS <= 6, CES <= 2) are counted in SQL with the
  answers to each question as their denominator, commented or not;
* a not-satisfied CSAT answer is blamed (``csat.blame_of``) on the targets of
  its comment's non-positive findings, so praise of the agent in a comment that
  complains about the product does not keep the answer against the agent;
* themes take only complaint sentences (``themes.is_theme_sentence``): negative
  (or mixed) ones about the product or a process, and on escalated or reopened
  tickets also the negative ones that name no target. Neutral and positive
  sentences never enter a complaint theme.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from feedback_service.analysis.complaints import is_theme_sentence
from feedback_service.analysis.models import CommentAnalysis
from feedback_service.db import equal_to
from feedback_service.helpdesk.models import Agent, Team, Ticket
from feedback_service.patterns.agents import (
    COMPLAINT_CATEGORIES,
    LOW_RATING_BARS,
    NEGATIVE_SENTIMENTS,
    PRAISE_CATEGORIES,
    AgentPeriod,
    ExampleComment,
    counted_findings,
    low_ratings,
)
from feedback_service.patterns.csat import AgentCsatCounts, blame_of
from feedback_service.patterns.themes import ResponseBaseline, ThemeComment
from feedback_service.surveys.models import Response

NO_TEAM: Final = ""
NO_CHANNEL: Final = "unknown"
STREAM_BATCH: Final = 5_000
# Themes are bucketed into 7-day weeks ending on the window's last day; the pure
# module wants Mondays, so bucket k is handed over as this Monday + k weeks and
# mapped back to the real dates afterwards.
_ANCHOR_MONDAY: Final = dt.date(2001, 1, 1)


@dataclass(frozen=True, slots=True)
class Scope:
    """The filters a run is computed under (our own ids; ``None`` is "all")."""

    team_id: int | None = None
    channel: str | None = None
    survey_id: int | None = None


@dataclass(frozen=True, slots=True)
class DayRange:
    first: dt.date
    last: dt.date  # inclusive

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _conditions(scope: Scope, first: dt.datetime, end: dt.datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Response.status == "confirmed",
        Response.submitted_at >= first,
        Response.submitted_at < end,
    ]
    return conditions + equal_to(
        Response, team_id=scope.team_id, channel=scope.channel, survey_id=scope.survey_id
    )


def count_responses(session: Session, scope: Scope, days: DayRange) -> int:
    stmt = select(func.count(Response.id)).where(*_conditions(scope, days.start, days.end))
    return int(session.scalar(stmt) or 0)


def _stream(session: Session, stmt: Any) -> Iterator[Any]:
    result = session.execute(stmt.execution_options(yield_per=STREAM_BATCH))
    yield from result


# Each row of a comment stream starts with these: the answer, its agent and team.
_ANSWER_COLUMNS = (
    Response.id,
    Agent.external_id,
    Team.external_id,
    Response.channel,
    Response.submitted_at,
    Response.csat,
)


def _comment_stream(
    session: Session,
    scope: Scope,
    first: dt.datetime,
    end: dt.datetime,
    columns: Sequence[Any],
    *,
    agent_required: bool,
) -> Iterator[Any]:
    """The analysed comments in the scope and range, with their ticket: the answer
    columns, then ``columns``; ``agent_required`` leaves out answers with no agent."""
    stmt = (
        select(*_ANSWER_COLUMNS, *columns)
        .join(CommentAnalysis, CommentAnalysis.response_id == Response.id)
        .join(Ticket, Ticket.id == Response.ticket_id)
    )
    join_agent = stmt.join if agent_required else stmt.outerjoin
    stmt = (
        join_agent(Agent, Agent.id == Response.agent_id)
        .outerjoin(Team, Team.id == Response.team_id)
        .where(*_conditions(scope, first, end))
    )
    return _stream(session, stmt)


def _comment_rows(
    session: Session, scope: Scope, first: dt.datetime, end: dt.datetime
) -> Iterator[Any]:
    columns = (Ticket.external_id, Ticket.product, Ticket.escalated, Ticket.reopened)
    return _comment_stream(
        session, scope, first, end, (*columns, CommentAnalysis.findings), agent_required=False
    )


# --- complaint patterns and adjusted CSAT -------------------------------------------

# Comment sentiments that count as a negative comment (``CommentAnalysis.sentiment``
# holds positive, neutral, negative or mixed, a manager's correction included).
LOW_RATINGS: Final = tuple(
    (measure, getattr(Response, question), bar)
    for measure, (question, bar) in LOW_RATING_BARS.items()
)


Heap = list[tuple[float, int, ExampleComment]]


@dataclass(slots=True)
class _AgentCounts:
    team: str
    responses: dict[str, int] = field(default_factory=dict)
    hits: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    measures: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    answered: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    # category or measure -> heap of (confidence, -response id, example), the best kept
    examples: dict[str, Heap] = field(default_factory=lambda: defaultdict(list))
    measure_examples: dict[str, Heap] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True, slots=True)
class AgentInputs:
    current: list[AgentPeriod]
    previous: list[AgentPeriod]
    csat: list[AgentCsatCounts]
    responses: int
    comments: int
    agent_names: dict[str, str | None]
    # Categories found with target "agent" (the shipped ones and any a manager added).
    agent_categories: frozenset[str] = frozenset(COMPLAINT_CATEGORIES + PRAISE_CATEGORIES)


def _agent_comment_rows(
    session: Session, scope: Scope, first: dt.datetime, end: dt.datetime
) -> Iterator[Any]:
    columns = (Response.nps, Response.ces, Ticket.external_id)
    return _comment_stream(
        session,
        scope,
        first,
        end,
        (*columns, CommentAnalysis.sentiment, CommentAnalysis.findings),
        agent_required=True,
    )


def _keep(heap: Heap, example: ExampleComment, response_id: int, max_examples: int) -> None:
    item = (example.confidence, -response_id, example)
    if len(heap) < max_examples:
        heapq.heappush(heap, item)
    elif item[:2] > heap[0][:2]:
        heapq.heapreplace(heap, item)


def _worst_sentence(findings: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The finding that best shows what the customer disliked: the most confident
    negative one, else the most confident that is not positive."""
    for wanted in (("negative",), ("negative", "neutral", None)):
        picked = [f for f in findings if f.get("sentiment") in wanted and f.get("sentence")]
        if picked:
            return max(picked, key=lambda f: float(f.get("confidence") or 0.0))
    return None


def _count_periods(
    session: Session, scope: Scope, current: DayRange, previous: DayRange
) -> tuple[dict[str, dict[str, _AgentCounts]], int]:
    """Responses and low ratings (with the answers to each question) per agent,
    period and channel, counted in SQL; and the current period's responses."""
    periods: dict[str, dict[str, _AgentCounts]] = {"current": {}, "previous": {}}
    period = case((Response.submitted_at >= current.start, "current"), else_="previous")
    channel = func.coalesce(Response.channel, NO_CHANNEL)
    team = func.coalesce(Team.external_id, NO_TEAM)
    rating_columns = []
    for _name, column, bar in LOW_RATINGS:
        rating_columns += [func.count(column), func.sum(case((column <= bar, 1), else_=0))]
    counted = session.execute(
        select(period, Agent.external_id, team, channel, func.count(Response.id), *rating_columns)
        .join(Agent, Agent.id == Response.agent_id)
        .outerjoin(Team, Team.id == Response.team_id)
        .where(*_conditions(scope, previous.start, current.end))
        .group_by(period, Agent.external_id, team, channel)
    )
    responses = 0
    for name, agent, team_id, ch, n, *ratings in counted:
        record = periods[name].setdefault(agent, _AgentCounts(team_id))
        record.responses[ch] = record.responses.get(ch, 0) + int(n)
        for i, (measure, _column, _bar) in enumerate(LOW_RATINGS):
            answers, low = int(ratings[2 * i] or 0), int(ratings[2 * i + 1] or 0)
            if answers:
                record.answered[measure][ch] = record.answered[measure].get(ch, 0) + answers
                record.measures[measure][ch] = record.measures[measure].get(ch, 0) + low
        if name == "current":
            responses += int(n)
    return periods, responses


def _csat_answers(
    session: Session, scope: Scope, current: DayRange
) -> dict[tuple[str, str], tuple[int, int]]:
    """(CSAT answers, satisfied ones) per (agent, team) in the current period."""
    team = func.coalesce(Team.external_id, NO_TEAM)
    satisfied = case((Response.csat >= 4, 1), else_=0)
    csat_rows = session.execute(
        select(Agent.external_id, team, func.count(Response.csat), func.sum(satisfied))
        .join(Agent, Agent.id == Response.agent_id)
        .outerjoin(Team, Team.id == Response.team_id)
        .where(*_conditions(scope, current.start, current.end), Response.csat.is_not(None))
        .group_by(Agent.external_id, team)
    )
    return {(a, t): (int(n), int(s or 0)) for a, t, n, s in csat_rows}


def _example(response_id: int, ticket: Any, finding: Mapping[str, Any]) -> ExampleComment:
    return ExampleComment(
        comment_id=str(response_id),
        ticket_id=str(ticket),
        confidence=round(float(finding.get("confidence") or 0.0), 3),
        sentence=str(finding.get("sentence") or ""),
    )


@dataclass(slots=True)
class _CommentTally:
    """What the commented responses add: hits, negative comments, examples, blame."""

    periods: dict[str, dict[str, _AgentCounts]]
    current_start: dt.datetime
    max_examples: int
    comments: int = 0
    blamed: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    agent_categories: set[str] = field(
        default_factory=lambda: set(COMPLAINT_CATEGORIES) | set(PRAISE_CATEGORIES)
    )

    def add(self, row: Any) -> None:
        response_id, agent, team_id, ch, submitted, csat, nps, ces, ticket, sentiment, findings = (
            row
        )
        team_id = team_id or NO_TEAM
        key = ch or NO_CHANNEL
        in_current = submitted >= self.current_start
        findings = findings or []
        if in_current:
            self.comments += 1
            if csat is not None and csat <= 3:
                targets = [f.get("target") for f in findings if f.get("sentiment") != "positive"]
                self.blamed[(agent, team_id)][blame_of(t for t in targets if t)] += 1
        counts = self.periods["current" if in_current else "previous"].get(agent)
        if counts is None:
            return
        for category, finding in counted_findings(findings).items():
            if finding.get("target") == "agent":
                self.agent_categories.add(category)
            by_channel = counts.hits[category]
            by_channel[key] = by_channel.get(key, 0) + 1
            if in_current:
                example = _example(response_id, ticket, finding)
                _keep(counts.examples[category], example, int(response_id), self.max_examples)
        flagged = []
        if sentiment in NEGATIVE_SENTIMENTS:
            by_channel = counts.measures["negative_comments"]
            by_channel[key] = by_channel.get(key, 0) + 1
            flagged.append("negative_comments")
        flagged += low_ratings({"csat": csat, "nps": nps, "ces": ces})
        worst = _worst_sentence(findings) if in_current and flagged else None
        if worst is not None:
            example = _example(response_id, ticket, worst)
            for measure in flagged:
                heap = counts.measure_examples[measure]
                _keep(heap, example, int(response_id), self.max_examples)


def _best_first(heaps: dict[str, Heap]) -> dict[str, tuple[ExampleComment, ...]]:
    return {
        name: tuple(e for _c, _i, e in sorted(heap, key=lambda x: x[:2], reverse=True))
        for name, heap in heaps.items()
    }


def _as_periods(records: dict[str, _AgentCounts]) -> list[AgentPeriod]:
    return [
        AgentPeriod(
            agent_id=agent,
            team_id=r.team,
            responses=dict(r.responses),
            hits=dict(r.hits),
            examples=_best_first(r.examples),
            # Negative comments are counted for everyone (zero is a count).
            measures={"negative_comments": {}, **r.measures},
            answered=dict(r.answered),
            measure_examples=_best_first(r.measure_examples),
        )
        for agent, r in sorted(records.items())
    ]


def load_agent_inputs(
    session: Session,
    scope: Scope,
    current: DayRange,
    previous: DayRange,
    *,
    max_examples: int = 3,
) -> AgentInputs:
    """Per agent and period: responses by channel, hits by category and channel,
    negative comments and low ratings (with the answers to each question) by
    channel, the best examples; and the current period's CSAT answers split by
    blame.

    Every category whose finding names a target (agent, product or process) is
    counted: a complaint when the finding is not positive, praise (``praised``)
    when it is not negative; a response counts at most once per category.
    """
    periods, responses = _count_periods(session, scope, current, previous)
    csat_answers = _csat_answers(session, scope, current)
    tally = _CommentTally(periods, current.start, max_examples)
    for row in _agent_comment_rows(session, scope, previous.start, current.end):
        tally.add(row)
    csat = []
    for (agent, team_id), (answers, good) in sorted(csat_answers.items()):
        blame = tally.blamed.get((agent, team_id), {})
        csat.append(
            AgentCsatCounts(
                agent_id=agent,
                team_id=team_id,
                answers=answers,
                satisfied=good,
                unsatisfied_agent=blame.get("agent", 0),
                unsatisfied_product=blame.get("product", 0),
                unsatisfied_process=blame.get("process", 0),
            )
        )
    return AgentInputs(
        current=_as_periods(periods["current"]),
        previous=_as_periods(periods["previous"]),
        csat=csat,
        responses=responses,
        comments=tally.comments,
        agent_names=agent_names(session, sorted(periods["current"])),
        agent_categories=frozenset(tally.agent_categories),
    )


# --- themes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThemeInputs:
    comments: list[ThemeComment]
    baseline: ResponseBaseline
    week_starts: tuple[dt.date, ...]  # the real first day of each 7-day bucket
    anchor_weeks: tuple[dt.date, ...]  # the Monday each bucket was handed over as

    def real_week(self, anchor: dt.date) -> dt.date:
        return self.week_starts[(anchor - _ANCHOR_MONDAY).days // 7]


def load_theme_inputs(session: Session, scope: Scope, window: DayRange) -> ThemeInputs:
    """Theme sentences over ``window`` in 7-day weeks ending on its last day (the
    first one shorter when the window is not whole weeks; a run's always is) and
    the baseline of every response in it (contact share, CSAT of the rest)."""
    weeks = -(-window.days // 7)
    week_starts = tuple(
        max(window.first, window.last - dt.timedelta(days=7 * (weeks - k) - 1))
        for k in range(weeks)
    )
    anchors = tuple(_ANCHOR_MONDAY + dt.timedelta(days=7 * k) for k in range(weeks))
    hist_rows = session.execute(
        select(Response.csat, func.count(Response.id))
        .where(*_conditions(scope, window.start, window.end))
        .group_by(Response.csat)
    )
    histogram: dict[int, int] = {}
    responses = 0
    for value, n in hist_rows:
        responses += int(n)
        if value is not None:
            histogram[int(value)] = int(n)

    comments: list[ThemeComment] = []
    for row in _comment_rows(session, scope, window.start, window.end):
        response_id, agent, _team, _ch, submitted, csat, ticket, product, esc, reo, findings = row
        troubled = bool(esc) or bool(reo)
        bucket = weeks - 1 - (window.last - submitted.date()).days // 7
        for finding in findings or []:
            target = finding.get("target")
            if not is_theme_sentence(target, finding.get("sentiment"), troubled=troubled):
                continue
            sentence = str(finding.get("sentence") or "").strip()
            if not sentence:
                continue
            comments.append(
                ThemeComment(
                    comment_id=str(response_id),
                    ticket_id=str(ticket),
                    agent_id=agent or "",
                    product=product or "",
                    week=anchors[bucket],
                    csat=csat,
                    target=str(target),
                    category=str(finding.get("category") or "other"),
                    sentence=sentence,
                )
            )
    return ThemeInputs(
        comments=comments,
        baseline=ResponseBaseline(responses, histogram),
        week_starts=week_starts,
        anchor_weeks=anchors,
    )


def agent_names(session: Session, external_ids: Sequence[str]) -> dict[str, str | None]:
    if not external_ids:
        return {}
    rows = session.execute(
        select(Agent.external_id, Agent.name).where(Agent.external_id.in_(list(external_ids)))
    )
    return {external_id: name for external_id, name in rows}


def team_names(session: Session, external_ids: Sequence[str]) -> dict[str, str]:
    if not external_ids:
        return {}
    rows = session.execute(
        select(Team.external_id, Team.name).where(Team.external_id.in_(list(external_ids)))
    )
    return {external_id: name for external_id, name in rows}
