"""HTTP layer of the surveys feature: parse, call the service, serialise."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, jsonify, request
from marshmallow import ValidationError as MarshmallowValidationError
from sqlalchemy import select

from feedback_service.api import api_blueprint, requires_scope
from feedback_service.db import get_session, utcnow
from feedback_service.errors import NotFound, ValidationError, flatten_messages
from feedback_service.helpdesk.integrations import MAPPERS, REOPENED, SOLVED
from feedback_service.helpdesk.models import Ticket
from feedback_service.privacy.spreadsheet import csv_response
from feedback_service.surveys import definitions, exports, links, service
from feedback_service.surveys.models import Invitation
from feedback_service.surveys.schemas import (
    InvitationDetailOut,
    InvitationIn,
    InvitationOut,
    InvitationStateOut,
    SurveyDefinitionOut,
    SurveyDeleteArgs,
    SurveyIn,
    SurveyListOut,
    SurveyOut,
    SurveyPatch,
    SurveyResponsesOut,
    SurveyResponsesQuery,
)
from feedback_service.surveys.tasks import send_invitation
from feedback_service.tasks import enqueue_after_commit

SEND_NOW_WINDOW = dt.timedelta(seconds=5)

api_blp = api_blueprint("surveys", __name__, "Invitations and survey definitions")


def invitation_json(
    invitation: Invitation | service.NewInvitation, *, with_token: bool = True
) -> dict[str, Any]:
    """An invitation as ``InvitationOut`` (or, without its token, ``InvitationStateOut``)
    dumps it, built directly: this is the hot path of dispatch (a test checks the two
    agree)."""
    body: dict[str, Any] = {
        "id": invitation.id,
        "status": invitation.status,
        "reason": invitation.reason,
    }
    if with_token:
        body["token"] = invitation.token
        body["survey_url"] = links.offered_survey_url(invitation)
        body["embed"] = links.offered_embed(invitation)
    return body


def shows_token(result: service.DispatchResult, idempotency_key: str | None) -> bool:
    """The token is the customer's: only the call that created the invitation sees it,
    and a retry of that call (the same ``Idempotency-Key``). Posting the same ticket
    again without it answers the invitation's state only."""
    if result.created:
        return True
    invitation = result.invitation
    return bool(idempotency_key) and (
        isinstance(invitation, Invitation) and invitation.idempotency_key == idempotency_key
    )


def dispatch_and_respond(payload: dict[str, Any], source: str) -> tuple[Response, int]:
    """Shared by the plain API and the helpdesk integrations."""
    session = get_session()
    idempotency_key = request.headers.get("Idempotency-Key")
    result = service.dispatch(session, payload, source=source, idempotency_key=idempotency_key)
    invitation = result.invitation
    if (
        result.created
        and invitation.status == "scheduled"
        and invitation.send_at is not None
        and invitation.send_at <= utcnow() + SEND_NOW_WINDOW
    ):
        # Due now: straight to a worker. A delayed send is left to the scheduler's
        # sweep, which sends it when it falls due (no long-lived ETA messages).
        enqueue_after_commit(session, send_invitation, invitation.id)
    session.commit()
    body = invitation_json(invitation, with_token=shows_token(result, idempotency_key))
    return jsonify(body), 201 if result.created else 200


@api_blp.route("/invitations", methods=["POST"])
@requires_scope("ingest")
# Schema instances, not classes: webargs would build new ones on every request.
@api_blp.arguments(InvitationIn())
@api_blp.response(201, InvitationOut())
@api_blp.alt_response(
    200,
    schema=InvitationStateOut(),
    description="Already invited (idempotent): the invitation's state, without its token "
    "and links, unless the call repeats the Idempotency-Key that created it",
)
def create_invitation(payload: dict[str, Any]) -> tuple[Response, int]:
    """Ask the customer of a closed ticket for feedback.

    Answers 201 with a new invitation, its survey token and links (shown here
    only: no later call reveals them), or 200 with the state of the one already
    made for this ticket and survey; a retry with the same Idempotency-Key and the
    same body gets the first answer again, token included. The same
    Idempotency-Key with a different body answers 422 ``idempotency_key_reused``.
    """
    return dispatch_and_respond(payload, "api")


@api_blp.route("/invitations/<int:invitation_id>", methods=["GET"])
@requires_scope("ingest")
@api_blp.response(200, InvitationDetailOut)
def show_invitation(invitation_id: int) -> Invitation:
    """An invitation's state and its history (never its survey token or links)."""
    return service.get_invitation(get_session(), invitation_id)


@api_blp.route("/surveys", methods=["GET"])
@api_blp.response(200, SurveyListOut)
def list_surveys() -> dict[str, Any]:
    """All survey definitions."""
    surveys = service.list_surveys(get_session())
    return {"items": surveys, "total": len(surveys)}


@api_blp.route("/surveys", methods=["POST"])
@api_blp.arguments(SurveyIn)
@api_blp.response(201, SurveyOut)
def create_survey(data: dict[str, Any]) -> Any:
    """Define a new survey."""
    session = get_session()
    survey = service.create_survey(session, data)
    session.commit()
    return survey


