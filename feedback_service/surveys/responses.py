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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Engine, Integer, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from feedback_service.db import UTCDateTime, after_commit, utcnow
from feedback_service.errors import Conflict, Gone, NotFound, ValidationError
from feedback_service.helpdesk.models import Customer
from feedback_service.privacy.redact import redact_comment
from feedback_service.surveys.metrics import METRICS
from feedback_service.surveys.models import Invitation, Response, Survey
from feedback_service.surveys.service import record_event, survey_terms
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
    spec = METRICS.get(metric)
    if spec is None:
        return None
    if metric == "fcr":
        return int(value) if isinstance(value, bool) else None
    if isinstance(value, int) and not isinstance(value, bool) and spec.accepts(value):
        return value
    return None


def validate_answers(survey: Survey, answers: Mapping[str, Any]) -> dict[str, int]:
    """Plain values -> stored integers, or a 422 naming each bad metric and its scale.

    Only the survey's own metrics are taken.
    """
    clean: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    asked = survey.metrics
    for metric, value in answers.items():
        field = f"answers.{metric}"
        spec = METRICS.get(metric)
        stored = on_scale(metric, value)
        if spec is None or metric not in asked:
            errors[field] = [f"This survey does not ask '{metric}'; it asks {', '.join(asked)}."]
        elif stored is None:
            errors[field] = [f"{metric} must be {spec.scale_text()}."]
        else:
            clean[metric] = stored
    if errors:
        raise ValidationError(
            "Some answers are not on their scale: " + ", ".join(sorted(errors)), fields=errors
        )
    return clean


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


