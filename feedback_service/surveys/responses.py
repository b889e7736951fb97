"""Collecting answers: one response per invitation, kept exactly once.

Functions take a session, flush and never commit; the request or task commits.

**The provisional rule.** Mail scanners (Outlook Safe Links, Gmail, corporate
gateways) fetch every link in an email before a person sees it, in order, so a
rating that arrives by GET from an email link (``/s/<token>?csat=4``) may not be
a person's. ``surveys/clicks.py`` keeps every such click; here:

1. A first one-click rating is stored at once as ``status="provisional"`` (a HEAD
   request stores nothing), and the survey page is shown with it selected.
2. It becomes ``confirmed`` only when a person is seen: the browser showed the
   page of that click (the page's script posts a beacon, which scanners that do
   not run scripts never send), the customer submitted the form or the JSON API,
   or a mail client made its one-click POST. No timer confirms it: an unseen
   rating waits, and reports show how many wait.
3. Several different ratings of one invitation within seconds and no page seen
   is a scanner: the response is ``scanner``, kept for audit, never counted,
   until a person is seen.

Scores and rollups count ``confirmed`` responses only. A confirmed response can
be changed within the survey's amend window (``amend_window_hours`` after the
first answer), then 409; a provisional or scanner one can always be changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Executable, Table, bindparam, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from feedback_service.db import after_commit, insert_for, utcnow
from feedback_service.errors import Conflict, Gone, NotFound, ValidationError
from feedback_service.helpdesk.models import Customer
from feedback_service.privacy.redact import redact_comment
from feedback_service.surveys import answers as custom_answers
from feedback_service.surveys import questions
from feedback_service.surveys.metrics import METRICS
from feedback_service.surveys.models import Invitation, Response, Survey
from feedback_service.surveys.service import cancel_scheduled, record_event
from feedback_service.surveys.signals import response_saved

MAX_COMMENT_LENGTH = 5000
# Invitations in these states take answers; suppressed, cancelled, failed and
# expired ones do not.
OPEN_STATUSES = ("scheduled", "sending", "sent")
PROVISIONAL = "provisional"
CONFIRMED = "confirmed"
# Several different one-click ratings within seconds and no page seen: kept, never counted.
SCANNER = "scanner"
WAITING = (PROVISIONAL, SCANNER)
# secrets.token_urlsafe output; anything else is not worth a query.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class InvitationNotFound(NotFound):
    code = "invitation_not_found"


class SurveyClosed(Gone):
    code = "survey_closed"


class AmendWindowClosed(Conflict):
    code = "amend_window_closed"


@dataclass
class Saved:
    response: Response
    created: bool
    # False when the submission repeated what was stored (a double click).
    changed: bool


# --- reading ----------------------------------------------------------------------


def find_by_token(
    session: Session, token: str, *, with_ticket: bool = False
) -> tuple[Invitation, Response | None]:
    """The invitation, its survey and its response (if any) in one query."""
    if not TOKEN_RE.match(token or ""):
        raise InvitationNotFound("No survey for this link.", fields={"token": ["Unknown token."]})
    options = [joinedload(Invitation.survey)]
    if with_ticket:
        options.append(joinedload(Invitation.ticket))
    row = session.execute(
        select(Invitation, Response)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.token == token)
        .options(*options)
    ).first()
    if row is None:
        raise InvitationNotFound("No survey for this link.", fields={"token": ["Unknown token."]})
    return row[0], row[1]


def is_open(invitation: Invitation, now: dt.datetime) -> bool:
    """Whether a first answer is still taken (an existing one follows the amend rule)."""
    return invitation.status in OPEN_STATUSES and (
        invitation.expires_at is None or invitation.expires_at > now
    )


def amend_deadline(response: Response, survey: Survey) -> dt.datetime:
    return response.submitted_at + dt.timedelta(hours=survey.amend_window_hours)


def can_amend(response: Response, survey: Survey, now: dt.datetime) -> bool:
    return response.status != CONFIRMED or now <= amend_deadline(response, survey)


def check_can_answer(invitation: Invitation, response: Response | None, now: dt.datetime) -> None:
    """410 for a closed invitation without an answer, 409 after the amend window."""
    if response is None:
        if not is_open(invitation, now):
            raise SurveyClosed("This survey is closed; it no longer takes answers.")
    elif not can_amend(response, invitation.survey, now):
        deadline = amend_deadline(response, invitation.survey)
        raise AmendWindowClosed(
            f"The answers can no longer be changed (they could until {deadline.isoformat()})."
        )


# --- validating -------------------------------------------------------------------


def on_scale(metric: str, value: Any) -> int | None:
    """The stored integer for ``value`` of ``metric``, or None if it is not one.

    FCR is a JSON boolean (stored 1/0); the others are integers on their scale
    (a boolean is not an integer here).
    """
    if metric not in METRICS:
        return None
    try:
        stored: int = questions.parse({"metric": metric}, value)
    except questions.BadAnswer:
        return None
    return stored


@dataclass(frozen=True)
class Validated:
    """A submission's values: built-in metrics (stored on the response), a team's
    own questions (``response_answers``), stored answers whose question is no longer
    shown, and the questions shown once these answers are in."""

    metrics: dict[str, int]
    custom: dict[str, Any]
    dropped: list[str]
    shown: list[str]


def check_answers(
    survey: Survey,
    answers: Mapping[str, Any],
    stored: Mapping[str, Any],
    *,
    enforce_required: Callable[[str], bool] = lambda _key: False,
) -> Validated:
    """Plain values -> stored values, or a 422 naming each bad field and why: off its
    scale, not one of its options, given while its ``show_if`` is false, or a shown
    required question left unanswered (where ``enforce_required`` says so)."""
    checked = questions.check(survey.questions, answers, stored, enforce_required=enforce_required)
    if checked.errors:
        raise ValidationError(
            "Some answers are not valid: " + ", ".join(sorted(checked.errors)),
            fields=checked.errors,
        )
    metrics = {k: v for k, v in checked.given.items() if k in METRICS}
    custom = {k: v for k, v in checked.given.items() if k not in METRICS}
    texts = {questions.key_of(q) for q in survey.questions if questions.type_of(q) == "text"}
    for key in texts & set(custom):
        # Free text, like the comment: PII redacted before it is stored.
        custom[key] = redact_comment(custom[key]) or custom[key]
    return Validated(metrics, custom, checked.dropped, checked.shown)


def validate_answers(survey: Survey, answers: Mapping[str, Any]) -> dict[str, int]:
    """The built-in metrics of ``answers`` as stored integers, or a 422 naming each
    bad one and its scale (a one-click rating: nothing else is taken)."""
    return check_answers(survey, answers, {}).metrics


def clean_comment(comment: str | None) -> str | None:
    """The comment as stored: stripped, at most MAX_COMMENT_LENGTH, PII redacted."""
    if comment is None:
        return None
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            f"The comment is {len(comment)} characters; at most {MAX_COMMENT_LENGTH} are kept.",
            fields={"comment": [f"Longer than {MAX_COMMENT_LENGTH} characters."]},
        )
    return redact_comment(comment) or None


# --- writing ----------------------------------------------------------------------


RESPONSES: Table = Response.__table__  # type: ignore[assignment]
INVITATIONS: Table = Invitation.__table__  # type: ignore[assignment]


@functools.cache
def _insert_response(dialect: str) -> Executable:
    """One invitation holds one response: when a concurrent first answer got there
    first this INSERT does nothing, and ``save`` amends the winner's row instead."""
    return (
        insert_for(dialect, RESPONSES)
        .on_conflict_do_nothing(index_elements=[RESPONSES.c.invitation_id])
        .returning(RESPONSES.c.id)
    )


