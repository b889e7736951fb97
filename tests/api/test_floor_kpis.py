"""The support floor's KPIs (issue 17 item 6) against an independent count.

Complaints per agent, the Pareto of agents and causes, the ticket KPIs per
period and the response rate by delivery and reminder: each figure is counted
here in plain Python from the rows the test created (tickets, invitations,
responses, comment findings), never through the reports' code.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback_service.analysis.models import CommentAnalysis, CommentFinding
from feedback_service.surveys.models import Response
from tests.api.test_reports import dirichlet_interval, get, in_range, num, parse_csv, wilson
from tests.apps import committed_for_module
from tests.integration.test_rollups import World, make_world, process, reloaded

MIN_N = 30
COMPLAINT_TARGETS = ("agent", "product", "process")
COMPLAINT_SENTIMENTS = ("negative", "mixed")
FINDINGS = [
    ("agent", "rude"),
    ("agent", "unhelpful"),
    ("agent", "praised"),
    ("product", "bug"),
    ("product", "missing-feature"),
    ("process", "wait-time"),
    ("process", "policy"),
    ("none", "other"),
    ("agent", None),
]
SENTIMENTS = ["negative", "negative", "mixed", "positive", "neutral"]


@pytest.fixture(scope="module")
def committed_floor(app: Flask) -> Iterator[World]:
    """Seeded once for the module's tests; each test's own writes are rolled back."""
    with committed_for_module(app, seed_floor) as world:
        yield world


@pytest.fixture
def floor(db_session: Session, committed_floor: World) -> World:
    return reloaded(db_session, committed_floor)


def seed_floor(db_session: Session) -> World:
    """The reports' world, with each answer's way, each invitation's delivery and
    reminder, and findings on the commented answers (complaints and not)."""
    rng = random.Random(17)
    world = make_world(db_session, rng, n_tickets=400, agent_skew={0: 0.6})
    for invitation in world.invitations:
        invitation.delivery = rng.choice(["email", "email", "link", "widget"])
        if invitation.sent_at is not None and rng.random() < 0.4:
            invitation.reminder_sent_at = invitation.sent_at + dt.timedelta(
                hours=rng.randint(2, 20)
            )
    for response in world.responses:
        response.source = rng.choice(["link", "page", "api"])
    db_session.flush()
    for response in world.responses:
        process(db_session, response)
        if response.comment and response.status == "confirmed":
            findings = [
                (*rng.choice(FINDINGS), rng.choice(SENTIMENTS)) for _ in range(rng.randint(1, 3))
            ]
            analyse(db_session, response, findings)
    return world


def analyse(session: Session, response: Response, findings: list[tuple[Any, ...]]) -> None:
    analysis = CommentAnalysis(
        response_id=response.id,
        model_version="test",
        language="en",
        supported=True,
        sentiment="negative",
        findings=[
            {"target": t, "category": c, "sentiment": s, "sentence": f"s{i}"}
            for i, (t, c, s) in enumerate(findings)
        ],
        key_phrases=[],
    )
    session.add(analysis)
    session.flush()
    for position, (target, category, sentiment) in enumerate(findings):
        session.add(
            CommentFinding(
                analysis_id=analysis.id,
                response_id=response.id,
                position=position,
                target=target,
                category=category,
                confidence=0.8,
                sentence=f"s{position}",
                sentiment=sentiment,
                corrected=False,
                agent_id=response.agent_id,
                team_id=response.team_id,
                ticket_id=response.ticket_id,
                submitted_at=response.submitted_at,
            )
        )
    session.flush()


@pytest.fixture
def headers(auth: Any) -> dict[str, str]:
    h: dict[str, str] = auth("reports")
    return h


# --- the independent count ------------------------------------------------------------


def dates(start: dt.date | None, end: dt.date | None) -> dict[str, str]:
    """The range as the reports' ``from`` and ``to`` (an open end left out)."""
    return {k: v.isoformat() for k, v in (("from", start), ("to", end)) if v}


