"""Survey definitions and dispatch: deciding whether, when and how to ask.

Functions take a session, flush and never commit; the request or task commits.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Executable,
    Table,
    bindparam,
    case,
    exists,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, selectinload

from feedback_service.cache import TTLCache, engine_key
from feedback_service.db import UTCDateTime, claim, insert_for, unsent_ids, utcnow
from feedback_service.errors import Conflict, NotFound, ValidationError
from feedback_service.helpdesk import service as helpdesk
from feedback_service.helpdesk.models import Ticket
from feedback_service.surveys.metrics import base_locale
from feedback_service.surveys.models import (
    HANDED_OUT,
    Invitation,
    InvitationEvent,
    Survey,
    SurveyDefinition,
)

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")
# A claim on an invitation older than this is taken to belong to a dead worker.
STALE_SENDING = dt.timedelta(minutes=15)
ACTIVE_STATUSES = ("scheduled", "sending", "sent")
SUPPRESSION_REASONS = {
    "unsubscribed",
    "no_email",
    "already_surveyed",
    "recently_surveyed",
    "sampled_out",
}
INVITATIONS: Table = Invitation.__table__  # type: ignore[assignment]


class IdempotencyKeyReused(ValidationError):
    code = "idempotency_key_reused"


class SurveyNotFound(NotFound):
    code = "survey_not_found"


class SurveyArchived(Conflict):
    code = "survey_archived"


# --- survey definitions ---------------------------------------------------------


@dataclass(frozen=True)
class SurveyRules:
    """What dispatch needs of a survey, cached per process for a few seconds."""

    id: int
    key: str
    active: bool
    archived: bool
    throttle_days: int
    sampling_rate: float
    send_delay_seconds: int
    expire_after_days: int


_rules: TTLCache[tuple[str, str], SurveyRules] = TTLCache(ttl_seconds=5)


def get_survey(session: Session, key: str) -> Survey:
    survey = session.scalar(select(Survey).where(Survey.key == key))
    if survey is None:
        raise SurveyNotFound(f"No survey with key '{key}'.", fields={"survey": ["Unknown survey."]})
    return survey


def survey_rules(session: Session, key: str) -> SurveyRules:
    def load() -> SurveyRules:
        s = get_survey(session, key)
        return SurveyRules(
            s.id,
            s.key,
            s.active,
            s.archived,
            s.throttle_days,
            s.sampling_rate,
            s.send_delay_seconds,
            s.expire_after_days,
        )

    return _rules.get_or_load((engine_key(session), key), load)


def forget_rules(session: Session, key: str) -> None:
    """Dispatch in this process reads the survey's new state from now on."""
    _rules.discard((engine_key(session), key))


def list_surveys(session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.id)))


def _keep_definition(session: Session, survey: Survey) -> None:
    session.add(
        SurveyDefinition(survey_id=survey.id, version=survey.version, questions=survey.questions)
    )


def create_survey(session: Session, data: dict[str, Any]) -> Survey:
    if session.scalar(select(Survey.id).where(Survey.key == data["key"])) is not None:
        raise Conflict(f"A survey with key '{data['key']}' exists.", fields={"key": ["Taken."]})
    survey = Survey(**data, version=1)
    session.add(survey)
    session.flush()
    _keep_definition(session, survey)
    session.flush()
    return survey


def update_survey(session: Session, key: str, data: dict[str, Any]) -> Survey:
    """Change a survey; new questions make a new definition version (answers keep
    the version they were given under, and every version stays readable)."""
    survey = get_survey(session, key)
    new_questions = "questions" in data and data["questions"] != survey.questions
    for name, value in data.items():
        setattr(survey, name, value)
    if new_questions:
        survey.version += 1
        _keep_definition(session, survey)
    session.flush()
    _rules.discard((engine_key(session), key))
    return survey


# --- dispatch -------------------------------------------------------------------


