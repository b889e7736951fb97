"""The collect rules as plain functions: scales, comments, windows, link values."""

from __future__ import annotations

import datetime as dt

import pytest

from feedback_service.errors import ValidationError
from feedback_service.surveys import responses
from feedback_service.surveys.models import Invitation, Response, Survey
from feedback_service.surveys.pages import _parse

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def survey(*metrics: str, window: int = 24) -> Survey:
    return Survey(questions=[{"metric": m} for m in metrics], amend_window_hours=window)


def test_answers_on_their_scales_become_stored_integers() -> None:
    s = survey("csat", "nps", "ces", "fcr")
    assert responses.validate_answers(s, {"csat": 1, "nps": 10, "ces": 7, "fcr": False}) == {
        "csat": 1,
        "nps": 10,
        "ces": 7,
        "fcr": 0,
    }
    assert responses.validate_answers(s, {}) == {}


def test_every_bad_answer_is_named_with_its_scale() -> None:
    with pytest.raises(ValidationError) as caught:
        responses.validate_answers(
            survey("csat", "fcr"), {"csat": 0, "fcr": 1, "nps": 5, "ces": True}
        )
    fields = caught.value.fields
    assert fields["answers.csat"] == ["csat must be an integer from 1 to 5."]
    assert fields["answers.fcr"] == ["fcr must be true or false."]
    assert "does not ask 'nps'" in fields["answers.nps"][0]
    assert "does not ask 'ces'" in fields["answers.ces"][0]


def test_comments_are_trimmed_and_capped_at_5000() -> None:
    assert responses.clean_comment(None) is None
    assert responses.clean_comment("   ") is None
    assert responses.clean_comment("  ok \n") == "ok"
    assert responses.clean_comment("x" * 5000) == "x" * 5000
    with pytest.raises(ValidationError) as caught:
        responses.clean_comment("x" * 5001)
    assert "comment" in caught.value.fields


def test_open_invitations_and_the_amend_window() -> None:
    invitation = Invitation(status="sent", expires_at=NOW + dt.timedelta(days=1))
    assert responses.is_open(invitation, NOW)
    assert not responses.is_open(invitation, NOW + dt.timedelta(days=2))
    for status in ("expired", "suppressed", "cancelled", "failed"):
        assert not responses.is_open(Invitation(status=status, expires_at=None), NOW)

    s = survey("csat", window=24)
    confirmed = Response(status="confirmed", submitted_at=NOW)
    assert responses.can_amend(confirmed, s, NOW + dt.timedelta(hours=24))
    assert not responses.can_amend(confirmed, s, NOW + dt.timedelta(hours=24, seconds=1))
    provisional = Response(status="provisional", submitted_at=NOW)
    assert responses.can_amend(provisional, s, NOW + dt.timedelta(days=30))


def test_link_and_form_values_are_parsed_for_the_validator() -> None:
    assert _parse("csat", " 4 ") == 4
    assert _parse("fcr", "1") is True and _parse("fcr", "no") is False
    assert _parse("fcr", "maybe") == "maybe"
    assert _parse("nps", "ten") == "ten"


@pytest.mark.parametrize("token", ["", "short", "a" * 65, "has space here 123", "../../etc/passwd"])
def test_tokens_that_cannot_exist_are_not_looked_up(token: str) -> None:
    with pytest.raises(responses.InvitationNotFound):
        responses.find_by_token(None, token)  # type: ignore[arg-type]
