"""Survey tokens in log lines: masked to a prefix, everything else left alone."""

from __future__ import annotations

import logging

from feedback_service.access_log import TokenMaskingFilter, mask_tokens

TOKEN = "Qx7pL2mN9vR4sT6wY8zA1bC3dE5fG7hJ"


def test_tokens_in_survey_paths_and_queries_are_cut_to_a_prefix() -> None:
    cases = {
        f"GET /s/{TOKEN}?rating=5 HTTP/1.1": "GET /s/Qx7p…?rating=5 HTTP/1.1",
        f"/s/{TOKEN}/thanks": "/s/Qx7p…/thanks",
        f"/s/{TOKEN}/seen": "/s/Qx7p…/seen",
        f"/u/{TOKEN}": "/u/Qx7p…",
        f"/api/v1/surveys/by-token/{TOKEN}": "/api/v1/surveys/by-token/Qx7p…",
        f"https://feedback.example/s/{TOKEN}?embed=1": "https://feedback.example/s/Qx7p…?embed=1",
        f"/widget?token={TOKEN}&x=1": "/widget?token=Qx7p…&x=1",
    }
    for line, masked in cases.items():
        assert mask_tokens(line) == masked
        assert TOKEN not in mask_tokens(line)


def test_other_paths_are_unchanged() -> None:
    for line in ("GET /api/v1/reports/agents/17 HTTP/1.1", "/dashboard/agents?days=30", "/s/"):
        assert mask_tokens(line) == line


def test_the_logging_filter_masks_formatted_messages() -> None:
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - "%s" %s',
        ("1.2.3.4", f"GET /s/{TOKEN}", 200),
        None,
    )
    assert TokenMaskingFilter().filter(record)
    assert record.getMessage() == '1.2.3.4 - "GET /s/Qx7p…" 200'