# The invitation keeps when it was first answered: one UPDATE after the INSERT.
MARK_ANSWERED = (
    update(INVITATIONS)
    .where(INVITATIONS.c.id == bindparam("invitation_id"), INVITATIONS.c.answered_at.is_(None))
    .values(answered_at=bindparam("now"))
)


def _notify(session: Session, response_id: int) -> None:
    """``response_saved`` once the change is durable; dropped on rollback."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def send() -> None:
        response_saved.send(app, response_id=response_id)

    after_commit(session, send)


def save(
    session: Session,
    invitation: Invitation,
    response: Response | None,
    answers: Mapping[str, int],
    comment: str | None,
    *,
    source: str,
    provisional: bool = False,
    scanner: bool = False,
    custom: Mapping[str, Any] | None = None,
    dropped: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Saved:
    """Create the invitation's response or amend it; never a second one.

    ``answers`` are validated values (``validate_answers``); metrics not given keep
    their stored value, and so does the comment when ``comment`` is None. The
    unique ``invitation_id`` decides under concurrency: the INSERT does nothing if
    another request got there first, and this one then amends the winner's row
    under a row lock, so two identical submissions racing make one response.

    ``provisional`` (a one-click rating nobody was seen giving) stores the answer
    as ``provisional``, or ``scanner`` with ``scanner``; otherwise a person gave
    it and the response is confirmed. ``custom`` are the answers to the survey's
    own questions and ``dropped`` those of its stored ones no longer shown
    (``check_answers``), kept in ``response_answers`` with the survey's version.
    """
    now = now or utcnow()
    check_can_answer(invitation, response, now)
    custom = custom or {}
    version = invitation.survey.version or 1
    if response is None:
        status = (SCANNER if scanner else PROVISIONAL) if provisional else CONFIRMED
        created = _create(session, invitation, answers, comment, source, status, now)
        if created is not None:
            custom_answers.write(
                session, created.id, custom, (), definition_version=version, now=now
            )
            return Saved(created, created=True, changed=True)
    locked = session.scalars(
        select(Response)
        .where(Response.invitation_id == invitation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    # The row may have changed while we waited for its lock.
    check_can_answer(invitation, locked, now)
    status = (SCANNER if scanner else PROVISIONAL) if provisional else CONFIRMED
    changed = _amend(locked, answers, comment, status, now)
    if (
        custom_answers.write(
            session, locked.id, custom, dropped, definition_version=version, now=now
        )
        and not changed
    ):
        # Only the survey's own questions changed: still a new version of the answer.
        locked.version += 1
        locked.updated_at = now
        changed = True
    if changed:
        session.flush()
        _notify(session, locked.id)
    return Saved(locked, created=False, changed=changed)


def _create(
    session: Session,
    invitation: Invitation,
    answers: Mapping[str, int],
    comment: str | None,
    source: str,
    status: str,
    now: dt.datetime,
) -> Response | None:
    values: dict[str, Any] = {
        "invitation_id": invitation.id,
        "survey_id": invitation.survey_id,
        "ticket_id": invitation.ticket_id,
        "customer_id": invitation.customer_id,
        "agent_id": invitation.agent_id,
        "team_id": invitation.team_id,
        "channel": invitation.channel,
        "locale": invitation.locale,
        "comment": comment,
        "status": status,
        "source": source,
        **{metric: answers.get(metric) for metric in METRICS},
    }
    confirmed_at = now if status == CONFIRMED else None
    connection = session.connection()
    new_id = connection.execute(
        _insert_response(connection.dialect.name),
        {
            **values,
            "submitted_at": now,
            "updated_at": now,
            "confirmed_at": confirmed_at,
            "version": 1,
            "processed_version": 0,
        },
    ).scalar()
    if new_id is None:
        return None
    connection.execute(MARK_ANSWERED, {"invitation_id": invitation.id, "now": now})
    if invitation.answered_at is None:
        # Written by the statement above; the loaded object is told so, unflushed.
        set_committed_value(invitation, "answered_at", now)
    _notify(session, new_id)
    # The row as inserted, without reading it back.
    return Response(
        id=new_id,
        submitted_at=now,
        updated_at=now,
        confirmed_at=confirmed_at,
        version=1,
        processed_version=0,
        **values,
    )


def response_json(
    response_id: int,
    status: str,
    answers: Mapping[str, int],
    comment: str | None,
    submitted_at: dt.datetime,
    updated_at: dt.datetime,
    amend_until: dt.datetime,
    custom: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A response as the JSON API shows it (``schemas.ResponseOut``, already dumped:
    the answer endpoint skips marshmallow; a test checks the two agree): the
    built-in metrics, then the answers to the survey's own questions."""
    shown: dict[str, Any] = {}
    for metric in METRICS:
        value = answers.get(metric)
        if value is not None:
            shown[metric] = bool(value) if metric == "fcr" else value
    shown.update(custom or {})
    return {
        "id": response_id,
        "status": status,
        "answers": shown,
        "comment": comment,
        "submitted_at": submitted_at.isoformat(),
        "updated_at": updated_at.isoformat(),
        "amend_until": amend_until.isoformat(),
    }


