"""Collect: every way a customer answers goes through ``submit()``.

The ways differ only in who is behind them and how the answer is stored:

========================  ===============================  ==========================
way                       route                            stored as
========================  ===============================  ==========================
``Way.FORM``              ``POST /s/<token>`` (the page)   confirmed, source "page"
``Way.CLICK``             ``GET /s/<token>?csat=4``        provisional (or scanner),
                                                           source "link", click kept
``Way.ONE_CLICK_POST``    ``POST /s/<token>?csat=4``       confirmed, source "link"
                          (a mail client, RFC 8058)
``Way.API``               ``POST /api/v1/responses``       confirmed, source "api"
                          (the widget and apps)
========================  ===============================  ==========================

``submit()`` checks the invitation first (unknown 404, closed 410, amend window
over 409), then the values (422 naming each field), then saves through
``surveys.responses`` (one response per invitation) or, for one-click ratings,
``surveys.clicks`` (the provisional rule). Routes parse the request into plain
values, call ``submit()``, and render or serialise what it returns; the request
commits. ``seen()`` is the page's beacon: a person was seen on a click's page.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from feedback_service.db import utcnow
from feedback_service.errors import ValidationError
from feedback_service.surveys import answers as answers_store
from feedback_service.surveys import clicks, questions, responses
from feedback_service.surveys.models import Invitation, Survey
from feedback_service.surveys.models import Response as SurveyResponse


class Way(enum.Enum):
    """How an answer arrived."""

    FORM = "form"
    CLICK = "click"
    ONE_CLICK_POST = "one_click_post"
    API = "api"

    @property
    def source(self) -> str:
        """The response's stored ``source``: where the customer answered."""
        return _SOURCES[self]


_SOURCES = {Way.FORM: "page", Way.CLICK: "link", Way.ONE_CLICK_POST: "link", Way.API: "api"}


@dataclass(frozen=True)
class Found:
    """An invitation (with its survey) and its response, if it has one."""

    invitation: Invitation
    response: SurveyResponse | None


@dataclass(frozen=True)
class Submitted:
    """What a submission left: the response as the JSON API shows it
    (``schemas.ResponseOut``, dumped), whether this call created it, the stored
    response, the click where the way has one, and the questions shown now that
    these answers are in (a follow-up appears after a low rating)."""

    shown: dict[str, Any]
    created: bool
    response: SurveyResponse
    click_id: int | None = None
    shown_questions: tuple[str, ...] = ()


def find(session: Session, token: str, *, with_ticket: bool = False) -> Found:
    """The invitation of ``token`` and its response; 404 for an unknown token."""
    invitation, response = responses.find_by_token(session, token, with_ticket=with_ticket)
    return Found(invitation, response)


def submit(
    session: Session,
    token: str,
    answers: Mapping[str, Any],
    comment: str | None,
    *,
    way: Way,
    found: Found | None = None,
    asked: Collection[str] | None = None,
    now: dt.datetime | None = None,
) -> Submitted:
    """Record what the customer sent ``way``; flushes, never commits.

    ``answers`` are plain values (ints, JSON booleans for FCR, option values,
    text), not yet checked; ``found`` is the invitation when the caller has loaded
    it already (the pages do, to speak its language). Nothing at all is a 422,
    except the form on an invitation that has a response: submitting the page as
    it is confirms it. A shown required question must be answered through the
    JSON API, and through the form once the page showed it (``asked``); a one-click
    rating carries only its metric.
    """
    now = now or utcnow()
    found = found or find(session, token)
    invitation, response = found.invitation, found.response
    responses.check_can_answer(invitation, response, now)
    survey = invitation.survey
    stored_custom = _custom_of(session, response, survey)
    stored: dict[str, Any] = {}
    if response is not None and response.status != responses.SCANNER:
        # What a scanner clicked is not the person's answer (``responses._amend``).
        stored = {**response.answers(), **stored_custom}
    one_click = way in (Way.CLICK, Way.ONE_CLICK_POST)
    valid = responses.check_answers(
        survey,
        answers,
        stored,
        enforce_required=lambda key: not one_click and (asked is None or key in asked),
    )
    clean = valid.metrics
    if one_click and valid.custom:
        raise ValidationError(
            "A one-click link carries a rating only.",
            fields={f"answers.{k}": ["Not a one-click rating."] for k in valid.custom},
        )
    cleaned_comment = responses.clean_comment(comment)
    nothing = not (clean or valid.custom) and cleaned_comment is None
    if nothing and (way is not Way.FORM or response is None):
        raise ValidationError(
            "Give at least one answer or a comment.", fields={"answers": ["Nothing to save."]}
        )
    click_id = None
    if way is Way.CLICK:
        saved, click = clicks.record(session, invitation, response, clean, now=now)
        click_id = click.id
    elif way is Way.ONE_CLICK_POST:
        saved = clicks.posted(session, invitation, response, clean, now=now)
    else:
        saved = responses.save(
            session,
            invitation,
            response,
            clean,
            cleaned_comment,
            source=way.source,
            custom=valid.custom,
            dropped=valid.dropped,
            now=now,
        )
    custom = {k: v for k, v in stored_custom.items() if k not in valid.dropped}
    custom.update(valid.custom)
    return Submitted(
        shown(saved.response, invitation, custom),
        saved.created,
        saved.response,
        click_id=click_id,
        shown_questions=tuple(valid.shown),
    )


def _custom_of(session: Session, response: SurveyResponse | None, survey: Survey) -> dict[str, Any]:
    """The stored answers to the survey's own questions (no query when it has none)."""
    if response is None or not questions.custom(survey.questions):
        return {}
    return answers_store.of_response(session, response.id)


def seen(session: Session, found: Found, click_id: int, *, now: dt.datetime | None = None) -> bool:
    """The page of one-click rating ``click_id`` was shown to a person (its beacon):
    the rating is theirs, confirmed. False if the click is not this invitation's."""
    click = clicks.find(session, found.invitation, click_id)
    if click is None:
        return False
    clicks.seen(session, found.invitation, found.response, click, now=now or utcnow())
    return True


def shown(
    response: SurveyResponse,
    invitation: Invitation,
    custom: Mapping[str, Any] | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """A stored response as the JSON API shows it; the answers to the survey's own
    questions are ``custom``, or read through ``session``."""
    if custom is None and session is not None:
        custom = _custom_of(session, response, invitation.survey)
    return responses.response_json(
        response.id,
        response.status,
        response.answers(),
        response.comment,
        response.submitted_at,
        response.updated_at,
        responses.amend_deadline(response, invitation.survey),
        custom,
    )
