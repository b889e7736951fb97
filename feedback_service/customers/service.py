"""One customer's data: everything held about them (export), and erasing it.

Functions take a session, flush and never commit; the request or command commits.

**What erasure does** (DELETE /api/v1/customers/<id>, ``flask customers erase``):

* the customer row is kept, anonymised (helpdesk id replaced by a random
  ``erased-...`` id; email, name and locale cleared), so their answers still
  belong to a customer row;
* their tickets lose their subject and their helpdesk id (a random one instead:
  the old id leads back to the person in the helpdesk); product, channel, times
  and flags stay, so the ticket KPIs do not move;
* their invitations get a new, never-sent token (old email links stop working),
  lose the caller's idempotency key and delivery errors (which can quote the
  address); event details are cleared;
* their comments and every copy are removed (``scrub.erase_comments``); their
  ratings stay counted, anonymised, so the scores do not move; the comment count
  in the rollups is corrected the way the worker would, so rollups equal a rebuild;
* alerts about their answers lose the comment, the ticket subject and the ticket id;
* outbox files (the embedded mail backend) sent to them or about them are deleted;
* an audit row records when, by whom and how many rows, with the customer only as a
  keyed hash of their helpdesk id: a second request answers ``already_erased``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from feedback_service.alerts.models import Alert
from feedback_service.alerts.responses import dedupe_key
from feedback_service.analysis.models import CommentAnalysis
from feedback_service.customers import outbox
from feedback_service.customers.models import CustomerErasure
from feedback_service.customers.scrub import (
    ERASED,
    erase_comments,
    quotes_examples_of,
    replace_text,
    whole,
)
from feedback_service.dashboard.models import CommentNote
from feedback_service.db import after_commit, utcnow
from feedback_service.errors import NotFound
from feedback_service.helpdesk.models import Customer, Ticket
from feedback_service.surveys import answers as survey_answers
from feedback_service.surveys.models import Invitation, InvitationEvent, Response
from feedback_service.views import fields


class CustomerNotFound(NotFound):
    code = "customer_not_found"


def subject_hash(external_id: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"customer:" + external_id.encode(), hashlib.sha256).hexdigest()


def _not_found(external_id: str) -> CustomerNotFound:
    return CustomerNotFound(
        f"No customer with helpdesk id {external_id!r}.", fields={"customer_id": ["Unknown."]}
    )


def _customer(session: Session, external_id: str, *, lock: bool = False) -> Customer | None:
    query = select(Customer).where(Customer.external_id == external_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


# --- export -----------------------------------------------------------------------


def export_customer(session: Session, external_id: str) -> dict[str, Any]:
    """Everything held about one customer, as JSON; 404 if unknown or erased."""
    customer = _customer(session, external_id)
    if customer is None:
        raise _not_found(external_id)
    invitations = _of_customer(session, Invitation, customer.id, "events", "survey")
    responses = _of_customer(session, Response, customer.id, "survey", "ticket")
    ticket_ids = {i.ticket_id for i in invitations} | {r.ticket_id for r in responses}
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(or_(Ticket.customer_id == customer.id, Ticket.id.in_(ticket_ids)))
            .options(selectinload(Ticket.agent), selectinload(Ticket.team))
            .order_by(Ticket.id)
        )
    )
    response_ids = [r.id for r in responses]
    own = survey_answers.of_responses(session, response_ids)
    analyses = {
        a.response_id: a
        for a in session.scalars(
            select(CommentAnalysis).where(CommentAnalysis.response_id.in_(response_ids))
        )
    }
    notes: dict[int, list[dict[str, Any]]] = {}
    for note in session.scalars(
        select(CommentNote)
        .where(CommentNote.response_id.in_(response_ids))
        .order_by(CommentNote.id)
    ):
        notes.setdefault(note.response_id, []).append(
            {"body": note.body, "created_at": _iso(note.created_at)}
        )
    return {
        "customer": {
            "id": customer.external_id,
            "email": customer.email,
            "name": customer.name,
            "locale": customer.locale,
            "unsubscribed_at": _iso(customer.unsubscribed_at),
            "created_at": _iso(customer.created_at),
            "updated_at": _iso(customer.updated_at),
        },
        "tickets": [_ticket_view(t) for t in tickets],
        "invitations": [_invitation_view(i) for i in invitations],
        "answers": [_answer_view(r, own.get(r.id, {})) for r in responses],
        "comments": [
            {
                "response_id": r.id,
                "comment": r.comment,
                "analysis": _analysis_view(analyses.get(r.id)),
                "notes": notes.get(r.id, []),
            }
            for r in responses
            if r.comment
        ],
        "alerts": [_alert_view(a) for a in _alerts_about(session, response_ids)],
        "exported_at": _iso(utcnow()),
    }


_Owned = TypeVar("_Owned", Invitation, Response)


def _of_customer(
    session: Session, model: type[_Owned], customer_id: int, *related: str
) -> list[_Owned]:
    """The customer's rows of ``model`` in id order, with the named relations loaded."""
    return list(
        session.scalars(
            select(model)
            .where(model.customer_id == customer_id)
            .options(*(selectinload(getattr(model, name)) for name in related))
            .order_by(model.id)
        )
    )


