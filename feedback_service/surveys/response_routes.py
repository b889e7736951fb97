"""The customer-facing JSON API for embedded and in-app widgets.

Authenticated by the invitation token in the request (``@public``: no API key),
rate-limited per IP and per token, and open to the browser origins listed in
``CORS_ORIGINS`` (``*`` by default: the token, not the origin, is the credential).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from feedback_service.api import api_blueprint, public
from feedback_service.db import get_session, utcnow
from feedback_service.surveys import collect, i18n, responses
from feedback_service.surveys.metrics import base_locale
from feedback_service.surveys.schemas import CustomerSurveyOut, ResponseIn, ResponseOut

responses_blp = api_blueprint(
    "responses",
    __name__,
    "Customer answers, authenticated by the invitation token (widgets, apps)",
)


@responses_blp.route("/responses", methods=["POST"])
@public
# Schema instances, not classes: webargs would build a new one per request.
@responses_blp.arguments(ResponseIn())
@responses_blp.response(201, ResponseOut())
@responses_blp.alt_response(200, schema=ResponseOut(), description="The response, amended")
def submit_response(data: dict[str, Any]) -> tuple[Response, int]:
    """Answer a survey, or amend the answer, by its invitation token.

    Partial answers are kept; a later call adds to them or changes them within
    the survey's amend window (409 after it). One invitation holds one response:
    201 when this call created it, 200 when it amended it (or repeated it).
    Unknown token 404, closed survey 410, a value off its scale or a comment over
    5,000 characters 422.
    """
    session = get_session()
    submitted = collect.submit(
        session, data["token"], data["answers"], data["comment"], way=collect.Way.API
    )
    session.commit()
    return jsonify(submitted.shown), 201 if submitted.created else 200


@responses_blp.route("/surveys/by-token/<token>", methods=["GET"])
@public
@responses_blp.response(200, CustomerSurveyOut)
def survey_by_token(token: str) -> dict[str, Any]:
    """The survey as its customer sees it, in the invitation's locale: what a widget
    renders. Includes any answers already given (to pre-select them)."""
    session = get_session()
    invitation, response = responses.find_by_token(session, token, with_ticket=True)
    responses.check_can_answer(invitation, response, utcnow())
    locale = base_locale(invitation.locale)
    company = current_app.config["COMPANY_NAME"]
    survey = invitation.survey
    asked = [i18n.customer_question(q, locale, company) for q in survey.questions]
    given = collect.shown(response, invitation, session=session) if response else None
    return {
        "locale": locale,
        "title": i18n.text(locale, "survey_title", ticket=invitation.ticket.external_id),
        "hint": i18n.text(locale, i18n.hint_key(survey.questions)),
        "questions": asked,
        "comment_prompt": i18n.comment_prompt(survey.comment_prompt, locale),
        "comment_max_length": responses.MAX_COMMENT_LENGTH,
        "submit_label": i18n.text(locale, "submit"),
        "thanks_title": i18n.text(locale, "thanks_title"),
        "thanks_body": i18n.text(locale, "thanks_body_final"),
        "nothing_given": i18n.text(locale, "nothing_given"),
        "sending_label": i18n.text(locale, "sending"),
        "error_message": i18n.text(locale, "send_failed"),
        "answers": given["answers"] if given else {},
        "comment": given["comment"] if given else None,
    }


@responses_blp.after_request
def _cors(response: Response) -> Response:
    """CORS for widgets on helpdesk pages and in apps (CORS_ORIGINS)."""
    origin = request.headers.get("Origin")
    allowed = current_app.config["CORS_ORIGINS"]
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        response.headers.add("Vary", "Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
        else:
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    return response