def _amend(
    response: Response,
    answers: Mapping[str, int],
    comment: str | None,
    status: str,
    now: dt.datetime,
) -> bool:
    changed = False
    if response.status == SCANNER and status == CONFIRMED:
        # Every rating a scanner response holds came from links nobody was seen
        # following: a person confirms what they give now, not what the scanner clicked.
        for metric in METRICS:
            if metric not in answers and getattr(response, metric) is not None:
                setattr(response, metric, None)
                changed = True
    for metric, value in answers.items():
        if getattr(response, metric) != value:
            setattr(response, metric, value)
            changed = True
    if comment is not None and comment != response.comment:
        response.comment = comment
        changed = True
    if response.status != status:
        response.status = status
        response.confirmed_at = now if status == CONFIRMED else None
        changed = True
    if changed:
        response.version += 1
        response.updated_at = now
    return changed


def unprocessed_ids(session: Session, grace: dt.timedelta, limit: int = 5000) -> list[int]:
    """Responses whose latest version no worker has processed, older than ``grace``
    (younger ones normally still have their task on its way through the broker)."""
    return list(
        session.scalars(
            select(Response.id)
            .where(
                Response.processed_version < Response.version,
                Response.updated_at <= utcnow() - grace,
            )
            .order_by(Response.id)
            .limit(limit)
        )
    )


def unsubscribe(session: Session, invitation: Invitation, now: dt.datetime | None = None) -> bool:
    """Suppress every future invitation to the customer; cancel those not yet sent.

    Returns whether anything changed (a second click is harmless).
    """
    now = now or utcnow()
    customer = session.get_one(Customer, invitation.customer_id)
    changed = customer.unsubscribed_at is None
    if changed:
        customer.unsubscribed_at = now
    which = Invitation.customer_id == customer.id
    if cancel_scheduled(session, which, "unsubscribed", "customer unsubscribed"):
        changed = True
    if changed:
        record_event(session, invitation.id, "unsubscribed")
    session.flush()
    return changed