def causes_of(session: Session, response: Response) -> set[tuple[str, str]]:
    """The complaint causes of one answer, read from its findings."""
    rows = session.query(CommentFinding).filter(CommentFinding.response_id == response.id)
    return {
        (f.target, f.category)
        for f in rows
        if f.target in COMPLAINT_TARGETS
        and f.category is not None
        and f.sentiment in COMPLAINT_SENTIMENTS
    }


def confirmed(world: World, start: dt.date | None = None, end: dt.date | None = None) -> list[Any]:
    return [
        r
        for r in world.responses
        if r.status == "confirmed" and in_range(r.submitted_at, start, end)
    ]


def expected_per_100(k: int, n: int) -> dict[str, Any]:
    if n == 0:
        return {"value": None, "count": 0, "n": 0}
    low, high = dirichlet_interval([n - k, k], [0.0, 100.0])
    return {"value": 100 * k / n, "count": k, "n": n, "low": low, "high": high}


def assert_per_100(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual["n"] == expected["n"]
    assert actual["count"] == expected["count"]
    assert actual["low_sample"] == (expected["n"] < MIN_N)
    if expected["value"] is None:
        assert actual["value"] is None and actual["interval"] is None
        return
    assert actual["value"] == pytest.approx(expected["value"])
    assert actual["interval"]["low"] == pytest.approx(expected["low"], abs=1e-6)
    assert actual["interval"]["high"] == pytest.approx(expected["high"], abs=1e-6)


def expected_complaints(
    session: Session, world: World, start: dt.date | None = None, end: dt.date | None = None
) -> dict[int, dict[str, dict[str, Any]]]:
    everyone = [r for r in world.responses if r.status == "confirmed"]
    complained_tickets = {r.ticket_id for r in everyone if causes_of(session, r)}
    out = {}
    for agent in world.agents:
        mine = [r for r in confirmed(world, start, end) if r.agent_id == agent.id]
        k = sum(1 for r in mine if causes_of(session, r))
        tickets = [
            t for t in world.tickets if t.agent_id == agent.id and in_range(t.closed_at, start, end)
        ]
        hit = sum(1 for t in tickets if t.id in complained_tickets)
        out[agent.id] = {
            "answered": expected_per_100(k, len(mine)),
            "tickets": expected_per_100(hit, len(tickets)),
        }
    return out


# --- complaints per agent ---------------------------------------------------------------


@pytest.mark.parametrize(
    "window", [(None, None), (dt.date(2026, 9, 10), dt.date(2026, 10, 12))], ids=["all", "range"]
)
def test_every_agent_has_complaints_per_answer_and_per_ticket(
    client: FlaskClient,
    floor: World,
    headers: dict[str, str],
    db_session: Session,
    window: tuple[dt.date | None, dt.date | None],
) -> None:
    start, end = window
    body = get(client, "/api/v1/reports/agents", headers, per_page=500, **dates(start, end)).json
    cards = {c["agent"]: c for c in body["items"]}
    expected = expected_complaints(db_session, floor, start, end)
    # Every agent with answers in the range has a card, and every card its complaints.
    answering = {r.agent_id for r in confirmed(floor, start, end)}
    assert {a.external_id for a in floor.agents if a.id in answering} == set(cards)
    assert sum(e["answered"]["count"] for e in expected.values()) > 20  # the test can fail
    for agent in (a for a in floor.agents if a.id in answering):
        figures = cards[agent.external_id]["complaints"]
        assert figures["count"] == expected[agent.id]["answered"]["count"]
        assert_per_100(figures["per_100_answered"], expected[agent.id]["answered"])
        assert_per_100(figures["per_100_tickets"], expected[agent.id]["tickets"])


def test_complaints_csv_rows_carry_the_json_numbers(
    client: FlaskClient, floor: World, headers: dict[str, str]
) -> None:
    cards = get(client, "/api/v1/reports/agents", headers, per_page=500).json["items"]
    rows = parse_csv(
        get(client, "/api/v1/reports/agents", headers, per_page=500, format="csv").data
    )
    by_key = {(r["agent"], r["metric"]): r for r in rows}
    for card in cards:
        figures = card["complaints"]
        assert num(by_key[(card["agent"], "complaints")]["value"]) == figures["count"]
        for name in ("per_100_answered", "per_100_tickets"):
            row, share = by_key[(card["agent"], f"complaints_{name}")], figures[name]
            assert num(row["value"]) == pytest.approx(share["value"])
            assert int(row["n"]) == share["n"]
            assert num(row["low"]) == pytest.approx(share["interval"]["low"])
            assert num(row["high"]) == pytest.approx(share["interval"]["high"])


def test_a_filter_narrows_the_complaints_to_its_answers_and_tickets(
    client: FlaskClient, floor: World, headers: dict[str, str], db_session: Session
) -> None:
    team = floor.teams[1]
    body = get(client, "/api/v1/reports/agents", headers, per_page=500, team=team.external_id).json
    members = [a for a in floor.agents if a.team_id == team.id]
    assert {c["agent"] for c in body["items"]} == {a.external_id for a in members}
    expected = expected_complaints(db_session, floor)
    for card in body["items"]:
        agent = next(a for a in members if a.external_id == card["agent"])
        assert card["complaints"]["count"] == expected[agent.id]["answered"]["count"]

    # A channel: the answers and the tickets of that channel only.
    body = get(client, "/api/v1/reports/agents", headers, per_page=500, channel="chat").json
    for card in body["items"]:
        agent = next(a for a in floor.agents if a.external_id == card["agent"])
        mine = [r for r in confirmed(floor) if r.agent_id == agent.id and r.channel == "chat"]
        complaints = [r for r in mine if causes_of(db_session, r)]
        tickets = [t for t in floor.tickets if t.agent_id == agent.id and t.channel == "chat"]
        hit = {r.ticket_id for r in complaints}
        figures = card["complaints"]
        assert figures["count"] == len(complaints)
        assert_per_100(figures["per_100_answered"], expected_per_100(len(complaints), len(mine)))
        assert_per_100(
            figures["per_100_tickets"],
            expected_per_100(sum(1 for t in tickets if t.id in hit), len(tickets)),
        )


# --- the Pareto -------------------------------------------------------------------------


def expected_pareto(counts: Counter[Any]) -> list[tuple[Any, int, float, bool]]:
    """(key, count, cumulative %, vital) most first; vital while the items before
    it hold less than 80% of the total."""
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda kc: (-kc[1], str(kc[0])))
    out, running = [], 0
    for key, count in ordered:
        vital = 100 * running / total < 80
        running += count
        out.append((key, count, 100 * running / total, vital))
    return out