def _ticket_view(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.external_id,
        **fields(t, "source subject channel product"),
        "tags": list(t.tags or []),
        "agent": t.agent.external_id if t.agent else None,
        "team": t.team.external_id if t.team else None,
        "opened_at": _iso(t.opened_at),
        "first_response_at": _iso(t.first_response_at),
        "resolved_at": _iso(t.resolved_at),
        "closed_at": _iso(t.closed_at),
        **fields(t, "contacts escalated reopened"),
    }


def _invitation_view(i: Invitation) -> dict[str, Any]:
    # The token is a credential, not data about the customer: left out.
    return {
        "id": i.id,
        "survey": i.survey.key,
        "channel": i.channel,
        "locale": i.locale,
        "delivery": i.delivery,
        "status": i.status,
        "reason": i.reason,
        "send_at": _iso(i.send_at),
        "sent_at": _iso(i.sent_at),
        "reminder_sent_at": _iso(i.reminder_sent_at),
        "expires_at": _iso(i.expires_at),
        "answered_at": _iso(i.answered_at),
        "created_at": _iso(i.created_at),
        "events": [{"at": _iso(e.at), "kind": e.kind, "detail": e.detail} for e in i.events],
    }


def _answer_view(r: Response, own: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r.id,
        "invitation_id": r.invitation_id,
        "ticket": r.ticket.external_id,
        "survey": r.survey.key,
        "status": r.status,
        "source": r.source,
        "channel": r.channel,
        "locale": r.locale,
        "answers": {**r.answers(), **own},
        "comment": r.comment,
        "submitted_at": _iso(r.submitted_at),
        "updated_at": _iso(r.updated_at),
        "confirmed_at": _iso(r.confirmed_at),
    }


def _analysis_view(a: CommentAnalysis | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "language": a.language,
        "sentiment": a.sentiment,
        "sentiment_score": a.sentiment_score,
        "findings": a.findings,
        "key_phrases": a.key_phrases,
        "model_version": a.model_version,
    }


def _alert_view(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "title": a.title,
        "status": a.status,
        "payload": a.payload,
        "created_at": _iso(a.created_at),
    }


def _alerts_about(session: Session, response_ids: list[int]) -> list[Alert]:
    """The detractor alerts on these answers and alerts quoting them as examples."""
    if not response_ids:
        return []
    keys = [dedupe_key(i) for i in response_ids]
    return list(
        session.scalars(
            select(Alert)
            .where(or_(Alert.dedupe_key.in_(keys), quotes_examples_of(Alert.payload, response_ids)))
            .order_by(Alert.id)
        )
    )


# --- erase ------------------------------------------------------------------------


