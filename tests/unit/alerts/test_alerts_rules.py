"""The pure parts of alerts: which answers alert, the webhook signature, and how a
payload is listed in an email."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback_service.alerts import rules
from feedback_service.alerts.mail import fmt, payload_lines
from feedback_service.alerts.webhook import signature

DEFAULTS = rules.DEFAULT_TRIGGERS


@pytest.mark.parametrize(
    ("answers", "metrics"),
    [
        ({"nps": 6}, ["nps"]),  # a detractor (0-6)
        ({"nps": 0}, ["nps"]),
        ({"nps": 7}, []),  # a passive
        ({"csat": 2}, ["csat"]),
        ({"csat": 1, "ces": 1}, ["csat", "ces"]),
        ({"csat": 3}, []),
        ({"ces": 2}, ["ces"]),
        ({"ces": 3}, []),
        ({"fcr": 0}, []),  # "not resolved" alone is off by default
        ({"csat": 5, "ces": 7, "fcr": 1}, []),
        ({}, []),
    ],
)
def test_the_default_triggers_follow_the_bad_end_of_each_scale(
    answers: dict[str, int], metrics: list[str]
) -> None:
    reasons = rules.alarming(answers, "Some words.", DEFAULTS)
    assert [r.metric for r in reasons] == metrics


def test_a_comment_is_needed_unless_the_settings_say_otherwise() -> None:
    assert rules.alarming({"csat": 1}, None, DEFAULTS) == []
    assert rules.alarming({"csat": 1}, " \n\t", DEFAULTS) == []
    assert [r.metric for r in rules.alarming({"csat": 1}, None, DEFAULTS, False)] == ["csat"]


def test_a_switched_off_metric_or_a_custom_threshold_is_respected() -> None:
    custom = {"nps": None, "csat": 3, "ces": None, "fcr": 0}
    assert rules.alarming({"nps": 0}, "x", custom) == []
    assert [r.metric for r in rules.alarming({"csat": 3, "fcr": 0}, "x", custom)] == [
        "csat",
        "fcr",
    ]
    [reason] = rules.alarming({"csat": 3}, "x", custom)
    assert (reason.value, reason.threshold, reason.label) == (3, 3, "CSAT 3 (neutral)")


def test_trigger_ranges_stop_below_the_top_of_each_scale() -> None:
    assert rules.TRIGGER_RANGES == {
        "nps": (0, 9),
        "csat": (1, 4),
        "ces": (1, 6),
        "fcr": (0, 0),
    }


answer_sets = st.fixed_dictionaries(
    {},
    optional={
        "nps": st.integers(0, 10),
        "csat": st.integers(1, 5),
        "ces": st.integers(1, 7),
        "fcr": st.integers(0, 1),
    },
)
trigger_sets = st.fixed_dictionaries(
    {
        "nps": st.none() | st.integers(0, 9),
        "csat": st.none() | st.integers(1, 4),
        "ces": st.none() | st.integers(1, 6),
        "fcr": st.none() | st.just(0),
    }
)


@given(answer_sets, trigger_sets, st.none() | st.text(max_size=5), st.booleans())
def test_alarming_agrees_with_a_brute_force_reading(
    answers: dict[str, int], triggers: dict[str, int | None], comment: str | None, need: bool
) -> None:
    commented = comment is not None and comment.strip() != ""
    expected = [
        m
        for m in ("nps", "csat", "ces", "fcr")
        if m in answers and triggers[m] is not None and answers[m] <= triggers[m]  # type: ignore[operator]
    ]
    if need and not commented:
        expected = []
    assert [r.metric for r in rules.alarming(answers, comment, triggers, need)] == expected


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"id":1,"kind":"detractor_response"}'
    expected = hmac.new(b"k" * 20, b"1764640000." + body, hashlib.sha256).hexdigest()
    assert signature("k" * 20, "1764640000", body) == f"sha256={expected}"
    assert signature("k" * 20, "1764640001", body) != f"sha256={expected}"
    assert signature("k" * 19 + "x", "1764640000", body) != f"sha256={expected}"


def test_payload_lines_flatten_nested_values_and_leave_the_comment_out() -> None:
    lines = payload_lines(
        {
            "comment": "shown on its own",
            "ticket": {"id": "T-1", "product": None},
            "answers": {"csat": 1},
            "reasons": ["csat", "ces"],
            "count": 3,
            "examples": [{"comment": "Login loops", "ticket": "T-9"}, "plain"],
        }
    )
    assert lines == [
        ("ticket.id", "T-1"),
        ("answers.csat", "1"),
        ("reasons", "csat, ces"),
        ("count", "3"),
        ("examples.1.comment", "Login loops"),
        ("examples.1.ticket", "T-9"),
        ("examples.2", "plain"),
    ]


def test_figures_in_emails() -> None:
    assert fmt(None) == "-"
    assert fmt(82.345) == "82.3"
    assert fmt(-3.5, signed=True) == "-3.5"
    assert fmt(4.0, signed=True) == "+4.0"
    assert fmt(4, signed=True) == "+4"


@pytest.mark.parametrize(
    ("age", "max_age_hours", "fresh"),
    [
        (dt.timedelta(hours=47, minutes=59), 48, True),
        (dt.timedelta(hours=48), 48, True),  # the limit itself still alerts
        (dt.timedelta(hours=48, seconds=1), 48, False),
        (dt.timedelta(days=120), 48, False),
        (dt.timedelta(days=120), 0, True),  # 0: no limit
        (dt.timedelta(0), 1, True),
    ],
)
def test_only_a_fresh_answer_may_alert(age: dt.timedelta, max_age_hours: int, fresh: bool) -> None:
    now = dt.datetime(2026, 12, 5, 23, 0, tzinfo=dt.UTC)
    assert rules.is_fresh(now - age, now, max_age_hours) is fresh