def test_pareto_names_the_few_agents_and_causes_behind_80_percent(
    client: FlaskClient, floor: World, headers: dict[str, str], db_session: Session
) -> None:
    start, end = dt.date(2026, 9, 5), dt.date(2026, 10, 20)
    body = get(
        client,
        "/api/v1/reports/pareto",
        headers,
        **{"from": start.isoformat(), "to": end.isoformat()},
    ).json
    rows = confirmed(floor, start, end)
    ext = {a.id: a.external_id for a in floor.agents}
    by_agent: Counter[str] = Counter()
    by_cause: Counter[tuple[str, str]] = Counter()
    for r in rows:
        causes = causes_of(db_session, r)
        if causes:
            by_agent[ext[r.agent_id]] += 1
            by_cause.update(causes)
    assert body["threshold"] == 80
    assert body["complaints"] == sum(by_agent.values())
    agents = expected_pareto(by_agent)
    assert [(a["agent"], a["complaints"], a["vital"]) for a in body["agents"]] == [
        (k, c, v) for k, c, _, v in agents
    ]
    for actual, (_, count, cumulative, _) in zip(body["agents"], agents, strict=True):
        assert actual["share"] == pytest.approx(100 * count / sum(by_agent.values()))
        assert actual["cumulative_share"] == pytest.approx(cumulative)
    causes = expected_pareto(by_cause)
    assert [
        ((c["target"], c["category"]), c["complaints"], c["vital"]) for c in body["categories"]
    ] == [(k, c, v) for k, c, _, v in causes]
    assert 0 < sum(1 for c in body["categories"] if c["vital"]) < len(causes)

    csv_rows = parse_csv(
        get(
            client,
            "/api/v1/reports/pareto",
            headers,
            format="csv",
            **{"from": start.isoformat(), "to": end.isoformat()},
        ).data
    )
    assert [r["agent"] for r in csv_rows if r["dimension"] == "agent"] == [k for k, *_ in agents]
    assert [int(r["complaints"]) for r in csv_rows if r["dimension"] == "category"] == [
        c for _, c, *_ in causes
    ]


