"""The report on a survey's own question equals an independent count of the answers."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from feedback_service.scores.scoring import wilson_interval
from tests.api.test_responses import new_invitation
from tests.api.test_survey_questions import answer, make_survey

# (agent, team, csat, reason, channels); reason only where CSAT <= 3.
ANSWERS = [
    ("A-1", "Tier 1", 1, "agent", ["email"]),
    ("A-1", "Tier 1", 2, "product", ["email", "chat"]),
    ("A-1", "Tier 1", 3, "product", None),
    ("A-2", "Tier 1", 2, "process", ["phone"]),
    ("A-2", "Tier 1", 5, None, ["chat"]),
    ("A-3", "Tier 2", 1, "product", None),
    ("A-3", "Tier 2", 3, "other", ["email"]),
    ("A-3", "Tier 2", 4, None, None),
]


@pytest.fixture
def answered(client: FlaskClient, auth: Any, db_session: Session) -> None:
    make_survey(client, auth)
    for agent, team, csat, reason, channels in ANSWERS:
        made = new_invitation(
            client, auth, survey="cx-reasons", agent={"id": agent, "name": agent, "team": team}
        )
        given: dict[str, Any] = {"csat": csat}
        if reason:
            given["reason"] = reason
        if channels:
            given["channels"] = channels
        assert answer(client, made["token"], **given).status_code == 201


def shares(report: dict[str, Any]) -> dict[str, tuple[int, float]]:
    return {v["value"]: (v["count"], v["share"]) for v in report["values"]}


def test_the_reason_distribution_equals_an_independent_count(
    client: FlaskClient, auth: Any, answered: None
) -> None:
    got = client.get("/api/v1/reports/questions/reason", headers=auth("reports"))
    assert got.status_code == 200, got.json
    report = got.json
    reasons = [r for *_, r, _c in ANSWERS if r]
    expected = Counter(reasons)
    assert report["n"] == len(reasons) == 6
    assert report["type"] == "choice" and report["survey"] == "cx-reasons"
    assert [v["value"] for v in report["values"]] == ["agent", "product", "process", "other"]
    for value, (count, share) in shares(report).items():
        assert count == expected[value]
        assert share == pytest.approx(expected[value] / len(reasons))
    product = next(v for v in report["values"] if v["value"] == "product")
    interval = wilson_interval(3, 6)
    assert product["interval"] == pytest.approx({"low": interval.low, "high": interval.high})

    by_agent = {g["id"]: g for g in report["by_agent"]}
    assert {a: g["n"] for a, g in by_agent.items()} == {"A-1": 3, "A-2": 1, "A-3": 2}
    assert shares(by_agent["A-1"])["product"] == (2, pytest.approx(2 / 3))
    by_team = {g["id"]: g for g in report["by_team"]}
    assert shares(by_team["Tier 2"]) == {
        "agent": (0, 0.0),
        "product": (1, 0.5),
        "process": (0, 0.0),
        "other": (1, 0.5),
    }
    assert all(g["too_few"] for g in report["by_agent"])

    only_a3 = client.get("/api/v1/reports/questions/reason?agent=A-3", headers=auth("reports"))
    assert only_a3.json["n"] == 2


def test_a_multi_counts_every_choice_and_the_csv_has_the_same_rows(
    client: FlaskClient, auth: Any, answered: None
) -> None:
    report = client.get("/api/v1/reports/questions/channels", headers=auth("reports")).json
    given = [c for *_, c in ANSWERS if c]
    expected = Counter(v for chosen in given for v in chosen)
    assert report["n"] == len(given) == 5
    assert shares(report) == {
        v: (expected[v], pytest.approx(expected[v] / 5)) for v in ("email", "chat", "phone")
    }
    assert report["by_agent"] == []  # a multi is reported overall only
    exported = client.get("/api/v1/reports/questions/channels?format=csv", headers=auth("reports"))
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["scope"], r["value"], int(r["count"])) for r in rows] == [
        ("all", v["value"], v["count"]) for v in report["values"]
    ]


def test_unknown_questions_and_filters_are_named(
    client: FlaskClient, auth: Any, answered: None
) -> None:
    missing = client.get("/api/v1/reports/questions/nothing", headers=auth("reports"))
    assert missing.status_code == 404
    bad = client.get("/api/v1/reports/questions/reason?agent=NOBODY", headers=auth("reports"))
    assert bad.status_code == 422 and "agent" in bad.json["error"]["fields"]
    make_survey(client, auth, key="second")
    both = client.get("/api/v1/reports/questions/reason", headers=auth("reports"))
    assert both.status_code == 422 and "survey" in both.json["error"]["fields"]
    chosen = client.get(
        "/api/v1/reports/questions/reason?survey=cx-reasons", headers=auth("reports")
    )
    assert chosen.status_code == 200 and chosen.json["n"] == 6
