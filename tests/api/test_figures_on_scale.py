"""No figure on any dashboard page, report or export lies outside its scale, for
the smallest samples: one, two and three answers (issue 19).

The answers are the ones that broke the old intervals: all at one end of the
scale (a t interval had no width or none at all) and at both ends (a t interval
ran to -6.7 .. 18.7 on the 1-7 CES scale). They go in through the public API,
the way a helpdesk and a customer's widget send them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_service.auth.users import create_user
from feedback_service.demo.cli import rebuild_rollups
from feedback_service.helpdesk.models import Agent
from tests.api.test_dashboard import PASSWORD, sign_in
from tests.factories import invitation_payload

# The answers per sample size: n = 1 at the top of every scale, n = 2 at both
# ends, n = 3 two at the bottom and one at the top.
ANSWERS = {
    1: [{"csat": 5, "ces": 7, "fcr": True, "nps": 10}],
    2: [
        {"csat": 1, "ces": 1, "fcr": False, "nps": 0},
        {"csat": 5, "ces": 7, "fcr": True, "nps": 10},
    ],
    3: [
        {"csat": 1, "ces": 1, "fcr": False, "nps": 0},
        {"csat": 1, "ces": 1, "fcr": False, "nps": 0},
        {"csat": 5, "ces": 7, "fcr": True, "nps": 10},
    ],
}
# The reporting scale of each metric's headline, and of the figures around it.
HEADLINE = {"csat": (0.0, 100.0), "nps": (-100.0, 100.0), "ces": (1.0, 7.0), "fcr": (0.0, 100.0)}
MEAN = {"csat": (1.0, 5.0), "ces": (1.0, 7.0)}
SHARE = (0.0, 100.0)
EPS = 1e-9


def on_scale(value: Any, scale: tuple[float, float], where: str) -> None:
    if value is None or value == "":
        return
    low, high = scale
    assert low - EPS <= float(value) <= high + EPS, f"{where}: {value} outside {scale}"


def interval_on_scale(interval: Any, scale: tuple[float, float], where: str) -> None:
    if not interval:
        return
    on_scale(interval["low"], scale, f"{where}.low")
    on_scale(interval["high"], scale, f"{where}.high")
    assert interval["low"] < interval["high"], f"{where}: zero-width {interval}"


def check_metric_entry(metric: str, entry: dict[str, Any], where: str) -> None:
    """One metric's figures as the API gives them (summary, scorecard, trend item)."""
    on_scale(entry.get("value"), HEADLINE[metric], f"{where}.value")
    interval_on_scale(entry.get("interval"), HEADLINE[metric], f"{where}.interval")
    if metric in MEAN:
        on_scale(entry.get("mean"), MEAN[metric], f"{where}.mean")
        interval_on_scale(entry.get("mean_interval"), MEAN[metric], f"{where}.mean_interval")
    for share in ("promoters", "passives", "detractors", "pct_agree", "good_pct"):
        on_scale(entry.get(share), SHARE, f"{where}.{share}")
    interval_on_scale(entry.get("pct_agree_interval"), SHARE, f"{where}.pct_agree_interval")
    for limit in ("centre_pct", "lower_pct", "upper_pct"):
        on_scale(entry.get(limit), SHARE, f"{where}.{limit}")
    shrunk = entry.get("shrunk")
    if shrunk:
        on_scale(shrunk["estimate"], HEADLINE[metric], f"{where}.shrunk.estimate")
        interval_on_scale(shrunk["interval"], HEADLINE[metric], f"{where}.shrunk.interval")