def test_pareto_filters_by_agent_and_refuses_an_unknown_one(
    client: FlaskClient, floor: World, headers: dict[str, str], db_session: Session
) -> None:
    agent = floor.agents[0]
    body = get(client, "/api/v1/reports/pareto", headers, agent=agent.external_id).json
    mine = [r for r in confirmed(floor) if r.agent_id == agent.id and causes_of(db_session, r)]
    assert body["complaints"] == len(mine)
    assert [a["agent"] for a in body["agents"]] == [agent.external_id]
    answer = client.get("/api/v1/reports/pareto?agent=nobody", headers=headers)
    assert answer.status_code == 422
    assert "agent" in answer.json["error"]["fields"]


# --- ticket KPIs per period -------------------------------------------------------------


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@pytest.mark.parametrize(
    ("interval", "start", "end"),
    [("week", None, None), ("day", dt.date(2026, 9, 14), dt.date(2026, 9, 27))],
)
def test_operations_trend_matches_the_tickets(
    client: FlaskClient,
    floor: World,
    headers: dict[str, str],
    interval: str,
    start: dt.date | None,
    end: dt.date | None,
) -> None:
    body = get(
        client,
        "/api/v1/reports/trends",
        headers,
        metric="operations",
        interval=interval,
        **dates(start, end),
    ).json
    assert body["metric"] == "operations" and body["interval"] == interval
    groups: dict[str, list[Any]] = defaultdict(list)
    for t in floor.tickets:
        if in_range(t.closed_at, start, end):
            day = t.closed_at.astimezone(dt.UTC).date()
            groups[(monday(day) if interval == "week" else day).isoformat()].append(t)
    items = {i["period"]: i for i in body["items"]}
    assert set(groups) <= set(items)
    assert all(items[p]["tickets"] == 0 for p in set(items) - set(groups))
    if interval == "day":
        assert len(items) == 14
    for period, tickets in groups.items():
        item = items[period]
        assert item["tickets"] == len(tickets)
        firsts = [
            (t.first_response_at - t.opened_at).total_seconds()
            for t in tickets
            if t.first_response_at
        ]
        resolutions = [(t.resolved_at - t.opened_at).total_seconds() for t in tickets]
        for key, values in (
            ("first_response_seconds", firsts),
            ("resolution_seconds", resolutions),
        ):
            assert item[key]["n"] == len(values)
            assert item[key]["median"] == pytest.approx(np.percentile(values, 50))
            assert item[key]["p90"] == pytest.approx(np.percentile(values, 90))
        esc = [t.escalated for t in tickets if t.escalated is not None]
        assert item["escalation_rate"]["n"] == len(esc)
        if esc:
            assert item["escalation_rate"]["value"] == pytest.approx(100 * sum(esc) / len(esc))
            low, high = wilson(sum(esc), len(esc))
            assert item["escalation_rate"]["interval"]["low"] == pytest.approx(low)
            assert item["escalation_rate"]["interval"]["high"] == pytest.approx(high)
        reo = [t.reopened for t in tickets]
        assert item["reopen_rate"]["value"] == pytest.approx(100 * sum(reo) / len(reo))


