"""The typed results of the scores service say what the reports API serves: every
key of the JSON is a key of the service's TypedDict, and every required key is
there (the marshmallow out schemas stay the contract; this keeps the types true)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, is_typeddict

from flask.testing import FlaskClient

from feedback_service.scores import service as scores
from feedback_service.scores.drivers import Difference, FcrGap, Logistic
from feedback_service.scores.kpis import Kpis
from feedback_service.scores.scorecards import AgentComment, Scorecard
from feedback_service.scores.trends import TrendPoint
from tests.api.test_reports import committed_world, get, headers, world
from tests.integration.test_rollups import World

__all__ = ["committed_world", "headers", "world"]  # fixtures this module uses


def keys_fit(body: Mapping[str, Any], typed: Any) -> None:
    assert is_typeddict(typed)
    assert set(body) <= typed.__required_keys__ | typed.__optional_keys__, typed.__name__
    assert typed.__required_keys__ <= set(body), typed.__name__


def test_every_report_has_the_keys_of_its_typed_result(
    client: FlaskClient, world: World, headers: dict[str, str]
) -> None:
    agent = world.agents[0].external_id
    summary = get(client, "/api/v1/reports/summary", headers).json
    keys_fit(summary, scores.Summary)
    keys_fit(summary["operations"], Kpis)
    keys_fit(summary["response_rate"], scores.Rate)

    cards = get(client, "/api/v1/reports/agents", headers).json["items"]
    assert cards
    for card in cards:
        keys_fit(card, Scorecard)

    report = get(client, f"/api/v1/reports/agents/{agent}", headers).json
    keys_fit(report, scores.AgentReport)
    assert report["comments"]["items"]
    for comment in report["comments"]["items"]:
        keys_fit(comment, AgentComment)
    for item in report["trend"]:
        keys_fit(item, scores.TrendItem)
        keys_fit(item["csat"], TrendPoint)

    trend = get(client, "/api/v1/reports/trends", headers, metric="nps", interval="month").json
    keys_fit(trend, scores.Trend)
    assert trend["items"]
    for item in trend["items"]:
        keys_fit(item, scores.MetricTrendItem)

    drivers = get(client, "/api/v1/reports/drivers", headers).json
    keys_fit(drivers, scores.Drivers)
    keys_fit(drivers["logistic"], Logistic)
    for row in drivers["differences"]:
        keys_fit(row, Difference)
    assert drivers["fcr_gap"]
    for gap in drivers["fcr_gap"]:
        keys_fit(gap, FcrGap)