@api_blp.route("/surveys/<key>", methods=["GET"])
@api_blp.response(200, SurveyOut)
def show_survey(key: str) -> Any:
    """One survey definition."""
    return service.get_survey(get_session(), key)


@api_blp.route("/surveys/<key>", methods=["PATCH"])
@api_blp.arguments(SurveyPatch)
@api_blp.response(200, SurveyOut)
def patch_survey(data: dict[str, Any], key: str) -> Any:
    """Change a survey's questions, wording or rules. New questions make a new
    ``version``; answers keep the version they were given under."""
    session = get_session()
    survey = service.update_survey(session, key, data)
    session.commit()
    return survey


@api_blp.route("/surveys/<key>", methods=["DELETE"])
@api_blp.arguments(SurveyDeleteArgs, location="query")
@api_blp.response(200, SurveyOut)
@api_blp.alt_response(204, description="Purged: the survey was never sent and is gone")
def delete_survey(args: dict[str, Any], key: str) -> Any:
    """Archive a survey: it takes no new invitations (409 ``survey_archived``),
    those not sent yet are cancelled, and every answer stays; it is still listed,
    with ``archived: true``. ``?purge=true`` deletes a survey that was never sent
    instead (409 ``survey_was_sent`` otherwise)."""
    session = get_session()
    if args["purge"]:
        definitions.purge_survey(session, key)
        session.commit()
        return Response(status=204)
    survey = definitions.archive_survey(session, key)
    session.commit()
    return survey


@api_blp.route("/surveys/<key>/versions/<int:version>", methods=["GET"])
@api_blp.response(200, SurveyDefinitionOut)
def show_survey_version(key: str, version: int) -> Any:
    """The questions of one version of a survey: what an older answer was given to."""
    session = get_session()
    return definitions.definition(session, service.get_survey(session, key), version)


@api_blp.route("/surveys/<key>/responses", methods=["GET"])
@requires_scope("reports")
@api_blp.arguments(SurveyResponsesQuery, location="query")
@api_blp.response(200, SurveyResponsesOut)
def survey_responses(args: dict[str, Any], key: str) -> Any:
    """A survey's responses, newest first, with every answer: the built-in metrics
    and the survey's own questions (of every version). ``from``/``to`` (submitted,
    inclusive), ``page``/``per_page``; ``?format=csv`` gives the same rows as CSV,
    one column per question."""
    session = get_session()
    survey = service.get_survey(session, key)
    page, per_page = args["page"], args["per_page"]
    found = exports.responses_page(session, survey, args["from"], args["to"], page, per_page)
    if args["format"] == "csv":
        return csv_response(exports.csv_rows(found), f"responses-{survey.key}")
    return {
        "items": found.items,
        "columns": found.columns,
        "page": page,
        "per_page": per_page,
        "total": found.total,
    }


integrations_blp = api_blueprint(
    "integrations",
    __name__,
    "Native helpdesk webhooks, posted as the helpdesk sends them",
    under="/integrations",
)


@integrations_blp.route("/<provider>", methods=["POST"])
@requires_scope("ingest")
@integrations_blp.response(201, InvitationOut)
@integrations_blp.alt_response(
    200,
    schema=InvitationStateOut,
    description="Already invited (state only, no token), or ignored",
)
def helpdesk_webhook(provider: str) -> Any:
    """A Zendesk or Freshdesk "ticket solved" webhook body, as is.

    Query parameters choose the survey (`survey`), `delivery` and `send_after`.
    A status that is not solved/closed is acknowledged and ignored; a reopened
    ticket cancels its survey if it has not gone out yet.
    """
    mapper = MAPPERS.get(provider)
    if mapper is None:
        raise NotFound(f"No integration for '{provider}'; use zendesk or freshdesk.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("The body must be a JSON object.", fields={"_body": ["Not JSON."]})
    mapped, status = mapper(body)
    session = get_session()
    if status in REOPENED:
        ticket_id = mapped["ticket"].get("id")
        ticket = session.scalar(
            select(Ticket).where(Ticket.source == provider, Ticket.external_id == str(ticket_id))
        )
        cancelled = service.cancel_for_reopened_ticket(session, ticket) if ticket else 0
        if ticket is not None:
            ticket.reopened = True
        session.commit()
        return jsonify(status="ignored", reason=f"ticket {status}", cancelled=cancelled)
    if status is not None and status not in SOLVED:
        return jsonify(status="ignored", reason=f"ticket {status}")
    for name in ("survey", "delivery", "send_after"):
        if name in request.args:
            mapped[name] = request.args[name]
    try:
        payload = InvitationIn().load(mapped)
    except MarshmallowValidationError as exc:
        fields = flatten_messages(exc.messages)
        raise ValidationError(
            "The webhook body lacks fields we need: " + ", ".join(sorted(fields)), fields=fields
        ) from exc
    return dispatch_and_respond(payload, provider)
