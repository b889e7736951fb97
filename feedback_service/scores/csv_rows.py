"""Every report as CSV rows: built from the same report the JSON is, so the two
cannot disagree (``?format=csv``; ``routes.csv_response`` writes them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from feedback_service.scores.complaints import Pareto
from feedback_service.scores.drivers import Drivers
from feedback_service.scores.histograms import IntervalOut, Rate
from feedback_service.scores.kpis import Spread, Summary
from feedback_service.scores.operations import OperationsTrend
from feedback_service.scores.response_rates import ResponseRates
from feedback_service.scores.scorecards import Scorecard
from feedback_service.scores.trends import Trend

Row = dict[str, Any]


def _bounds(interval: IntervalOut | Mapping[str, float] | None) -> dict[str, float | None]:
    """An interval as the ``low`` and ``high`` cells (empty without one)."""
    return {
        "low": interval["low"] if interval else None,
        "high": interval["high"] if interval else None,
    }


def _figure(
    name: str, value: Any, n: Any, interval: IntervalOut | None = None, low_sample: Any = None
) -> Row:
    return {
        "figure": name,
        "value": value,
        "n": n,
        **_bounds(interval),
        "low_sample": low_sample,
    }


def _rate(name: str, rate: Rate) -> Row:
    return _figure(name, rate["value"], rate["n"], rate["interval"])


def _spread(name: str, spread: Spread) -> list[Row]:
    return [
        _figure(f"{name}_median", spread["median"], spread["n"]),
        _figure(f"{name}_p90", spread["p90"], spread["n"]),
    ]


def summary_rows(report: Summary) -> list[Row]:
    """The summary as CSV rows: one per figure, the same numbers as the JSON."""
    rows = [
        _figure(metric, s["value"], s["n"], s["interval"], s["low_sample"])
        for metric, s in report["metrics"].items()
    ]
    ops = report["operations"]
    rows += [
        _figure("responses", report["responses"], None),
        _figure("invitations_sent", report["invitations_sent"], None),
        _figure("provisional_ratings_waiting", report["unconfirmed"]["provisional"], None),
        _figure("scanner_ratings_held", report["unconfirmed"]["scanner"], None),
        _rate("response_rate", report["response_rate"]),
        _rate("comment_rate", report["comment_rate"]),
        _figure("tickets", ops["tickets"], None),
        *_spread("first_response_seconds", ops["first_response_seconds"]),
        *_spread("resolution_seconds", ops["resolution_seconds"]),
        _rate("escalation_rate", ops["escalation_rate"]),
        _rate("reopen_rate", ops["reopen_rate"]),
        _rate("operational_fcr", ops["operational_fcr"]),
    ]
    return rows


def scorecard_rows(cards: Iterable[Scorecard | Mapping[str, Any]]) -> list[Row]:
    rows = []
    for card in cards:
        for metric, m in card["metrics"].items():
            rows.append(
                {
                    "agent": card["agent"],
                    "name": card["name"],
                    "team": card["team"],
                    "metric": metric,
                    "value": m["value"],
                    "n": m["n"],
                    **_bounds(m["interval"]),
                    "low_sample": m["low_sample"],
                    "target": m["target"],
                    "gap": m["gap"],
                    "shrunk": m["shrunk"]["estimate"] if m["shrunk"] else None,
                    "rank": m["rank"],
                }
            )
        rows += _complaint_rows(card)
    return rows


def _complaint_rows(card: Scorecard | Mapping[str, Any]) -> list[Row]:
    """The card's complaints in the scorecard columns: the count (``n``: answered
    surveys), then each share per 100 with its n and interval."""
    complaints = card["complaints"]
    who = {"agent": card["agent"], "name": card["name"], "team": card["team"]}
    empty = {"target": None, "gap": None, "shrunk": None, "rank": None}
    answered = complaints["per_100_answered"]
    rows: list[Row] = [
        {
            **who,
            "metric": "complaints",
            "value": complaints["count"],
            "n": answered["n"],
            **_bounds(None),
            "low_sample": answered["low_sample"],
            **empty,
        }
    ]
    for name in ("per_100_answered", "per_100_tickets"):
        share = complaints[name]
        rows.append(
            {
                **who,
                "metric": f"complaints_{name}",
                "value": share["value"],
                "n": share["n"],
                **_bounds(share["interval"]),
                "low_sample": share["low_sample"],
                **empty,
            }
        )
    return rows


def trend_rows(report: Trend) -> list[Row]:
    return [
        {
            "period": item["period"],
            "end": item["end"],
            "value": item["value"],
            "n": item["n"],
            **_bounds(item["interval"]),
            "low_sample": item["low_sample"],
            "good_pct": item["good_pct"],
            "centre_pct": item["centre_pct"],
            "lower_pct": item["lower_pct"],
            "upper_pct": item["upper_pct"],
            "out_of_control": item["out_of_control"],
        }
        for item in report["items"]
    ]


def driver_rows(report: Drivers) -> list[Row]:
    logistic = report["logistic"]
    coefficients = (logistic["coefficients"] if logistic else None) or []
    odds = {c["factor"]: c["odds_ratio_per_sd"] for c in coefficients}
    rows = []
    for d in report["differences"]:
        key = d["factor"] if d["factor"] != "channel" else f"channel={d['level']}"
        rows.append({**d, "odds_ratio_per_sd": odds.get(key)})
    return rows


def pareto_rows(report: Pareto) -> list[Row]:
    """One row per agent, then one per cause (``dimension`` says which)."""
    rows: list[Row] = [
        {
            "dimension": "agent",
            "agent": a["agent"],
            "name": a["name"],
            "team": a["team"],
            "target": None,
            "category": None,
            "complaints": a["complaints"],
            "share": a["share"],
            "cumulative_share": a["cumulative_share"],
            "vital": a["vital"],
        }
        for a in report["agents"]
    ]
    rows += [
        {
            "dimension": "category",
            "agent": None,
            "name": None,
            "team": None,
            "target": c["target"],
            "category": c["category"],
            "complaints": c["complaints"],
            "share": c["share"],
            "cumulative_share": c["cumulative_share"],
            "vital": c["vital"],
        }
        for c in report["categories"]
    ]
    return rows


def operations_rows(report: OperationsTrend) -> list[Row]:
    rows = []
    for item in report["items"]:
        first, resolution = item["first_response_seconds"], item["resolution_seconds"]
        escalation, reopen = item["escalation_rate"], item["reopen_rate"]
        rows.append(
            {
                "period": item["period"],
                "end": item["end"],
                "tickets": item["tickets"],
                "first_response_n": first["n"],
                "first_response_median_seconds": first["median"],
                "first_response_p90_seconds": first["p90"],
                "resolution_n": resolution["n"],
                "resolution_median_seconds": resolution["median"],
                "resolution_p90_seconds": resolution["p90"],
                "escalation_rate": escalation["value"],
                "escalation_n": escalation["n"],
                **{f"escalation_{k}": v for k, v in _bounds(escalation["interval"]).items()},
                "reopen_rate": reopen["value"],
                "reopen_n": reopen["n"],
                **{f"reopen_{k}": v for k, v in _bounds(reopen["interval"]).items()},
            }
        )
    return rows


def response_rate_rows(report: ResponseRates) -> list[Row]:
    """One row per figure, as the summary's CSV: ``figure``, value, n, interval."""
    rows = [_rate("response_rate", report["response_rate"])]
    rows += [
        _rate(f"response_rate_{d['delivery']}", d["response_rate"]) for d in report["by_delivery"]
    ]
    reminder = report["by_reminder"]
    rows += [
        _rate("answered_before_reminder", reminder["answered_before_reminder"]),
        _rate("answered_after_reminder", reminder["answered_after_reminder"]),
    ]
    rows += [_rate(f"answered_via_{w['way']}", w["share"]) for w in report["answered_via"]]
    return rows
