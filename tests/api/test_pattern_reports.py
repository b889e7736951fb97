"""Complaint patterns and product gaps through the API, on planted data in the database.

The data come from ``demo.planted`` (one agent with many rude complaints, a
product bug spreading across agents in the last weeks, everyone else ordinary)
written into the real tables by ``patterns.planted_db``; the reports must name
exactly the planted agent and the planted bug, and nothing on the same data
with nothing planted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_service.alerts.models import Alert
from feedback_service.demo import issues, planted, planted_db
from feedback_service.helpdesk.models import Agent
from feedback_service.patterns import compute, service, tasks
from feedback_service.patterns.models import PatternFinding, PatternRun
from feedback_service.surveys.models import Response

PATTERNS = "/api/v1/reports/complaint-patterns"
GAPS = "/api/v1/reports/product-gaps"
PLANT = planted.Plant(pattern_category="rude", pattern_extra_rate=0.05, bug_rate=0.015)


def generate(plant: planted.Plant, seed: int = 3) -> planted.PlantedData:
    # 24 agents in 3 teams, 8 weeks, ~100 answers per agent and week.
    return planted.generate(seed, plant, teams=3, agents_per_team=8)


@pytest.fixture
def headers(auth: Any) -> dict[str, str]:
    h: dict[str, str] = auth("reports")
    return h


def load(session: Session, data: planted.PlantedData) -> planted_db.LoadedWorld:
    world = planted_db.load_planted(session, data)
    session.commit()
    return world


def current_period(world: planted_db.LoadedWorld) -> dict[str, str]:
    """The planted current period: the last four of the eight weeks."""
    start = world.first_day + dt.timedelta(weeks=4)
    return {"from": start.isoformat(), "to": world.last_day.isoformat()}


def all_weeks(world: planted_db.LoadedWorld) -> dict[str, str]:
    return {"from": world.first_day.isoformat(), "to": world.last_day.isoformat()}


def get_json(client: FlaskClient, path: str, headers: dict[str, str], **query: Any) -> Any:
    answer = client.get(path, query_string=query or None, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def get_csv(client: FlaskClient, path: str, headers: dict[str, str], **query: Any) -> Any:
    answer = client.get(path, query_string={**query, "format": "csv"}, headers=headers)
    assert answer.status_code == 200, answer.data
    assert answer.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(answer.data.decode())))


def as_text(value: Any) -> str:
    """How ``csv_response`` writes a JSON value (None as empty, bools as Python)."""
    return "" if value is None else str(value)


def assert_csv_matches(rows: list[dict[str, str]], items: list[dict[str, Any]]) -> None:
    assert len(rows) == len(items)
    for row, item in zip(rows, items, strict=True):
        for key, value in item.items():
            if isinstance(value, list):
                continue
            assert row[key] == as_text(value), key
        if "examples" in item:
            assert row["example_tickets"] == "; ".join(e["ticket"] for e in item["examples"])


def alerted(session: Session) -> set[str]:
    """Themes with an emerging-gap alert (read, then the read ends)."""
    payloads = list(
        session.scalars(select(Alert.payload).where(Alert.kind == service.EMERGING_ALERT))
    )
    session.rollback()
    return {p["theme"] for p in payloads}


def planted_bug(theme: dict[str, Any]) -> bool:
    """A theme of the spreading bug: only its comments come from the billing portal."""
    return bool(theme["products"]) and theme["products"][0] == "Billing portal"


# --- planted data ----------------------------------------------------------------


def test_planted_agent_and_spreading_bug_are_exactly_what_the_reports_show(
    app: Flask, client: FlaskClient, db_session: Session, headers: dict[str, str]
) -> None:
    data = generate(PLANT)
    world = load(db_session, data)
    ((planted_agent, category),) = data.truth.patterns
    period = current_period(world)

    report = get_json(client, PATTERNS, headers, **period)
    found = [(i["agent"], i["category"], i["kind"]) for i in report["items"]]
    # The planted agent alone; their negative comments or low CSAT may show too.
    assert {a for a, _c, _k in found} == {world.agent(planted_agent)}
    assert (world.agent(planted_agent), category, "complaint") in found
    pattern = next(i for i in report["items"] if i["category"] == category)
    assert pattern["count"] >= 3 and pattern["rate"] > pattern["adjusted_peer_rate"]
    assert pattern["rate_ratio"] >= 1.5 and pattern["q_value"] < 0.05
    assert pattern["team"] == world.team_ids[world.agent_ids.index(pattern["agent"])]
    assert pattern["trend"] == "rising"  # planted in the current period only
    assert (pattern["measure"], pattern["about"], pattern["peers"]) == ("category", "agent", 7)
    assert pattern["why"].startswith(
        f"Customers of {pattern['agent_name']} complained about the agent being rude on "
        f"{pattern['count']} of {pattern['responses']} answers"
    )
    assert "times as often. Rising:" in pattern["why"]
    assert f"after checking {report['summary']['tests']:,} comparisons." in pattern["why"]
    assert 1 <= len(pattern["examples"]) <= 3
    # The examples are the planted agent's own comments of that category.
    example_agents = db_session.execute(
        select(Agent.external_id)
        .join(Response, Response.agent_id == Agent.id)
        .where(Response.id.in_([e["response_id"] for e in pattern["examples"]]))
    ).scalars()
    assert set(example_agents) == {world.agent(planted_agent)}
    db_session.rollback()  # end the test's read before the next request
    rude = {p.lower() for p in issues.ISSUES[issues.ISSUE_INDEX[category]].phrasings}
    assert all(any(p in e["sentence"].lower() for p in rude) for e in pattern["examples"])
    assert report["run"]["from"] == period["from"] and report["run"]["to"] == period["to"]
    assert (
        report["run"]["previous_to"]
        == (dt.date.fromisoformat(period["from"]) - dt.timedelta(days=1)).isoformat()
    )
    assert report["run"]["computed_at"] is not None
    assert report["summary"]["tests"] > 0

    # Agent-adjusted CSAT: every agent, never below the raw CSAT.
    adjusted = report["adjusted_csat"]
    assert {a["agent"] for a in adjusted} == set(world.agent_ids)
    for a in adjusted:
        assert a["adjusted_csat"] >= a["csat"]
        assert (
            a["controllable_answers"] == a["answers"] - a["excused_product"] - a["excused_process"]
        )
    assert any(a["excused_product"] > 0 for a in adjusted)

    # The same stored run answers again: nothing is recomputed.
    again = get_json(client, PATTERNS, headers, **period)
    assert again["run"]["id"] == report["run"]["id"]
    runs = db_session.scalar(select(func.count(PatternRun.id)))
    db_session.rollback()
    assert runs == 1

    # CSV: the same rows as the JSON, for both tables.
    assert_csv_matches(get_csv(client, PATTERNS, headers, **period), report["items"])
    assert_csv_matches(
        get_csv(client, PATTERNS, headers, table="adjusted-csat", **period),
        report["adjusted_csat"],
    )

    # Filters: the agent sees their own rows; another agent sees none.
    mine = get_json(client, PATTERNS, headers, agent=world.agent(planted_agent), **period)
    assert {i["agent"] for i in mine["items"]} == {world.agent(planted_agent)}
    assert [a["agent"] for a in mine["adjusted_csat"]] == [world.agent(planted_agent)]
    other = next(a for a in world.agent_ids if a != world.agent(planted_agent))
    assert get_json(client, PATTERNS, headers, agent=other, **period)["items"] == []
    # A team filter computes that team alone, as its own run.
    team = world.team_ids[world.agent_ids.index(world.agent(planted_agent))]
    by_team = get_json(client, PATTERNS, headers, team=team, **period)
    assert by_team["run"]["id"] != report["run"]["id"]
    assert by_team["run"]["filters"] == {"team": team}
    assert {a["team"] for a in by_team["adjusted_csat"]} == {team}
    assert {i["agent"] for i in by_team["items"]} == {world.agent(planted_agent)}

    # Product gaps over all eight weeks.
    gaps = get_json(client, GAPS, headers, **all_weeks(world))
    emerging = [t for t in gaps["items"] if t["emerging"]]
    assert emerging, "the spreading bug must be flagged"
    assert all(planted_bug(t) for t in emerging), [t["name"] for t in emerging]
    for theme in emerging:
        assert theme["product_gap"] and theme["recurring"] and theme["target"] == "product"
        assert theme["agents"] >= 3 and theme["trend"] == "new"
        assert theme["weekly"][-1]["count"] == theme["latest_week_count"] > 0
        assert all(w["count"] == 0 for w in theme["weekly"][:4])
        assert theme["examples"] and theme["top_agents"]
        assert theme["csat_effect"] is not None and theme["csat_effect"] < 0
    assert {w["week"] for t in gaps["items"] for w in t["weekly"]} == {
        (world.first_day + dt.timedelta(weeks=k)).isoformat() for k in range(8)
    }
    # Background product problems present every week are gaps, never emerging.
    steady = [t for t in gaps["items"] if t["product_gap"] and not planted_bug(t)]
    assert steady and not any(t["emerging"] for t in steady)
    # Pareto: ranks 1..n over the themes, cumulative share ending at 1.
    ranked = sorted((t for t in gaps["items"] if t["pareto_rank"]), key=lambda t: t["pareto_rank"])
    assert [t["pareto_rank"] for t in ranked] == list(range(1, len(ranked) + 1))
    assert ranked[-1]["pareto_cumulative_share"] == pytest.approx(1.0)
    assert ranked[0]["vital_few"]
    for theme in gaps["items"]:
        assert theme["contact_share"] == pytest.approx(theme["comments"] / data.responses)
    # Themes are named by a phrase of their own, once per report, and list the
    # products they were raised under, most comments first.
    names = [t["name"].lower() for t in gaps["items"]]
    assert len(set(names)) == len(names), names
    assert len({t["theme"] for t in gaps["items"]}) == len(names)
    for theme in gaps["items"]:
        assert "," not in theme["name"] and 1 <= len(theme["name"].split()) <= 8
        assert theme["theme"].startswith(f"{theme['target']}/{theme['category']}/")
        counts = [p["comments"] for p in theme["product_counts"]]
        assert [p["product"] for p in theme["product_counts"]] == theme["products"]
        assert counts == sorted(counts, reverse=True) and sum(counts) == theme["comments"]
    assert any("invoice" in t["name"].lower() or "500" in t["name"] for t in emerging)

    # Each emerging theme raised one alert; computing the same weeks again raises none.
    assert alerted(db_session) == {t["theme"] for t in emerging}
    again = client.post(f"{GAPS}/refresh", json=all_weeks(world), headers=headers)
    assert get_json(client, again.headers["Location"], headers)["status"] == "done"
    assert alerted(db_session) == {t["theme"] for t in emerging}
    assert db_session.scalar(select(func.count(Alert.id))) == len(emerging)
    db_session.rollback()

    assert_csv_matches(get_csv(client, GAPS, headers, **all_weeks(world)), gaps["items"])
    # Agent filter on gaps: only themes the agent's customers raised.
    agent = emerging[0]["top_agents"][0]["agent"]
    theirs = get_json(client, GAPS, headers, agent=agent, **all_weeks(world))
    assert {t["theme"] for t in theirs["items"]} < {t["theme"] for t in gaps["items"]}
    assert emerging[0]["theme"] in {t["theme"] for t in theirs["items"]}


def test_nothing_planted_flags_no_agent_and_no_emerging_gap(
    client: FlaskClient, db_session: Session, headers: dict[str, str]
) -> None:
    world = load(db_session, generate(planted.Plant.nothing()))
    report = get_json(client, PATTERNS, headers, **current_period(world))
    assert report["items"] == []
    assert len(report["adjusted_csat"]) == len(world.agent_ids)
    assert report["summary"]["tests"] > 0  # tested, and nothing held
    gaps = get_json(client, GAPS, headers, **all_weeks(world))
    assert gaps["items"], "background themes are still reported"
    assert not any(t["emerging"] for t in gaps["items"])
    assert not any(planted_bug(t) for t in gaps["items"])
    assert alerted(db_session) == set()


def test_an_agent_whose_complaints_land_in_many_categories_is_still_found(
    client: FlaskClient, db_session: Session, headers: dict[str, str]
) -> None:
    # The issue's case: one agent's customers complain on about a quarter of their
    # answers, but the classifier files the complaints under a dozen different
    # (mostly product and process) categories, so no category stands out.
    data = generate(planted.Plant.nothing())
    keys = (
        "hold-time", "transfers", "refund-policy", "crash-login", "settings-menu",
        "unhelpful", "did-not-resolve", "communication", "double-charge", "late-delivery",
        "slow-dashboard", "password-reset",
    )  # fmt: skip
    target = 5
    quiet = np.flatnonzero((data.agent == target) & (data.week >= 4) & (data.issue < 0))
    chosen = quiet[: len(quiet) // 4]
    data.issue[chosen] = [issues.ISSUE_INDEX[keys[i % len(keys)]] for i in range(chosen.size)]
    data.csat[chosen] = 1
    world = load(db_session, data)

    report = get_json(client, PATTERNS, headers, **current_period(world))
    found = {(i["agent"], i["measure"], i["category"]) for i in report["items"]}
    agent = world.agent(data.agent_ids[target])
    assert (agent, "negative_comments", None) in found
    assert (agent, "low_csat", None) in found
    assert {a for a, _m, _c in found} == {agent}
    negative = next(i for i in report["items"] if i["measure"] == "negative_comments")
    assert negative["about"] == "concentrated" and negative["rate_ratio"] >= 1.5
    assert negative["why"].startswith(f"Customers of {negative['agent_name']} left a negative")
    assert negative["examples"] and all(e["sentence"] for e in negative["examples"])
    rows = get_csv(client, PATTERNS, headers, **current_period(world))
    assert {(r["measure"], r["about"]) for r in rows} >= {("negative_comments", "concentrated")}

    spec = client.get("/api/openapi.json").json["components"]["schemas"]
    pattern = spec["ComplaintPatternOut"]["properties"]
    assert {"measure", "about", "why", "category"} <= set(pattern)
    assert "low_csat" in pattern["measure"]["description"]


# --- jobs ------------------------------------------------------------------------


def small_world(session: Session) -> planted_db.LoadedWorld:
    data = planted.generate(
        5, PLANT, teams=2, agents_per_team=3, weeks=8, responses_per_agent_week=10
    )
    return load(session, data)


def test_refresh_returns_a_job_that_finishes_and_becomes_the_report(
    client: FlaskClient, db_session: Session, headers: dict[str, str]
) -> None:
    world = small_world(db_session)
    for path in (PATTERNS, GAPS):
        body = {**all_weeks(world), "team": world.team_ids[0]}
        queued = client.post(f"{path}/refresh", json=body, headers=headers)
        assert queued.status_code == 202, queued.json
        job_url = queued.headers["Location"]
        assert job_url.endswith(f"/api/v1/reports/jobs/{queued.json['id']}")
        # Eager Celery ran the task after the commit; the job says so.
        job = get_json(client, job_url, headers)
        assert job["status"] == "done" and job["error"] is None
        assert job["computed_at"] is not None and job["filters"] == {"team": world.team_ids[0]}
        assert job["to"] == world.last_day.isoformat()
        report = get_json(client, job["report_url"], headers)
        assert report["run"]["id"] == job["id"]


def test_a_large_scope_is_queued_rather_than_computed_in_the_request(
    app: Flask, client: FlaskClient, db_session: Session, headers: dict[str, str]
) -> None:
    world = small_world(db_session)
    app.config["PATTERNS_INLINE_MAX_RESPONSES"] = 0
    try:
        answer = client.get(GAPS, query_string=all_weeks(world), headers=headers)
    finally:
        app.config["PATTERNS_INLINE_MAX_RESPONSES"] = 50_000
    assert answer.status_code == 202
    assert answer.json["kind"] == "product-gaps"
    job = get_json(client, answer.headers["Location"], headers)
    assert job["status"] == "done"  # eager Celery: done once committed
    assert get_json(client, GAPS, headers, **all_weeks(world))["run"]["id"] == job["id"]


def test_a_crashing_run_is_marked_failed_with_its_error(
    client: FlaskClient,
    db_session: Session,
    headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = small_world(db_session)
    good = get_json(client, PATTERNS, headers, **all_weeks(world))

    def explode(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the test broke the pattern test")

    monkeypatch.setattr(compute, "find_agent_patterns", explode)
    queued = client.post(f"{PATTERNS}/refresh", json=all_weeks(world), headers=headers)
    assert queued.status_code == 202
    job = get_json(client, queued.headers["Location"], headers)
    assert job["status"] == "failed"
    assert "the test broke the pattern test" in job["error"]
    assert job["report_url"] is None
    stored = db_session.scalar(
        select(func.count(PatternFinding.id)).where(PatternFinding.run_id == job["id"])
    )
    db_session.rollback()
    assert stored == 0
    # The report keeps serving the last good run.
    assert get_json(client, PATTERNS, headers, **all_weeks(world))["run"]["id"] == good["run"]["id"]
    # A redelivered task does not touch a finished run.
    assert tasks.compute_pattern_run(job["id"]) == "failed"


def test_scheduled_runs_cover_the_default_window_once(
    client: FlaskClient, db_session: Session, headers: dict[str, str]
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    data = planted.generate(
        6, PLANT, teams=2, agents_per_team=3, weeks=12, responses_per_agent_week=10
    )
    first_day = today - dt.timedelta(weeks=12, days=-1)
    planted_db.load_planted(db_session, data, first_day=first_day)
    db_session.commit()
    assert tasks.scheduled_pattern_run("product-gaps") == "done"
    assert tasks.scheduled_pattern_run("product-gaps") == "skipped"
    runs = list(db_session.scalars(select(PatternRun).where(PatternRun.kind == "product-gaps")))
    db_session.rollback()
    assert len(runs) == 1 and runs[0].trigger == "schedule"
    assert runs[0].data_to == today and runs[0].data_from == today - dt.timedelta(weeks=12, days=-1)
    # The report without dates is that run.
    report = get_json(client, GAPS, headers)
    assert report["run"]["id"] == runs[0].id
    assert report["run"]["from"] == runs[0].data_from.isoformat()


def test_a_queued_run_whose_message_was_lost_is_picked_up_by_the_sweep(
    app: Flask, db_session: Session
) -> None:
    with app.app_context():
        run = service.create_run(db_session, "complaint-patterns", {})
        run.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
        db_session.commit()
        assert tasks.sweep_pattern_runs() >= 1
    db_session.refresh(run)
    assert run.status == "done"


# --- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        (PATTERNS, {"team": "no-such-team"}, "team"),
        (PATTERNS, {"agent": "no-such-agent"}, "agent"),
        (PATTERNS, {"survey": "no-such-survey"}, "survey"),
        (PATTERNS, {"from": "2026-11-30", "to": "2026-11-01"}, "from"),
        (PATTERNS, {"from": "last tuesday"}, "from"),
        (PATTERNS, {"from": "2999-01-01"}, "from"),
        (PATTERNS, {"table": "everything"}, "table"),
        (PATTERNS, {"format": "xml"}, "format"),
        (PATTERNS, {"colour": "blue"}, "colour"),
        (GAPS, {"from": "2026-11-20", "to": "2026-11-30"}, "from"),
        (GAPS, {"channel": ""}, "channel"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(
    client: FlaskClient, headers: dict[str, str], path: str, query: dict[str, str], field: str
) -> None:
    answer = client.get(path, query_string=query, headers=headers)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["error"]["fields"]


def test_bad_refresh_bodies_and_unknown_jobs(
    client: FlaskClient, db_session: Session, headers: dict[str, str]
) -> None:
    answer = client.post(f"{GAPS}/refresh", json={"team": "nope"}, headers=headers)
    assert answer.status_code == 422 and "team" in answer.json["error"]["fields"]
    answer = client.post(f"{GAPS}/refresh", json={"agent": "x"}, headers=headers)
    assert answer.status_code == 422 and "agent" in answer.json["error"]["fields"]
    assert db_session.scalar(select(func.count(PatternRun.id))) == 0
    missing = client.get("/api/v1/reports/jobs/999999", headers=headers)
    assert missing.status_code == 404


def test_reports_need_the_reports_scope(client: FlaskClient, auth: Any) -> None:
    assert client.get(PATTERNS).status_code == 401
    assert client.get(GAPS, headers=auth("ingest")).status_code == 403
    assert client.post(f"{GAPS}/refresh", json={}, headers=auth("ingest")).status_code == 403


def test_the_beat_schedules_both_reports_and_the_sweep(app: Flask) -> None:
    celery = app.extensions["celery"]
    entries = {e["task"]: e.get("args", ()) for e in celery.conf.beat_schedule.values()}
    scheduled = "feedback_service.patterns.tasks.scheduled_pattern_run"
    kinds = [e["args"][0] for e in celery.conf.beat_schedule.values() if e["task"] == scheduled]
    assert sorted(kinds) == ["complaint-patterns", "product-gaps"]
    assert "feedback_service.patterns.tasks.sweep_pattern_runs" in entries
    for name in entries:
        if name.startswith("feedback_service.patterns."):
            assert name in celery.tasks


def test_a_report_being_computed_answers_with_its_job_unless_it_is_stuck(
    app: Flask, client: FlaskClient, db_session: Session, headers: dict[str, str]
) -> None:
    world = small_world(db_session)
    with app.app_context():
        queued = service.create_run(db_session, "product-gaps", {**_dates(world)})
        db_session.commit()
    answer = client.get(GAPS, query_string=all_weeks(world), headers=headers)
    assert answer.status_code == 202 and answer.json["id"] == queued.id
    assert answer.json["status"] == "queued"
    # Queued three hours ago and never picked up: the report no longer waits for it.
    queued.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    db_session.commit()
    report = get_json(client, GAPS, headers, **all_weeks(world))
    assert report["run"]["id"] != queued.id and report["run"]["status"] == "done"


def _dates(world: planted_db.LoadedWorld) -> dict[str, dt.date]:
    return {"from": world.first_day, "to": world.last_day}