def walk_metrics(data: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any], str]]:
    """Every ``{metric: {...figures...}}`` in a JSON report, wherever it sits."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in HEADLINE and isinstance(value, dict):
                yield key, value, f"{where}.{key}"
            else:
                yield from walk_metrics(value, f"{where}.{key}")
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from walk_metrics(item, f"{where}[{i}]")


def parse_number(text: str) -> float:
    return float(text.replace("%", "").replace("+", "").replace("\u2212", "-"))


TILE = re.compile(r'id="tile-(csat|nps|ces|fcr)".*?</div>', re.S)
TILE_VALUE = re.compile(r'class="tile-value">([^<]+)<')
TILE_INTERVAL = re.compile(r"95% ([-+\d.]+%?) to ([-+\d.]+%?)")
CHART_TIP = re.compile(r"<title>[^<]*?: ([-\d.]+)%(?: \(95% ([-\d.]+)% to ([-\d.]+)%\))?")
SCORE_CELL = re.compile(r'data-metric="(csat|nps|ces|fcr)" data-value="([^"]*)"')


def check_page(html: str, where: str) -> int:
    """Every tile, chart point and table cell of a page; returns how many were read."""
    seen = 0
    for match in TILE.finditer(html):
        metric, tile = match.group(1), match.group(0)
        value = TILE_VALUE.search(tile)
        assert value is not None
        if value.group(1).strip() != "\u2013":
            on_scale(parse_number(value.group(1)), HEADLINE[metric], f"{where} tile {metric}")
            seen += 1
        for low, high in TILE_INTERVAL.findall(tile):
            interval_on_scale(
                {"low": parse_number(low), "high": parse_number(high)},
                HEADLINE[metric],
                f"{where} tile {metric} interval",
            )
            seen += 1
    for value, low, high in CHART_TIP.findall(html):
        on_scale(float(value), SHARE, f"{where} chart point")
        if low:
            interval_on_scale({"low": float(low), "high": float(high)}, SHARE, f"{where} band")
        seen += 1
    for metric, value in SCORE_CELL.findall(html):
        on_scale(value, HEADLINE[metric], f"{where} table {metric}")
        seen += 1
    return seen


@pytest.fixture(params=sorted(ANSWERS), ids=lambda n: f"n={n}")
def answered(
    request: pytest.FixtureRequest, client: FlaskClient, auth: Any, db_session: Session
) -> dict[str, Any]:
    """n answers for one agent (team "Tier 1"), each to both surveys, through the API."""
    n = request.param
    for i, answers in enumerate(ANSWERS[n]):
        for survey, keys in (("post-ticket", ("csat", "ces", "fcr")), ("nps", ("nps",))):
            payload = invitation_payload(
                delivery="link",
                survey=survey,
                agent={"id": "A-small", "name": "Sol Small", "team": "Tier 1"},
                ticket={"id": f"T-small-{n}-{i}-{survey}"},
            )
            created = client.post("/api/v1/invitations", json=payload, headers=auth("ingest"))
            assert created.status_code == 201, created.json
            body = {"token": created.json["token"], "answers": {k: answers[k] for k in keys}}
            answered_ = client.post("/api/v1/responses", json=body)
            assert answered_.status_code == 201, answered_.json
    rebuild_rollups(db_session)
    create_user(db_session, email="lead@small.test", name="Lee", role="manager", password=PASSWORD)
    db_session.commit()
    agent_id = db_session.scalar(select(Agent.id).where(Agent.external_id == "A-small"))
    db_session.commit()
    return {"n": n, "agent_id": agent_id}


def test_every_api_report_figure_is_on_its_scale(
    client: FlaskClient, auth: Any, answered: dict[str, Any]
) -> None:
    reports = auth("reports")
    paths = [
        "/api/v1/reports/summary",
        "/api/v1/reports/agents",
        "/api/v1/reports/agents/A-small",
        *(
            f"/api/v1/reports/trends?metric={m}&interval={i}"
            for m in HEADLINE
            for i in ("day", "week", "month")
        ),
    ]
    for path in paths:
        response = client.get(path, headers=reports)
        assert response.status_code == 200, (path, response.json)
        entries = list(walk_metrics(response.json))
        if path.startswith("/api/v1/reports/trends"):
            entries = [
                (path.split("=")[1].split("&")[0], item, f"{path}[{i}]")
                for i, item in enumerate(response.json["items"])
            ]
        assert entries, path
        for metric, entry, where in entries:
            check_metric_entry(metric, entry, f"{path}{where}")
    summary = client.get("/api/v1/reports/summary", headers=reports).json
    assert summary["metrics"]["ces"]["n"] == answered["n"]


def test_every_dashboard_page_and_export_is_on_its_scale(
    client: FlaskClient, answered: dict[str, Any]
) -> None:
    assert sign_in(client, "lead@small.test").status_code == 302
    seen = 0
    for path in (
        "/dashboard/",
        "/dashboard/agents",
        f"/dashboard/agents/{answered['agent_id']}",
        "/dashboard/report",
        "/dashboard/targets",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        seen += check_page(response.get_data(as_text=True), path)
    assert seen >= 8 * 2  # tiles and chart points on the overview and the agent page alone
    overview = client.get("/dashboard/").get_data(as_text=True)
    # The agent's weekly charts show the week the answers came in, not an empty chart.
    assert 'class="point' in overview
    for name in ("summary", "agents", "trend-csat"):
        response = client.get(f"/dashboard/exports/{name}.csv")
        assert response.status_code == 200, name
        for row in csv.DictReader(io.StringIO(response.get_data(as_text=True))):
            metric = (
                row.get("metric") or row.get("figure") or ("csat" if name == "trend-csat" else "")
            )
            if metric not in HEADLINE:
                continue
            for column in ("value", "low", "high", "shrunk"):
                on_scale(row.get(column), HEADLINE[metric], f"{name}.csv {metric}.{column}")