def erase_customer(
    session: Session, external_id: str, *, trigger: str, requested_by: str
) -> dict[str, Any]:
    """Erase one customer (see the module docstring); idempotent, 404 if never known."""
    hashed = subject_hash(external_id)
    customer = _customer(session, external_id, lock=True)
    if customer is None:
        done = session.scalars(
            select(CustomerErasure)
            .where(CustomerErasure.subject_hash == hashed)
            .order_by(CustomerErasure.id.desc())
        ).first()
        if done is None:
            raise _not_found(external_id)
        return erasure_view(done, "already_erased")

    responses = list(
        session.scalars(
            select(Response)
            .where(Response.customer_id == customer.id)
            .order_by(Response.id)
            .with_for_update()
        )
    )
    # Locked: a send or reminder of one of them waits for the erasure to commit.
    invitations = list(
        session.scalars(
            select(Invitation).where(Invitation.customer_id == customer.id).with_for_update()
        )
    )
    ticket_ids = {i.ticket_id for i in invitations} | {r.ticket_id for r in responses}
    tickets = list(
        session.scalars(
            select(Ticket).where(or_(Ticket.customer_id == customer.id, Ticket.id.in_(ticket_ids)))
        )
    )
    response_ids = [r.id for r in responses]
    alerts = _alerts_about(session, response_ids)
    needles = [
        n for n in (customer.email, customer.external_id, *(t.external_id for t in tickets)) if n
    ]
    outbox_needles = [*needles, *(i.token for i in invitations)]

    counts: Counter[str] = Counter()
    counts.update(erase_comments(session, responses))
    counts["answers_kept_anonymised"] = len(responses)
    new_ticket_ids = _anonymise_tickets(tickets)
    counts["tickets"] = len(tickets)
    _anonymise_invitations(session, invitations)
    counts["invitations"] = len(invitations)
    _anonymise_alerts(alerts, new_ticket_ids, needles)
    counts["alerts"] = max(counts["alerts"], len(alerts))

    customer.external_id = _random_id()
    customer.email = None
    customer.name = None
    customer.locale = None
    session.flush()

    files = outbox.files_mentioning(
        Path(current_app.config["MAIL_OUTBOX_DIR"]),
        invitation_ids={i.id for i in invitations},
        alert_ids={a.id for a in alerts},
        needles=outbox_needles,
    )
    counts["outbox_files"] = len(files)
    # Once the erasure is durable; a rolled-back one leaves the files too.
    after_commit(session, lambda: outbox.delete(files))
    record = CustomerErasure(
        subject_hash=hashed,
        trigger=trigger,
        requested_by=requested_by,
        counts=dict(sorted(counts.items())),
        erased_at=utcnow(),
    )
    session.add(record)
    session.flush()
    return erasure_view(record, "erased")


def _anonymise_tickets(tickets: list[Ticket]) -> dict[str, str]:
    """New random ids and no subject; returns old id -> new id."""
    new_ticket_ids: dict[str, str] = {}
    for ticket in tickets:
        new_id = _random_id()
        new_ticket_ids[ticket.external_id] = new_id
        ticket.external_id = new_id
        ticket.subject = None
    return new_ticket_ids


def _anonymise_invitations(session: Session, invitations: list[Invitation]) -> None:
    """New tokens (old links stop working), no idempotency key, errors or event details."""
    for invitation in invitations:
        invitation.token = secrets.token_urlsafe(32)
        invitation.idempotency_key = None
        invitation.last_error = None
    events = session.scalars(
        select(InvitationEvent).where(
            InvitationEvent.invitation_id.in_([i.id for i in invitations])
        )
    )
    for event in events:
        event.detail = None


def _anonymise_alerts(
    alerts: list[Alert], new_ticket_ids: dict[str, str], needles: list[str]
) -> None:
    """Alerts keep their meaning; the customer's words and ids leave their payload and title."""
    for alert in alerts:
        payload = dict(alert.payload)
        shown = payload.get("ticket")
        if isinstance(shown, dict):
            payload["ticket"] = {
                **shown,
                "id": new_ticket_ids.get(str(shown.get("id")), ERASED),
                "subject": None,
            }
        alert.payload = replace_text(payload, needles)
        alert.title = _retitle(alert.title, new_ticket_ids, needles)


def _random_id() -> str:
    return f"erased-{secrets.token_hex(8)}"


def _retitle(title: str, new_ids: dict[str, str], needles: list[str]) -> str:
    for old, new in new_ids.items():
        title = whole(old).sub(new, title)
    return str(replace_text(title, needles))


def erasure_view(record: CustomerErasure, status: str) -> dict[str, Any]:
    return {
        "status": status,
        "erasure_id": record.id,
        "trigger": record.trigger,
        "erased_at": record.erased_at,
        "counts": dict(record.counts),
    }