@dataclass(frozen=True)
class NewInvitation:
    """The invitation just inserted, without a second read of its row."""

    id: int
    token: str
    status: str
    reason: str | None
    send_at: dt.datetime | None


@dataclass
class DispatchResult:
    invitation: Invitation | NewInvitation
    created: bool


def record_event(
    session: Session, invitation_id: int, kind: str, detail: str | None = None
) -> None:
    session.add(InvitationEvent(invitation_id=invitation_id, kind=kind, detail=detail))


def sampled_in(survey_key: str, source: str, ticket_id: str, rate: float) -> bool:
    """Deterministic per ticket, so a retried call gets the same decision."""
    if rate >= 1.0:
        return True
    digest = hashlib.sha256(f"{survey_key}:{source}:{ticket_id}".encode())
    return int(digest.hexdigest()[:8], 16) / 0x1_0000_0000 < rate


def usable_email(address: str | None) -> bool:
    return bool(address) and EMAIL_RE.match(address or "") is not None


# The invitation is decided and inserted in one statement. The rules that need
# the database (this ticket already has another survey; the customer was asked,
# by any survey, inside the throttle window) are evaluated in it, after the
# customer upsert took that customer's row lock: a concurrent dispatch to the same
# customer has committed by then, and this statement's snapshot sees it. The
# rules Python already decided (unsubscribed, no usable email, sampling) come in
# as parameters; the order of the reasons is the order of the CASE.
_PASSED = (
    "token", "survey_id", "ticket_id", "customer_id", "agent_id", "team_id", "channel",
    "locale", "delivery", "idempotency_key", "idempotency_fingerprint",
)  # fmt: skip


def _param(name: str) -> BindParameter[Any]:
    """A parameter typed like the invitations column it fills (UTCDateTime...)."""
    return bindparam(name, type_=INVITATIONS.c[name].type)


class _TicketFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str | None: ...


class _AgentFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def team_id(self) -> int | None: ...


def invitation_subject(
    survey_id: int, ticket: _TicketFacts, customer_id: int, agent: _AgentFacts
) -> dict[str, Any]:
    """Who and what an invitation (and so its answer) is about: the ticket's channel
    and the agent's team are copied onto the rows, so reports filter without joins."""
    return {
        "survey_id": survey_id,
        "ticket_id": ticket.id,
        "customer_id": customer_id,
        "agent_id": agent.id,
        "team_id": agent.team_id,
        "channel": ticket.channel,
    }


@functools.cache  # built once per dialect: compiling it costs more than running it
def _dispatch_invitation(dialect: str) -> Executable:
    """INSERT .. SELECT the invitation with its decided reason, ON CONFLICT DO
    NOTHING (an invitation of this ticket and survey, or this Idempotency-Key,
    exists) RETURNING id, reason. Built once per dialect."""
    inv = INVITATIONS.alias("earlier")
    active = inv.c.status.in_(ACTIVE_STATUSES)
    ticket_id, throttle_from = _param("ticket_id"), bindparam("throttle_from", type_=UTCDateTime)
    already_surveyed = exists().where(
        inv.c.ticket_id == ticket_id, inv.c.survey_id != _param("survey_id"), active
    )
    recently_surveyed = exists().where(
        inv.c.customer_id == _param("customer_id"),
        inv.c.ticket_id != ticket_id,
        inv.c.created_at > throttle_from,
        active,
    )
    known_reason = bindparam("known_reason", type_=INVITATIONS.c.reason.type)
    decided = select(
        case(
            (known_reason.is_not(None), known_reason),
            (already_surveyed, literal("already_surveyed")),
            (recently_surveyed, literal("recently_surveyed")),
            (bindparam("sampled_out", type_=Boolean), literal("sampled_out")),
        ).label("reason")
    ).cte("decided")
    asked = decided.c.reason.is_(None)
    chosen = {
        **{name: _param(name) for name in _PASSED},
        "status": case((asked, _param("status")), else_=literal("suppressed")),
        "reason": decided.c.reason,
        "send_at": case((asked, _param("send_at"))),
        "sent_at": case((asked, _param("sent_at"))),
        "expires_at": case(
            (asked, _param("expires_at")),
            else_=bindparam("expires_if_suppressed", type_=UTCDateTime),
        ),
        "attempts": literal(0),
        "created_at": bindparam("now", type_=UTCDateTime),
        "updated_at": bindparam("now", type_=UTCDateTime),
    }
    # SQLite needs a WHERE in an INSERT .. SELECT followed by ON CONFLICT.
    rows = select(*chosen.values()).select_from(decided).where(true())
    return (
        insert_for(dialect, INVITATIONS)
        .from_select(list(chosen), rows)
        .on_conflict_do_nothing()
        .returning(INVITATIONS.c.id, INVITATIONS.c.reason)
    )


