"""Reports API: every figure against an independent computation from the raw rows.

The expected values are computed here with plain Python (and numpy/scipy for
percentiles and t quantiles) straight from the responses, tickets and invitations
tables, never through the rollups or the scoring module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from scipy.stats import beta as beta_dist
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.helpdesk.models import Agent, Team, Ticket
from feedback_service.scores import drivers
from feedback_service.scores import service as reports
from feedback_service.surveys.models import Invitation, Response, Survey
from tests.apps import committed_for_module
from tests.integration.test_rollups import World, make_world, process, reloaded

Z = 1.959963984540054
MIN_N = 30


# --- independent reference arithmetic ------------------------------------------------


def wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def expected_score(metric: str, values: list[int]) -> dict[str, Any]:
    n = len(values)
    if n == 0:
        return {"value": None, "n": 0}
    if metric == "csat":
        top = sum(1 for v in values if v >= 4)
        return {"value": 100 * top / n, "n": n, "interval": wilson(top, n), "mean": sum(values) / n}
    if metric == "fcr":
        yes = sum(values)
        return {"value": 100 * yes / n, "n": n, "interval": wilson(yes, n)}
    if metric == "nps":
        pro = sum(1 for v in values if v >= 9)
        det = sum(1 for v in values if v <= 6)
        return {
            "value": 100 * (pro - det) / n,
            "n": n,
            "interval": dirichlet_interval([det, n - pro - det, pro], [-100.0, 0.0, 100.0]),
        }
    mean = float(np.mean(values))
    counts = [values.count(v) for v in range(1, 8)]
    return {"value": mean, "n": n, "interval": dirichlet_interval(counts, list(range(1, 8)))}


def dirichlet_interval(counts: list[int], points: list[float]) -> tuple[float, float]:
    """The documented interval for a mean on a scale (README, "How the intervals are
    computed"), written out again: a Dirichlet posterior with one prior answer
    spread over the points, a Beta on the scale matched to the posterior mean's
    mean and variance, widened to reach the observed mean."""
    alpha = [c + 1.0 / len(points) for c in counts]
    total = sum(alpha)
    mean = sum(a * v for a, v in zip(alpha, points, strict=True)) / total
    second = sum(a * v * v for a, v in zip(alpha, points, strict=True)) / total
    variance = (second - mean * mean) / (total + 1)
    lo, hi = min(points), max(points)
    u, s2 = (mean - lo) / (hi - lo), variance / (hi - lo) ** 2
    k = u * (1 - u) / s2 - 1
    low = lo + (hi - lo) * float(beta_dist.ppf(0.025, u * k, (1 - u) * k))
    high = lo + (hi - lo) * float(beta_dist.ppf(0.975, u * k, (1 - u) * k))
    observed = sum(c * v for c, v in zip(counts, points, strict=True)) / sum(counts)
    return min(low, observed), max(high, observed)


def assert_score(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual["n"] == expected["n"]
    if expected["n"] == 0:
        assert actual["value"] is None
        return
    assert actual["value"] == pytest.approx(expected["value"])
    assert actual["low_sample"] == (expected["n"] < MIN_N)
    if expected.get("interval") is not None:
        assert actual["interval"]["low"] == pytest.approx(expected["interval"][0])
        assert actual["interval"]["high"] == pytest.approx(expected["interval"][1])
    if "mean" in expected:
        assert actual["mean"] == pytest.approx(expected["mean"])


def in_range(moment: dt.datetime | None, start: dt.date | None, end: dt.date | None) -> bool:
    if moment is None:
        return False
    day = moment.astimezone(dt.UTC).date()
    return (start is None or day >= start) and (end is None or day <= end)


def raw_responses(session: Session, **f: Any) -> list[Response]:
    rows = [
        r
        for r in session.scalars(select(Response))
        if r.status == "confirmed" and in_range(r.submitted_at, f.get("start"), f.get("end"))
    ]
    for key in ("agent_id", "team_id", "channel", "survey_id"):
        if f.get(key) is not None:
            rows = [r for r in rows if getattr(r, key) == f[key]]
    return rows


def parse_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode())))


def num(text: str) -> float | None:
    return None if text == "" else float(text)


# --- fixtures ----------------------------------------------------------------------


def seed_world(session: Session) -> World:
    """Two teams' tickets and answers over 60 days, the rollups applied."""
    built = make_world(session, random.Random(42), n_tickets=400, agent_skew={0: 0.6})
    for response in built.responses:
        process(session, response)
    return built


@pytest.fixture(scope="module")
def committed_world(app: Flask) -> Iterator[World]:
    """Seeded once for the module's tests; each test's own writes are rolled back.
    Tests that need the database to hold only their own rows are in
    test_reports_own_world."""
    with committed_for_module(app, seed_world) as built:
        yield built


@pytest.fixture
def world(db_session: Session, committed_world: World) -> World:
    return reloaded(db_session, committed_world)


@pytest.fixture
def headers(auth: Any) -> dict[str, str]:
    h: dict[str, str] = auth("reports")
    return h


def get(client: FlaskClient, path: str, headers: dict[str, str], **query: Any) -> Any:
    answer = client.get(path, query_string=query, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer


# --- summary -----------------------------------------------------------------------


def expected_ops(session: Session, **f: Any) -> list[Ticket]:
    tickets = [
        t
        for t in session.scalars(select(Ticket))
        if in_range(t.closed_at, f.get("start"), f.get("end"))
    ]
    for key in ("agent_id", "team_id", "channel"):
        if f.get(key) is not None:
            tickets = [t for t in tickets if getattr(t, key) == f[key]]
    return tickets


@pytest.mark.parametrize(
    "window",
    [
        (None, None),
        (dt.date(2026, 9, 10), dt.date(2026, 10, 5)),
        (dt.date(2026, 9, 10), dt.date(2026, 10, 31)),
        (dt.date(2026, 9, 1), dt.date(2026, 10, 13)),
        (None, dt.date(2026, 10, 2)),
        (dt.date(2026, 9, 29), None),
    ],
    ids=["all", "no-whole-month", "head-and-month", "month-and-tail", "open-start", "open-end"],
)
def test_summary_matches_the_raw_rows(
    client: FlaskClient,
    world: World,
    headers: dict[str, str],
    db_session: Session,
    window: tuple[dt.date | None, dt.date | None],
) -> None:
    start, end = window
    query = {k: v.isoformat() for k, v in (("from", start), ("to", end)) if v}
    body = get(client, "/api/v1/reports/summary", headers, **query).json
    rows = raw_responses(db_session, start=start, end=end)
    for metric in ("csat", "nps", "ces", "fcr"):
        values = [getattr(r, metric) for r in rows if getattr(r, metric) is not None]
        assert_score(body["metrics"][metric], expected_score(metric, values))
    assert body["responses"] == len(rows)
    sent = [i for i in db_session.scalars(select(Invitation)) if in_range(i.sent_at, start, end)]
    assert body["invitations_sent"] == len(sent)
    assert body["response_rate"]["value"] == pytest.approx(100 * len(rows) / len(sent))
    commented = sum(1 for r in rows if r.comment)
    assert body["comment_rate"]["value"] == pytest.approx(100 * commented / len(rows))

    tickets = expected_ops(db_session, start=start, end=end)
    ops = body["operations"]
    assert ops["tickets"] == len(tickets)
    firsts = [
        (t.first_response_at - t.opened_at).total_seconds()
        for t in tickets
        if t.first_response_at and t.opened_at
    ]
    resolutions = [(t.resolved_at - t.opened_at).total_seconds() for t in tickets]
    assert ops["first_response_seconds"]["n"] == len(firsts)
    assert ops["first_response_seconds"]["median"] == pytest.approx(np.percentile(firsts, 50))
    assert ops["first_response_seconds"]["p90"] == pytest.approx(np.percentile(firsts, 90))
    assert ops["resolution_seconds"]["median"] == pytest.approx(np.percentile(resolutions, 50))
    assert ops["resolution_seconds"]["p90"] == pytest.approx(np.percentile(resolutions, 90))
    esc = [t.escalated for t in tickets if t.escalated is not None]
    assert ops["escalation_rate"]["value"] == pytest.approx(100 * sum(esc) / len(esc))
    reo = [t.reopened for t in tickets if t.reopened is not None]
    assert ops["reopen_rate"]["value"] == pytest.approx(100 * sum(reo) / len(reo))
    known = [t for t in tickets if t.contacts is not None]
    op_fcr = sum(1 for t in known if t.contacts <= 1 and not t.reopened)
    assert ops["operational_fcr"]["value"] == pytest.approx(100 * op_fcr / len(known))
    assert ops["operational_fcr"]["interval"]["low"] == pytest.approx(wilson(op_fcr, len(known))[0])


def test_summary_filters_by_team_agent_channel_and_survey(
    client: FlaskClient, world: World, headers: dict[str, str], db_session: Session
) -> None:
    post_ticket = db_session.scalars(select(Survey).where(Survey.key == "post-ticket")).one()
    cases = [
        ({"team": world.teams[1].external_id}, {"team_id": world.teams[1].id}),
        ({"agent": world.agents[2].external_id}, {"agent_id": world.agents[2].id}),
        ({"channel": "chat"}, {"channel": "chat"}),
        ({"survey": "post-ticket"}, {"survey_id": post_ticket.id}),
        (
            {"agent": world.agents[0].external_id, "channel": "email", "from": "2026-09-20"},
            {"agent_id": world.agents[0].id, "channel": "email", "start": dt.date(2026, 9, 20)},
        ),
    ]
    for query, raw_filter in cases:
        body = get(client, "/api/v1/reports/summary", headers, **query).json
        rows = raw_responses(db_session, **raw_filter)
        assert body["responses"] == len(rows), query
        for metric in ("csat", "nps", "ces", "fcr"):
            values = [getattr(r, metric) for r in rows if getattr(r, metric) is not None]
            assert_score(body["metrics"][metric], expected_score(metric, values))
        if "survey" not in query:
            tickets = expected_ops(db_session, **raw_filter)
            assert body["operations"]["tickets"] == len(tickets), query


def test_summary_csv_has_the_json_numbers(
    client: FlaskClient, world: World, headers: dict[str, str]
) -> None:
    body = get(client, "/api/v1/reports/summary", headers, team=world.teams[0].external_id).json
    answer = get(
        client, "/api/v1/reports/summary", headers, team=world.teams[0].external_id, format="csv"
    )
    assert answer.mimetype == "text/csv"
    rows = {r["figure"]: r for r in parse_csv(answer.data)}
    for metric in ("csat", "nps", "ces", "fcr"):
        assert num(rows[metric]["value"]) == pytest.approx(body["metrics"][metric]["value"])
        assert int(rows[metric]["n"]) == body["metrics"][metric]["n"]
        assert num(rows[metric]["low"]) == pytest.approx(body["metrics"][metric]["interval"]["low"])
    assert num(rows["response_rate"]["value"]) == pytest.approx(body["response_rate"]["value"])
    ops = body["operations"]
    assert num(rows["tickets"]["value"]) == ops["tickets"]
    assert num(rows["resolution_seconds_p90"]["value"]) == pytest.approx(
        ops["resolution_seconds"]["p90"]
    )
    assert num(rows["operational_fcr"]["value"]) == pytest.approx(ops["operational_fcr"]["value"])


# --- agents ------------------------------------------------------------------------


def test_scorecards_match_the_raw_rows_and_rank_only_solid_samples(
    client: FlaskClient, world: World, headers: dict[str, str], db_session: Session
) -> None:
    body = get(client, "/api/v1/reports/agents", headers, per_page=500).json
    assert body["total"] == len(world.agents) and body["page"] == 1
    by_agent = {card["agent"]: card for card in body["items"]}
    for agent in world.agents:
        card = by_agent[agent.external_id]
        rows = raw_responses(db_session, agent_id=agent.id)
        assert card["responses"] == len(rows)
        for metric in ("csat", "nps", "ces", "fcr"):
            values = [getattr(r, metric) for r in rows if getattr(r, metric) is not None]
            entry = card["metrics"][metric]
            assert_score(entry, expected_score(metric, values))
            if len(values) < MIN_N:
                assert entry["rank"] is None
            else:
                assert entry["rank"] is not None
    # Ranks follow the shrunk estimates among the ranked agents.
    ranked = sorted(
        (c["metrics"]["csat"] for c in body["items"] if c["metrics"]["csat"]["rank"]),
        key=lambda m: m["rank"],
    )
    estimates = [m["shrunk"]["estimate"] for m in ranked]
    assert estimates == sorted(estimates, reverse=True)


def test_scorecards_paginate_and_csv_pages_have_the_json_numbers(
    client: FlaskClient, world: World, headers: dict[str, str]
) -> None:
    first = get(client, "/api/v1/reports/agents", headers, per_page=3).json
    second = get(client, "/api/v1/reports/agents", headers, per_page=3, page=3).json
    assert (first["total"], first["per_page"], len(first["items"])) == (7, 3, 3)
    assert len(second["items"]) == 1
    answer = get(client, "/api/v1/reports/agents", headers, per_page=3, format="csv")
    rows = parse_csv(answer.data)
    # Four metrics and three complaint figures per card (the complaint rows are
    # checked in test_floor_kpis.py).
    assert len(rows) == 3 * (4 + 3)
    for row in rows:
        if row["metric"].startswith("complaints"):
            continue
        card = next(c for c in first["items"] if c["agent"] == row["agent"])
        entry = card["metrics"][row["metric"]]
        assert num(row["value"]) == pytest.approx(entry["value"])
        assert int(row["n"]) == entry["n"]
        assert num(row["shrunk"]) == pytest.approx(
            entry["shrunk"]["estimate"] if entry["shrunk"] else None
        )
        assert (row["rank"] or None) == (str(entry["rank"]) if entry["rank"] else None)


def test_targets_most_specific_wins_and_scorecards_show_the_gap(
    client: FlaskClient, world: World, headers: dict[str, str], auth: Any
) -> None:
    admin = auth("admin")
    team0, agent0, agent1 = world.teams[0], world.agents[0], world.agents[1]
    put = client.put(
        "/api/v1/targets",
        json={
            "items": [
                {"metric": "csat", "value": 80},
                {"metric": "csat", "team": team0.external_id, "value": 85},
                {"metric": "csat", "agent": agent0.external_id, "value": 90},
                {"metric": "ces", "value": 5.5},
            ]
        },
        headers=admin,
    )
    assert put.status_code == 200, put.json
    assert len(client.get("/api/v1/targets", headers=admin).json["items"]) == 4
    cards = {
        c["agent"]: c
        for c in get(client, "/api/v1/reports/agents", headers, per_page=500).json["items"]
    }
    # agent0 is in team0 (its own target), agent1 in team1 (everyone's), agent2 in team0.
    expected = {agent0: 90, agent1: 80, world.agents[2]: 85}
    for agent, target in expected.items():
        entry = cards[agent.external_id]["metrics"]["csat"]
        assert entry["target"] == target
        assert entry["gap"] == pytest.approx(entry["value"] - target)
    ces = cards[agent1.external_id]["metrics"]["ces"]
    assert ces["target"] == 5.5 and ces["gap"] == pytest.approx(ces["value"] - 5.5)
    assert cards[agent1.external_id]["metrics"]["nps"]["target"] is None

    bad = client.put(
        "/api/v1/targets",
        json={
            "items": [
                {"metric": "csat", "value": 120},
                {"metric": "nps", "agent": "nobody", "value": 1},
            ]
        },
        headers=admin,
    )
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"items.0.value", "items.1.agent"}
    assert len(client.get("/api/v1/targets", headers=admin).json["items"]) == 4
    # A reporting tool's key reads the targets beside the reports; it cannot change them.
    read = client.get("/api/v1/targets", headers=headers)
    assert read.status_code == 200 and len(read.json["items"]) == 4
    assert client.get("/api/v1/targets", headers=auth("ingest")).status_code == 403
    assert client.put("/api/v1/targets", json={"items": []}, headers=headers).status_code == 403
    assert client.put("/api/v1/targets", json={"items": []}, headers=admin).status_code == 200
    assert client.get("/api/v1/targets", headers=admin).json["items"] == []


# --- one agent ---------------------------------------------------------------------


def test_agent_report_has_weekly_trend_and_paginated_comments(
    client: FlaskClient, world: World, headers: dict[str, str], db_session: Session
) -> None:
    agent = world.agents[1]
    body = get(client, f"/api/v1/reports/agents/{agent.external_id}", headers, per_page=5).json
    rows = raw_responses(db_session, agent_id=agent.id)
    assert body["scorecard"]["agent"] == agent.external_id
    assert body["scorecard"]["responses"] == len(rows)
    # The same card, shrinkage and rank among peers included, as in the agents table.
    table = get(client, "/api/v1/reports/agents", headers, per_page=100).json["items"]
    assert body["scorecard"] == next(c for c in table if c["agent"] == agent.external_id)
    weekly: dict[dt.date, list[int]] = defaultdict(list)
    for r in rows:
        if r.csat is not None:
            day = r.submitted_at.date()
            weekly[day - dt.timedelta(days=day.weekday())].append(r.csat)
    by_week = {dt.date.fromisoformat(p["period"]): p for p in body["trend"]}
    for week, values in weekly.items():
        assert_score(by_week[week]["csat"], expected_score("csat", values))
    assert sum(p["csat"]["n"] for p in body["trend"]) == sum(len(v) for v in weekly.values())
    commented = sorted(
        (r for r in rows if r.comment), key=lambda r: (r.submitted_at, r.id), reverse=True
    )
    assert body["comments"]["total"] == len(commented)
    assert [c["response_id"] for c in body["comments"]["items"]] == [r.id for r in commented[:5]]
    answer = get(
        client, f"/api/v1/reports/agents/{agent.external_id}", headers, per_page=5, format="csv"
    )
    assert [int(r["response_id"]) for r in parse_csv(answer.data)] == [r.id for r in commented[:5]]
    missing = client.get("/api/v1/reports/agents/no-such-agent", headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


# --- trends ------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["csat", "nps", "ces", "fcr"])
def test_trend_series_and_control_limits_match_the_raw_rows(
    client: FlaskClient,
    world: World,
    headers: dict[str, str],
    db_session: Session,
    metric: str,
) -> None:
    body = get(client, "/api/v1/reports/trends", headers, metric=metric, interval="week").json
    good = {"csat": {4, 5}, "nps": {9, 10}, "ces": {5, 6, 7}, "fcr": {1}}[metric]
    weekly: dict[dt.date, list[int]] = defaultdict(list)
    for r in raw_responses(db_session):
        value = getattr(r, metric)
        if value is not None:
            day = r.submitted_at.date()
            weekly[day - dt.timedelta(days=day.weekday())].append(value)
    items = body["items"]
    assert [dt.date.fromisoformat(i["period"]) for i in items] == sorted(weekly)
    base_x = base_n = periods = 0
    for item in items:
        values = weekly[dt.date.fromisoformat(item["period"])]
        assert_score(item, expected_score(metric, values))
        x, n = sum(1 for v in values if v in good), len(values)
        assert item["good_pct"] == pytest.approx(100 * x / n)
        if periods >= 3:
            centre = base_x / base_n
            sigma = math.sqrt(centre * (1 - centre) / n)
            low, high = max(0, centre - 3 * sigma), min(1, centre + 3 * sigma)
            assert item["centre_pct"] == pytest.approx(100 * centre)
            assert item["out_of_control"] == (not low <= x / n <= high)
        else:
            assert item["centre_pct"] is None and item["out_of_control"] is False
        base_x, base_n, periods = base_x + x, base_n + n, periods + 1
    answer = get(
        client, "/api/v1/reports/trends", headers, metric=metric, interval="week", format="csv"
    )
    rows = parse_csv(answer.data)
    assert [r["period"] for r in rows] == [i["period"] for i in items]
    for row, item in zip(rows, items, strict=True):
        assert num(row["value"]) == pytest.approx(item["value"])
        assert int(row["n"]) == item["n"]
        assert row["out_of_control"] == str(item["out_of_control"])


def test_month_and_day_intervals_add_up(
    client: FlaskClient, world: World, headers: dict[str, str], db_session: Session
) -> None:
    total = len([r for r in raw_responses(db_session) if r.nps is not None])
    for interval in ("day", "month"):
        items = get(
            client, "/api/v1/reports/trends", headers, metric="nps", interval=interval
        ).json["items"]
        assert sum(i["n"] for i in items) == total
    months = get(client, "/api/v1/reports/trends", headers, metric="nps", interval="month").json
    assert [i["period"][-2:] for i in months["items"]] == ["01"] * len(months["items"])


# --- drivers -----------------------------------------------------------------------


def test_drivers_differences_and_fcr_gap_match_the_raw_rows(
    client: FlaskClient, world: World, headers: dict[str, str], db_session: Session
) -> None:
    body = get(client, "/api/v1/reports/drivers", headers).json
    tickets = {t.id: t for t in db_session.scalars(select(Ticket))}
    rows = [r for r in raw_responses(db_session) if r.csat is not None]
    assert body["sample"]["responses"] == len(rows)

    def top2(sample: list[Response]) -> float:
        return 100 * sum(1 for r in sample if r.csat >= 4) / len(sample)

    escalated = [r for r in rows if tickets[r.ticket_id].escalated]
    others = [r for r in rows if not tickets[r.ticket_id].escalated]
    diff = next(d for d in body["differences"] if d["factor"] == "escalated")
    assert diff["n_level"] == len(escalated)
    assert diff["top2_difference"] == pytest.approx(top2(escalated) - top2(others))
    chat = next(d for d in body["differences"] if d["factor"] == "channel" and d["level"] == "chat")
    in_chat = [r for r in rows if tickets[r.ticket_id].channel == "chat"]
    assert chat["top2_level"] == pytest.approx(top2(in_chat))

    logistic = body["logistic"]
    assert logistic["n"] == len(rows)
    assert logistic["dissatisfied"] == sum(1 for r in rows if r.csat <= 3)
    factors = {c["factor"] for c in logistic["coefficients"]}
    assert {"resolution_hours", "first_response_hours", "escalated", "reopened"} <= factors
    for c in logistic["coefficients"]:
        assert c["odds_ratio_per_sd"] == pytest.approx(math.exp(c["coefficient"]))

    agents = {a.id: a.external_id for a in db_session.scalars(select(Agent))}
    for gap in body["fcr_gap"]:
        agent_id = next(k for k, v in agents.items() if v == gap["agent"])
        answered = [
            r
            for r in raw_responses(db_session, agent_id=agent_id)
            if r.fcr is not None and tickets[r.ticket_id].contacts is not None
        ]
        desk = [
            r
            for r in answered
            if tickets[r.ticket_id].contacts <= 1 and not tickets[r.ticket_id].reopened
        ]
        assert gap["answered"] == len(answered)
        assert gap["customer_fcr"] == pytest.approx(
            100 * sum(r.fcr for r in answered) / len(answered)
        )
        assert gap["operational_fcr"] == pytest.approx(100 * len(desk) / len(answered))
        said_no = sum(1 for r in desk if r.fcr == 0)
        assert gap["desk_fcr_not_resolved"]["count"] == said_no
    answer = get(client, "/api/v1/reports/drivers", headers, format="csv")
    csv_rows = parse_csv(answer.data)
    assert len(csv_rows) == len(body["differences"])
    esc_row = next(r for r in csv_rows if r["factor"] == "escalated")
    assert num(esc_row["top2_difference"]) == pytest.approx(diff["top2_difference"])


def newton_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unpenalised logistic regression by Newton's method (with an intercept)."""
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        step = np.linalg.solve(design.T @ (design * (p * (1 - p))[:, None]), design.T @ (y - p))
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return np.asarray(beta[1:])


def test_filtered_drivers_match_the_raw_rows(
    client: FlaskClient, world: World, headers: dict[str, str], db_session: Session
) -> None:
    """A filtered request is computed live: every difference, the regression's
    odds ratios and the FCR gaps against the raw rows in the filter, with the
    tickets as they are now (a third of them reopened, re-counted or resolved
    later after their customer answered)."""
    start, end = dt.date(2026, 9, 8), dt.date(2026, 10, 20)
    query = {"from": start.isoformat(), "to": end.isoformat()}
    before = get(client, "/api/v1/reports/drivers", headers, **query).json
    rng = random.Random(5)
    answered_tickets = sorted({r.ticket_id for r in world.responses})
    for ticket_id in rng.sample(answered_tickets, len(answered_tickets) // 3):
        ticket = db_session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.reopened = not ticket.reopened
        ticket.contacts = rng.choice([1, 2, 3, None])
        ticket.escalated = rng.choice([True, False, None])
        if ticket.resolved_at is not None:
            ticket.resolved_at += dt.timedelta(hours=rng.randint(1, 90))
    db_session.commit()
    body = get(client, "/api/v1/reports/drivers", headers, **query).json
    assert body["computed_at"] is None
    assert body["fcr_gap"] != before["fcr_gap"]  # the changes moved the counts
    tickets = {t.id: t for t in db_session.scalars(select(Ticket))}
    in_filter = raw_responses(db_session, start=start, end=end)
    rows = [r for r in in_filter if r.csat is not None]
    assert 100 < len(rows) < len(raw_responses(db_session))
    assert body["sample"]["responses"] == len(rows)

    def hours(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
        return (later - earlier).total_seconds() / 3600 if later and earlier else None

    factors: dict[str, list[float | None]] = {
        "resolution_hours": [
            hours(tickets[r.ticket_id].resolved_at, tickets[r.ticket_id].opened_at) for r in rows
        ],
        "first_response_hours": [
            hours(tickets[r.ticket_id].first_response_at, tickets[r.ticket_id].opened_at)
            for r in rows
        ],
        "contacts": [tickets[r.ticket_id].contacts for r in rows],
    }
    scores = [r.csat or 0 for r in rows]  # every row has one
    good = [v >= 4 for v in scores]

    def top2(picked: list[bool]) -> float:
        return 100 * sum(g for g, p in zip(good, picked, strict=True) if p) / sum(picked)

    differences = {(d["factor"], d["level"].split(" (")[0]): d for d in body["differences"]}
    for factor, values in factors.items():
        median = float(np.median([v for v in values if v is not None]))
        high = [v is not None and v > median for v in values]
        low = [v is not None and v <= median for v in values]
        d = differences[(factor, "above median")]
        assert d["level"] == f"above median ({median:.4g})"
        assert (d["n_level"], d["n_rest"]) == (sum(high), sum(low))
        assert d["top2_difference"] == pytest.approx(top2(high) - top2(low))
    for factor in ("escalated", "reopened"):
        yes = [bool(getattr(tickets[r.ticket_id], factor)) for r in rows]
        d = differences[(factor, "true")]
        assert (d["n_level"], d["n_rest"]) == (sum(yes), len(rows) - sum(yes))
        assert d["top2_difference"] == pytest.approx(top2(yes) - top2([not v for v in yes]))
    channels = [r.channel or "none" for r in rows]  # the answer's, as the filter
    for channel in set(channels):
        inside = [c == channel for c in channels]
        d = differences[("channel", channel)]
        assert d["top2_level"] == pytest.approx(top2(inside))
        assert d["top2_rest"] == pytest.approx(top2([not v for v in inside]))

    # The regression: missing values take the median, columns standardised,
    # odds ratios per standard deviation, the commonest channel the reference.
    logistic = body["logistic"]
    reference = max(sorted(set(channels)), key=channels.count)
    assert logistic["reference_channel"] == reference
    assert logistic["dissatisfied"] == sum(1 for v in scores if v <= 3)
    columns = {
        f: [v if v is not None else float(np.median([w for w in vs if w is not None])) for v in vs]
        for f, vs in factors.items()
    }
    for factor in ("escalated", "reopened"):
        columns[factor] = [float(bool(getattr(tickets[r.ticket_id], factor))) for r in rows]
    for channel in sorted(set(channels) - {reference}):
        columns[f"channel={channel}"] = [float(c == channel) for c in channels]
    x = np.array(list(columns.values()), dtype=float).T
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    expected = newton_logistic(x, np.array([v <= 3 for v in scores], dtype=float))
    got = {c["factor"]: c["coefficient"] for c in logistic["coefficients"]}
    assert set(got) == set(columns)
    for name, coefficient in zip(columns, expected, strict=True):
        assert got[name] == pytest.approx(coefficient, rel=1e-2, abs=1e-3)

    agents = {a.external_id: a.id for a in db_session.scalars(select(Agent))}
    assert body["fcr_gap"]
    for gap in body["fcr_gap"]:
        answered = [
            r
            for r in in_filter
            if r.agent_id == agents[gap["agent"]]
            and r.fcr is not None
            and tickets[r.ticket_id].contacts is not None
        ]
        desk = [
            r
            for r in answered
            if (tickets[r.ticket_id].contacts or 0) <= 1 and not tickets[r.ticket_id].reopened
        ]
        assert gap["answered"] == len(answered)
        said_yes = sum(r.fcr or 0 for r in answered)
        assert gap["customer_fcr"] == pytest.approx(100 * said_yes / len(answered))
        assert gap["operational_fcr"] == pytest.approx(100 * len(desk) / len(answered))
        assert gap["desk_fcr_not_resolved"]["count"] == sum(1 for r in desk if r.fcr == 0)
    assert {g["agent"] for g in body["fcr_gap"]} == {
        a.external_id
        for a in world.agents
        if any(
            r.agent_id == a.id and r.fcr is not None and tickets[r.ticket_id].contacts is not None
            for r in in_filter
        )
    }


def test_drivers_fit_on_the_most_recent_answers_in_the_filter(
    client: FlaskClient,
    world: World,
    headers: dict[str, str],
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over the sample limit, the regression and the differences use the most
    recently submitted answers with a CSAT, not the first rows the database finds."""
    monkeypatch.setattr(drivers, "DRIVER_SAMPLE", 30)
    team = world.teams[0]
    body = get(client, "/api/v1/reports/drivers", headers, team=team.external_id).json
    rows = [r for r in raw_responses(db_session, team_id=team.id) if r.csat is not None]
    assert len(rows) > 60
    newest = sorted(rows, key=lambda r: (r.submitted_at, r.id), reverse=True)[:30]
    assert body["sample"] == {"responses": 30, "limit": 30}
    assert body["logistic"]["dissatisfied"] == sum(1 for r in newest if (r.csat or 0) <= 3)
    escalated = next(d for d in body["differences"] if d["factor"] == "escalated")
    tickets = {t.id: t for t in db_session.scalars(select(Ticket))}
    assert escalated["n_level"] == sum(1 for r in newest if tickets[r.ticket_id].escalated)


def test_unfiltered_drivers_come_from_the_workers_run_while_it_is_fresh(
    client: FlaskClient, world: World, headers: dict[str, str], db_session: Session
) -> None:
    from feedback_service.scores.models import DriverRun
    from feedback_service.scores.tasks import compute_driver_run

    live = get(client, "/api/v1/reports/drivers", headers).json
    assert live["computed_at"] is None
    # The beat's task, run here in this process (apply, not delay: another test may have
    # made a non-eager app the current Celery app).
    run_id = compute_driver_run.apply().get()
    stored = get(client, "/api/v1/reports/drivers", headers).json
    run = db_session.get(DriverRun, run_id)
    assert run is not None
    assert dt.datetime.fromisoformat(stored["computed_at"]) == run.computed_at
    # The same figures as computed live on the same data.
    assert {k: v for k, v in stored.items() if k != "computed_at"} == {
        k: v for k, v in live.items() if k != "computed_at"
    }
    # A filtered request is always computed now.
    filtered = get(client, "/api/v1/reports/drivers", headers, channel="chat").json
    assert filtered["computed_at"] is None
    # A run the beat has not refreshed for too long is not served.
    run.computed_at -= reports.DRIVER_RUN_MAX_AGE + dt.timedelta(minutes=1)
    db_session.commit()
    assert get(client, "/api/v1/reports/drivers", headers).json["computed_at"] is None


# --- validation, scope, the collect path ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/reports/summary", {"from": "2026-10-02", "to": "2026-10-01"}, "from"),
        ("/api/v1/reports/summary", {"from": "yesterday"}, "from"),
        ("/api/v1/reports/summary", {"team": "no-such-team"}, "team"),
        ("/api/v1/reports/agents", {"agent": "no-such-agent"}, "agent"),
        ("/api/v1/reports/agents", {"per_page": 501}, "per_page"),
        ("/api/v1/reports/summary", {"survey": "no-such-survey"}, "survey"),
        ("/api/v1/reports/summary", {"format": "xml"}, "format"),
        ("/api/v1/reports/trends", {"metric": "happiness"}, "metric"),
        ("/api/v1/reports/trends", {"metric": "csat", "interval": "year"}, "interval"),
        ("/api/v1/reports/trends", {}, "metric"),
        ("/api/v1/reports/drivers", {"colour": "red"}, "colour"),
    ],
)
def test_bad_filters_are_422_naming_the_field(
    client: FlaskClient, headers: dict[str, str], path: str, query: dict[str, Any], field: str
) -> None:
    answer = client.get(path, query_string=query, headers=headers)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == "validation_error"
    assert field in answer.json["error"]["fields"]


def test_reports_need_the_reports_scope(client: FlaskClient, auth: Any) -> None:
    assert client.get("/api/v1/reports/summary").status_code == 401
    assert client.get("/api/v1/reports/summary", headers=auth("ingest")).status_code == 403


def test_collected_answers_count_once_and_only_when_confirmed(
    client: FlaskClient, auth: Any, db_session: Session, headers: dict[str, str]
) -> None:
    from tests.factories import invitation_payload

    payload = invitation_payload(delivery="link", agent={"id": "A-rollup", "team": "Rollups"})
    invitation = client.post("/api/v1/invitations", json=payload, headers=auth("ingest")).json

    def csat() -> dict[str, Any]:
        body = get(client, "/api/v1/reports/summary", headers, agent="A-rollup").json
        result: dict[str, Any] = body["metrics"]["csat"]
        return result

    # A rating clicked in the email is provisional (maybe a mail scanner): not counted.
    assert client.get(f"/s/{invitation['token']}?csat=1").status_code == 200
    assert csat()["n"] == 0
    # ... but the report says it waits for a person.
    waiting = get(client, "/api/v1/reports/summary", headers, agent="A-rollup").json
    assert waiting["unconfirmed"] == {"provisional": 1, "scanner": 0}
    rows = get(client, "/api/v1/reports/summary", headers, agent="A-rollup", format="csv").text
    assert "provisional_ratings_waiting,1," in rows
    answer = client.post(
        "/api/v1/responses", json={"token": invitation["token"], "answers": {"csat": 5}}
    )
    assert answer.status_code in (200, 201), answer.json
    assert (csat()["n"], csat()["value"]) == (1, 100.0)
    confirmed = get(client, "/api/v1/reports/summary", headers, agent="A-rollup").json
    assert confirmed["unconfirmed"] == {"provisional": 0, "scanner": 0}
    for _ in range(2):  # amended, then the same amendment again (a double click)
        client.post(
            "/api/v1/responses", json={"token": invitation["token"], "answers": {"csat": 2}}
        )
    assert (csat()["n"], csat()["value"]) == (1, 0.0)
    team = db_session.scalars(select(Team).where(Team.name == "Rollups")).one()
    body = get(client, "/api/v1/reports/summary", headers, team=team.external_id).json
    assert body["responses"] == 1