def test_operations_trend_by_team_and_as_csv(
    client: FlaskClient, floor: World, headers: dict[str, str]
) -> None:
    team = floor.teams[0]
    query = {"metric": "operations", "team": team.external_id}
    body = get(client, "/api/v1/reports/trends", headers, **query).json
    weekly = Counter(
        monday(t.closed_at.astimezone(dt.UTC).date()).isoformat()
        for t in floor.tickets
        if t.team_id == team.id
    )
    assert {i["period"]: i["tickets"] for i in body["items"] if i["tickets"]} == dict(weekly)
    rows = parse_csv(get(client, "/api/v1/reports/trends", headers, format="csv", **query).data)
    assert [r["period"] for r in rows] == [i["period"] for i in body["items"]]
    for row, item in zip(rows, body["items"], strict=True):
        assert int(row["tickets"]) == item["tickets"]
        assert num(row["resolution_p90_seconds"]) == pytest.approx(
            item["resolution_seconds"]["p90"]
        )
        assert num(row["reopen_rate"]) == pytest.approx(item["reopen_rate"]["value"])
    # A filter the duration rollups do not carry (channel) gives the same figures.
    body = get(client, "/api/v1/reports/trends", headers, metric="operations", channel="chat").json
    for item in body["items"]:
        week = dt.date.fromisoformat(item["period"])
        tickets = [
            t
            for t in floor.tickets
            if t.channel == "chat" and monday(t.closed_at.astimezone(dt.UTC).date()) == week
        ]
        assert item["tickets"] == len(tickets)
        if tickets:
            resolutions = [(t.resolved_at - t.opened_at).total_seconds() for t in tickets]
            spread = item["resolution_seconds"]
            assert spread["median"] == pytest.approx(np.percentile(resolutions, 50))
            assert spread["p90"] == pytest.approx(np.percentile(resolutions, 90))
    answer = client.get("/api/v1/reports/trends?metric=tickets", headers=headers)
    assert answer.status_code == 422 and "metric" in answer.json["error"]["fields"]


# --- response rate by delivery and reminder ---------------------------------------------


def test_response_rate_by_delivery_reminder_and_way(
    client: FlaskClient, floor: World, headers: dict[str, str]
) -> None:
    start, end = dt.date(2026, 9, 8), dt.date(2026, 10, 25)
    query = {"from": start.isoformat(), "to": end.isoformat()}
    body = get(client, "/api/v1/reports/response-rates", headers, **query).json
    answer_of = {r.invitation_id: r for r in floor.responses if r.status == "confirmed"}
    sent = [i for i in floor.invitations if in_range(i.sent_at, start, end)]
    answered = [i for i in sent if i.id in answer_of]
    assert (body["sent"], body["answered"]) == (len(sent), len(answered))
    for split in body["by_delivery"]:
        mine = [i for i in sent if i.delivery == split["delivery"]]
        hits = sum(1 for i in mine if i.id in answer_of)
        assert split["sent"] == len(mine) > 0
        assert split["response_rate"]["value"] == pytest.approx(100 * hits / len(mine))
        assert split["response_rate"]["interval"]["high"] == pytest.approx(
            wilson(hits, len(mine))[1]
        )
    assert [d["delivery"] for d in body["by_delivery"]] == ["email", "link", "widget"]

    reminded = [i for i in sent if i.reminder_sent_at is not None]
    after = [
        i
        for i in reminded
        if i.id in answer_of and answer_of[i.id].submitted_at >= i.reminder_sent_at
    ]
    before = [i for i in answered if i not in after]
    split = body["by_reminder"]
    assert split["reminded"] == len(reminded)
    assert split["answered_after_reminder"]["value"] == pytest.approx(
        100 * len(after) / len(reminded)
    )
    assert split["answered_before_reminder"]["value"] == pytest.approx(
        100 * len(before) / len(sent)
    )
    assert 0 < len(after) < len(answered)

    names = {"link": "email_button", "page": "page", "api": "widget"}
    ways = Counter(names[answer_of[i.id].source] for i in answered)
    assert {w["way"]: w["share"]["count"] for w in body["answered_via"]} == dict(ways)
    for w in body["answered_via"]:
        assert w["share"]["value"] == pytest.approx(100 * ways[w["way"]] / len(answered))

    rows = {
        r["figure"]: r
        for r in parse_csv(
            get(client, "/api/v1/reports/response-rates", headers, format="csv", **query).data
        )
    }
    assert num(rows["response_rate_link"]["value"]) == pytest.approx(
        body["by_delivery"][1]["response_rate"]["value"]
    )
    assert num(rows["answered_after_reminder"]["value"]) == pytest.approx(
        split["answered_after_reminder"]["value"]
    )
    assert num(rows["answered_via_widget"]["value"]) == pytest.approx(
        100 * ways["widget"] / len(answered)
    )