_INSERT_COLUMNS = (
    "invitation_id, survey_id, ticket_id, customer_id, agent_id, team_id, channel, locale, "
    "csat, nps, ces, fcr, comment, status, source, submitted_at, updated_at, confirmed_at, "
    "version, processed_version"
)
_INSERT_VALUES = (
    ":invitation_id, :survey_id, :ticket_id, :customer_id, :agent_id, :team_id, :channel, "
    ":locale, :csat, :nps, :ces, :fcr, :comment, :status, :source, :now, :now, :confirmed_at, "
    "1, 0"
)
_TIMES = (bindparam("now", type_=UTCDateTime), bindparam("confirmed_at", type_=UTCDateTime))
# The first answer is the hot path (every email click and widget post): prebuilt
# SQL, one round trip on PostgreSQL (the invitation's answered_at is set in the
# same statement), two on SQLite, which has no INSERT inside WITH.
INSERT_RESPONSE_PG = text(
    f"""
    WITH inserted AS (
        INSERT INTO responses ({_INSERT_COLUMNS}) VALUES ({_INSERT_VALUES})
        ON CONFLICT (invitation_id) DO NOTHING
        RETURNING id
    ), answered AS (
        UPDATE invitations SET answered_at = :now
        WHERE id = :invitation_id AND answered_at IS NULL
          AND EXISTS (SELECT 1 FROM inserted)
    )
    SELECT id FROM inserted
    """  # noqa: S608 (built from the constant column lists above; no input)
).bindparams(*_TIMES)
INSERT_RESPONSE = text(
    f"INSERT INTO responses ({_INSERT_COLUMNS}) VALUES ({_INSERT_VALUES}) "  # noqa: S608
    "ON CONFLICT (invitation_id) DO NOTHING RETURNING id"
).bindparams(*_TIMES)
MARK_ANSWERED = text(
    "UPDATE invitations SET answered_at = :now WHERE id = :invitation_id AND answered_at IS NULL"
).bindparams(*_TIMES[:1])


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
    it and the response is confirmed.
    """
    now = now or utcnow()
    check_can_answer(invitation, response, now)
    if response is None:
        status = (SCANNER if scanner else PROVISIONAL) if provisional else CONFIRMED
        created = _create(session, invitation, answers, comment, source, status, now)
        if created is not None:
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
    params = {**values, "now": now, "confirmed_at": now if status == CONFIRMED else None}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        new_id = connection.execute(INSERT_RESPONSE_PG, params).scalar()
    else:
        new_id = connection.execute(INSERT_RESPONSE, params).scalar()
        if new_id is not None:
            connection.execute(MARK_ANSWERED, params)
    if new_id is None:
        return None
    if invitation.answered_at is None:
        # Written by the statement above; the loaded object is told so, unflushed.
        set_committed_value(invitation, "answered_at", now)
    _notify(session, new_id)
    # The row as inserted, without reading it back.
    return Response(
        id=new_id,
        submitted_at=now,
        updated_at=now,
        confirmed_at=params["confirmed_at"],
        version=1,
        processed_version=0,
        **values,
    )


# --- the first answer by the JSON API, in one statement ------------------------


# The invitation is found by its token and answered in the same statement, only
# if it is open and its survey is one that asks every metric given; otherwise
# nothing is written and the caller takes the general path, which explains why.
FIRST_ANSWER_PG = text(
    f"""
    WITH inv AS (
        SELECT id, survey_id, ticket_id, customer_id, agent_id, team_id, channel, locale
        FROM invitations
        WHERE token = :token AND survey_id = ANY(:survey_ids)
          AND status IN ('scheduled', 'sending', 'sent')
          AND (expires_at IS NULL OR expires_at > :now)
    ), inserted AS (
        INSERT INTO responses ({_INSERT_COLUMNS})
        SELECT id, survey_id, ticket_id, customer_id, agent_id, team_id, channel, locale,
               :csat, :nps, :ces, :fcr, :comment, :status, :source, :now, :now,
               :confirmed_at, 1, 0
        FROM inv
        ON CONFLICT (invitation_id) DO NOTHING
        RETURNING id, survey_id
    ), answered AS (
        UPDATE invitations SET answered_at = :now
        WHERE id = (SELECT id FROM inv) AND answered_at IS NULL
          AND EXISTS (SELECT 1 FROM inserted)
    )
    SELECT id, survey_id FROM inserted
    """  # noqa: S608 (built from the constant column list above; no input)
).bindparams(*_TIMES, bindparam("survey_ids", type_=ARRAY(Integer)))


def answer_first_time(
    session: Session,
    token: str,
    answers: Mapping[str, Any],
    comment: str | None,
    *,
    source: str,
    now: dt.datetime | None = None,
) -> dict[str, Any] | None:
    """The common case of the JSON API, in one round trip on PostgreSQL: a first,
    valid answer to an open invitation. Returns the response as the API shows it,
    or None having written nothing (any other case: an amendment, a bad value,
    a closed survey, an unknown token, SQLite), for the general path to handle.

    The statement is atomic on its own, so when the session has its own
    connection it runs in autocommit: durable when it returns, without the
    BEGIN and COMMIT round trips. The request's ``session.commit()`` then only
    runs the after-commit hooks (the analysis task is sent). Inside a caller's
    transaction (tests) it joins that transaction instead.
    """
    if session.get_bind().dialect.name != "postgresql" or not TOKEN_RE.match(token):
        return None
    stored: dict[str, int] = {}
    for metric, value in answers.items():
        clean = on_scale(metric, value)
        if clean is None:
            return None
        stored[metric] = clean
    if comment is not None:
        comment = comment.strip() or None
        if comment is not None and len(comment) > MAX_COMMENT_LENGTH:
            return None
        comment = redact_comment(comment)
    if not stored and comment is None:
        return None
    bind = session.get_bind()
    autocommit = isinstance(bind, Engine) and not session.in_transaction()
    terms = survey_terms(session)
    survey_ids = [t.id for t in terms.values() if t.metrics.issuperset(stored)]
    if not survey_ids:
        return None
    now = now or utcnow()
    params = {
        "token": token,
        "survey_ids": survey_ids,
        **{metric: stored.get(metric) for metric in METRICS},
        "comment": comment,
        "status": CONFIRMED,
        "source": source,
        "now": now,
        "confirmed_at": now,
    }
    if autocommit:
        row = _first_answer_autocommit(bind, params)  # type: ignore[arg-type]
    else:
        row = session.connection().execute(FIRST_ANSWER_PG, params).first()
    if row is None:
        return None
    response_id, survey_id = row[0], row[1]
    _notify(session, response_id)
    window = terms[survey_id].amend_window_hours
    return response_json(
        response_id, CONFIRMED, stored, comment, now, now, now + dt.timedelta(hours=window)
    )


_first_answer_sql: dict[str, str] = {}


def _first_answer_autocommit(engine: Engine, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """FIRST_ANSWER_PG on a pooled connection of its own, in autocommit, straight
    through the driver: this is most of what the request does, and SQLAlchemy's
    Connection, statement and result layers cost more CPU than the statement.
    The SQL is the one SQLAlchemy compiles (with its casts), compiled once; the
    values are already what the columns take (UTC datetimes, ints, str)."""
    sql = _first_answer_sql.get(engine.dialect.name)
    if sql is None:
        sql = _first_answer_sql[engine.dialect.name] = str(
            FIRST_ANSWER_PG.compile(dialect=engine.dialect)
        )
    pooled = engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection
        driver.autocommit = True
        try:
            with driver.cursor() as cursor:
                cursor.execute(sql, params)
                row: tuple[Any, ...] | None = cursor.fetchone()
        finally:
            if not driver.closed:
                driver.autocommit = False
    finally:
        pooled.close()  # back to the pool (a broken connection is discarded)
    return row


def response_json(
    response_id: int,
    status: str,
    answers: Mapping[str, int],
    comment: str | None,
    submitted_at: dt.datetime,
    updated_at: dt.datetime,
    amend_until: dt.datetime,
) -> dict[str, Any]:
    """A response as the JSON API shows it (``schemas.ResponseOut``, already dumped:
    the hot path skips marshmallow; a test checks the two agree)."""
    shown: dict[str, Any] = {}
    for metric in METRICS:
        value = answers.get(metric)
        if value is not None:
            shown[metric] = bool(value) if metric == "fcr" else value
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
    pending = session.scalars(
        select(Invitation).where(
            Invitation.customer_id == customer.id, Invitation.status == "scheduled"
        )
    )
    for other in pending:
        other.status = "cancelled"
        other.reason = "unsubscribed"
        record_event(session, other.id, "cancelled", "customer unsubscribed")
        changed = True
    if changed:
        record_event(session, invitation.id, "unsubscribed")
    session.flush()
    return changed