def _known_reason(customer: helpdesk.CustomerRow, delivery: str) -> str | None:
    """The suppressions decided without a query (checked before the rules)."""
    if customer.unsubscribed_at is not None:
        return "unsubscribed"
    if delivery == "email" and not usable_email(customer.email):
        return "no_email"
    return None


def _existing(
    session: Session, ticket_id: int, survey_id: int, idempotency_key: str | None
) -> Invitation | None:
    conditions: list[ColumnElement[bool]] = [
        (Invitation.ticket_id == ticket_id) & (Invitation.survey_id == survey_id)
    ]
    if idempotency_key:
        conditions.append(Invitation.idempotency_key == idempotency_key)
    return session.scalar(select(Invitation).where(or_(*conditions)).limit(1))


def find_by_idempotency_key(session: Session, key: str | None) -> Invitation | None:
    if not key:
        return None
    return session.scalar(select(Invitation).where(Invitation.idempotency_key == key))


def body_fingerprint(payload: dict[str, Any], source: str) -> str:
    """SHA-256 of the validated request body (keys sorted, times as ISO text):
    the same body sent twice gives the same fingerprint, whatever its key order."""
    canonical = json.dumps({"source": source, "body": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _same_body_or_422(earlier: Invitation, key: str | None, fingerprint: str | None) -> None:
    """A key reused with another body is the caller's bug (Stripe answers the same):
    422 naming the key, never the first call's invitation passed off as this one's.
    Invitations stored before fingerprints were kept have none and are trusted."""
    if earlier.idempotency_fingerprint is None or earlier.idempotency_fingerprint == fingerprint:
        return
    raise IdempotencyKeyReused(
        f"Idempotency-Key '{key}' was already used with a different request body; "
        "use a new key for a new request.",
        fields={"Idempotency-Key": [f"'{key}' was used with a different body."]},
    )


def _status_and_send_time(
    survey: SurveyRules, payload: dict[str, Any], now: dt.datetime
) -> tuple[str, dt.datetime]:
    """A link is handed out now (``sent``); an email waits ``send_after`` seconds, or
    the survey's delay (``scheduled``)."""
    if payload["delivery"] in HANDED_OUT:
        return "sent", now
    delay = payload.get("send_after")
    return "scheduled", now + dt.timedelta(
        seconds=survey.send_delay_seconds if delay is None else delay
    )


def _takes_invitations(survey: SurveyRules) -> None:
    """409 for an archived survey, 404 for an inactive one."""
    if survey.archived:
        raise SurveyArchived(
            f"Survey '{survey.key}' is archived; it takes no new invitations.",
            fields={"survey": ["Archived survey."]},
        )
    if not survey.active:
        raise SurveyNotFound(
            f"Survey '{survey.key}' is not active.", fields={"survey": ["Inactive survey."]}
        )


def dispatch(
    session: Session,
    payload: dict[str, Any],
    *,
    source: str = "api",
    idempotency_key: str | None = None,
) -> DispatchResult:
    """Upsert the ticket and its people, then create the invitation or return it.

    Idempotent on (ticket, survey) and on the Idempotency-Key: the unique
    constraints decide under concurrency (INSERT .. ON CONFLICT DO NOTHING), so
    two identical calls racing each other still make one invitation.
    """
    survey = survey_rules(session, payload["survey"])
    _takes_invitations(survey)
    fingerprint = body_fingerprint(payload, source) if idempotency_key else None
    earlier = find_by_idempotency_key(session, idempotency_key)
    if earlier is not None:
        _same_body_or_422(earlier, idempotency_key, fingerprint)
        return DispatchResult(earlier, created=False)

    agent = helpdesk.upsert_agent(session, payload["agent"])
    customer, ticket = helpdesk.upsert_customer_and_ticket(
        session, payload["customer"], payload["ticket"], source=source, agent=agent
    )
    now = utcnow()
    delivery = payload["delivery"]
    ticket_ref = (source, str(payload["ticket"]["id"]))
    status, send_at = _status_and_send_time(survey, payload, now)
    expire_after = dt.timedelta(days=survey.expire_after_days)
    token = secrets.token_urlsafe(24)
    connection = session.connection()
    row = connection.execute(
        _dispatch_invitation(connection.dialect.name),
        {
            "token": token,
            **invitation_subject(survey.id, ticket, customer.id, agent),
            "locale": base_locale(customer.locale),
            "delivery": delivery,
            "status": status,
            "known_reason": _known_reason(customer, delivery),
            "sampled_out": not sampled_in(survey.key, *ticket_ref, survey.sampling_rate),
            # A zero-day window asks nothing: the cutoff lies in the future.
            "throttle_from": now - dt.timedelta(days=survey.throttle_days)
            if survey.throttle_days > 0
            else now + dt.timedelta(days=1),
            "idempotency_key": idempotency_key,
            "idempotency_fingerprint": fingerprint,
            "send_at": send_at,
            "sent_at": now if status == "sent" else None,
            "expires_at": send_at + expire_after,
            "expires_if_suppressed": now + expire_after,
            "now": now,
        },
    ).first()
    if row is None:
        # Already invited, or lost a race with an identical call: the winner's answer.
        winner = _existing(session, ticket.id, survey.id, idempotency_key)
        if winner is None:
            raise Conflict("The invitation could not be created; retry the call.")
        if idempotency_key and winner.idempotency_key == idempotency_key:
            _same_body_or_422(winner, idempotency_key, fingerprint)
        return DispatchResult(winner, created=False)
    new_id: int = row.id
    reason: str | None = row.reason
    if reason is not None:
        return DispatchResult(
            NewInvitation(new_id, token, "suppressed", reason, None), created=True
        )
    return DispatchResult(NewInvitation(new_id, token, status, None, send_at), created=True)


def history(invitation: Invitation) -> list[dict[str, Any]]:
    """Creation is read off the row itself (no event row on the hot path); every
    later transition is an InvitationEvent."""
    first: list[dict[str, Any]] = [
        {
            "at": invitation.created_at,
            "kind": "created",
            "detail": f"delivery={invitation.delivery}",
        }
    ]
    if invitation.status == "suppressed" or invitation.reason in SUPPRESSION_REASONS:
        first.append(
            {"at": invitation.created_at, "kind": "suppressed", "detail": invitation.reason}
        )
    elif invitation.delivery in HANDED_OUT:
        first.append({"at": invitation.created_at, "kind": "link_issued", "detail": None})
    else:
        first.append(
            {
                "at": invitation.created_at,
                "kind": "scheduled",
                "detail": invitation.send_at.isoformat() if invitation.send_at else None,
            }
        )
    return first + [{"at": e.at, "kind": e.kind, "detail": e.detail} for e in invitation.events]


def get_invitation(session: Session, invitation_id: int) -> Invitation:
    invitation = session.scalar(
        select(Invitation)
        .where(Invitation.id == invitation_id)
        .options(selectinload(Invitation.events))
    )
    if invitation is None:
        raise NotFound(f"No invitation {invitation_id}.")
    return invitation


def cancel_for_reopened_ticket(session: Session, ticket: Ticket) -> int:
    """A ticket reopened before its survey went out is not finished: don't ask yet."""
    cancelled = cancel_scheduled(
        session,
        Invitation.ticket_id == ticket.id,
        "ticket_reopened",
        "ticket reopened before sending",
    )
    session.flush()
    return cancelled


def cancel_scheduled(session: Session, which: ColumnElement[bool], reason: str, detail: str) -> int:
    """Cancel the invitations ``which`` selects that are still to be sent; how many."""
    pending = list(
        session.scalars(select(Invitation).where(which, Invitation.status == "scheduled"))
    )
    for invitation in pending:
        invitation.status = "cancelled"
        invitation.reason = reason
        record_event(session, invitation.id, "cancelled", detail)
    return len(pending)


# --- sending ------------------------------------------------------------------------


def claim_for_sending(session: Session, invitation_id: int) -> Invitation | None:
    """Atomically move a due invitation to ``sending``; None if nothing to do.

    The conditional UPDATE is the lock: of two workers given the same id, one wins.
    """
    return claim(session, Invitation, invitation_id, "scheduled", Invitation.send_at, STALE_SENDING)


def mark_sent(session: Session, invitation: Invitation, kind: str = "sent") -> None:
    now = utcnow()
    invitation.status = "sent"
    invitation.sent_at = now
    invitation.last_error = None
    record_event(session, invitation.id, kind, f"attempt {invitation.attempts}")
    session.flush()


def mark_retry(session: Session, invitation: Invitation, error: str, delay: int) -> None:
    invitation.status = "scheduled"
    invitation.send_at = utcnow() + dt.timedelta(seconds=delay)
    invitation.last_error = error
    record_event(session, invitation.id, "send_deferred", f"{error}; retry in {delay}s")
    session.flush()


def mark_failed(session: Session, invitation: Invitation, error: str) -> None:
    invitation.status = "failed"
    invitation.reason = "delivery_failed"
    invitation.last_error = error
    record_event(session, invitation.id, "failed", error)
    session.flush()


def unsent_invitation_ids(session: Session, grace: dt.timedelta) -> list[int]:
    """Invitations due now that nobody is sending: delayed ones falling due (they
    were never enqueued), and any whose message was lost. ``grace`` spares those
    touched a moment ago, which are normally still on their way through the broker.
    """
    return unsent_ids(
        session, Invitation, "scheduled", Invitation.send_at, grace, STALE_SENDING, 5000
    )


def due_reminders(session: Session, now: dt.datetime, limit: int = 1000) -> list[Invitation]:
    candidates = session.scalars(
        select(Invitation)
        .join(Survey)
        .where(
            Invitation.status == "sent",
            Invitation.delivery == "email",
            Invitation.answered_at.is_(None),
            Invitation.reminder_sent_at.is_(None),
            Invitation.expires_at > now,
            Survey.reminder_after_hours.is_not(None),
        )
        .order_by(Invitation.sent_at)
        .limit(limit)
    )
    due = []
    for invitation in candidates:
        hours = invitation.survey.reminder_after_hours or 0
        sent_at = invitation.sent_at or invitation.created_at
        if sent_at + dt.timedelta(hours=hours) <= now:
            due.append(invitation)
    return due


def mark_reminded(session: Session, invitation: Invitation) -> None:
    invitation.reminder_sent_at = utcnow()
    record_event(session, invitation.id, "reminder_sent")
    session.flush()


def expire_due(session: Session, now: dt.datetime) -> int:
    expired = list(
        session.scalars(
            select(Invitation).where(
                Invitation.status.in_(("scheduled", "sent")),
                Invitation.answered_at.is_(None),
                Invitation.expires_at <= now,
            )
        )
    )
    for invitation in expired:
        invitation.status = "expired"
        record_event(session, invitation.id, "expired")
    session.flush()
    return len(expired)
