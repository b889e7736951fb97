"""Customer-facing pages: the survey page, one-click ratings, unsubscribe, thanks.

Server-rendered HTML with no third-party assets: one request paints the page, the
styles are inline, and the only script is a few lines of our own (the provisional
rule's beacon, see ``surveys.responses``). Jinja escapes everything the customer
typed. The form is protected by a signed CSRF token bound to the invitation
(itsdangerous, no cookie): the page that rendered the form is the only source of a
token that verifies.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests

from feedback_service import csrf
from feedback_service.db import get_session, utcnow
from feedback_service.errors import FeedbackError, ValidationError
from feedback_service.surveys import answers as answers_store
from feedback_service.surveys import collect, i18n, questions, responses
from feedback_service.surveys.metrics import METRICS, SUPPORTED_LOCALES, base_locale
from feedback_service.surveys.models import Invitation
from feedback_service.surveys.models import Response as SurveyResponse

pages_bp = Blueprint("survey_pages", __name__, template_folder="templates")

WIDGET_JS = Path(__file__).resolve().parent / "static" / "widget.js"
CSRF_SALT = "feedback-survey-form"
# A survey page left open for two days still submits; older tokens ask to resend.
CSRF_MAX_AGE = 2 * 24 * 3600


# --- CSRF -------------------------------------------------------------------------


def csrf_token(invitation_token: str) -> str:
    return csrf.generate_token(invitation_token, CSRF_SALT)


def csrf_ok(value: str | None, invitation_token: str) -> bool:
    return csrf.validate_token(value, invitation_token, CSRF_SALT, CSRF_MAX_AGE)


# --- helpers ----------------------------------------------------------------------


def _parse(metric: str, raw: str) -> Any:
    """A value from a query string or form; anything odd is left for the validator."""
    raw = raw.strip().lower()
    if metric == "fcr":
        if raw in ("1", "true", "yes"):
            return True
        if raw in ("0", "false", "no"):
            return False
        return raw
    try:
        return int(raw)
    except ValueError:
        return raw


def _form_value(question: Mapping[str, Any], raw: str | list[str]) -> Any:
    """A form field -> the plain value ``submit()`` checks (a multi's boxes a list)."""
    kind = questions.type_of(question)
    if kind == "multi":
        return list(raw) if isinstance(raw, list) else [raw]
    text = raw[0] if isinstance(raw, list) else raw
    if kind == "metric":
        return _parse(question["metric"], text)
    if kind == "rating":
        return _parse("rating", text)
    return text


def _shown_value(value: Any) -> str | list[str]:
    """A stored or parsed value as the form's field value(s)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _embed() -> bool:
    return request.values.get("embed") == "1"


def _load(session: Session, token: str, *, with_ticket: bool = False) -> collect.Found:
    found = collect.find(session, token, with_ticket=with_ticket)
    # Error pages raised after this point speak the invitation's language.
    g.page_locale = base_locale(found.invitation.locale)
    return found


def _error_locale() -> str:
    locale: str | None = g.get("page_locale")
    return locale or request.accept_languages.best_match(SUPPORTED_LOCALES) or "en"


def _page(template: str, locale: str, status: int = 200, **context: Any) -> Response:
    html = render_template(
        f"surveys/pages/{template}",
        locale=locale,
        t=lambda key, **kw: i18n.text(locale, key, **kw),
        company=current_app.config["COMPANY_NAME"],
        embed=_embed(),
        nonce=g.setdefault("csp_nonce", secrets.token_urlsafe(16)),
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def _visible(asked: list[dict[str, Any]], values: Mapping[str, Any]) -> list[str]:
    """The questions shown given ``values`` (follow-ups of earlier answers)."""
    valid: dict[str, Any] = {}
    for question in asked:
        key = questions.key_of(question)
        if key in values:
            try:
                valid[key] = questions.parse(question, values[key])
            except questions.BadAnswer:
                continue
    return questions.check(asked, {}, valid, enforce_required=lambda _k: False).shown


def questions_for(
    invitation: Invitation,
    response: SurveyResponse | None,
    selected: Mapping[str, str | list[str]] | None = None,
    *,
    custom: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The survey's questions in order, in the invitation's locale, with what is
    selected (the stored answer, or what the customer just sent; ``custom`` are the
    stored answers to the survey's own questions) and whether each is shown now:
    a follow-up whose ``show_if`` is not met is rendered hidden, for the page's
    script to reveal, and the server reveals it after a submission."""
    locale = invitation.locale
    company = current_app.config["COMPANY_NAME"]
    asked = invitation.survey.questions
    stored: dict[str, Any] = {**(response.answers() if response else {}), **(custom or {})}
    chosen = {k: _shown_value(v) for k, v in stored.items()} | dict(selected or {})
    by_key = {questions.key_of(q): q for q in asked}
    parsed = {k: _form_value(by_key[k], v) for k, v in chosen.items() if k in by_key}
    visible = set(_visible(asked, parsed))
    items = []
    for question in asked:
        item = i18n.customer_question(question, locale, company)
        options = [(_shown_value(o["value"]), o["label"]) for o in item["options"]]
        key = item["key"]
        items.append(
            item
            | {
                "options": options,
                "selected": chosen.get(key, [] if item["type"] == "multi" else None),
                "visible": key in visible,
                "wide": len(options) > 7,
                "scale": item["type"] in ("metric", "rating") and len(options) > 2,
            }
        )
    return items


def _survey_page(
    invitation: Invitation,
    response: SurveyResponse | None,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    selected: Mapping[str, str | list[str]] | None = None,
    comment: str | None = None,
    saved_now: bool = False,
    click_id: int | None = None,
    one_more: bool = False,
) -> Response:
    locale = base_locale(invitation.locale)
    custom: dict[str, Any] = {}
    if response is not None and questions.custom(invitation.survey.questions):
        custom = answers_store.of_response(get_session(), response.id)
    items = questions_for(invitation, response, selected, custom=custom)
    return _page(
        "survey.html",
        locale,
        status,
        invitation=invitation,
        token=invitation.token,
        title=i18n.text(locale, "survey_title", ticket=invitation.ticket.external_id),
        questions=items,
        asked=",".join(q["key"] for q in items if q["visible"]),
        hint=i18n.text(locale, i18n.hint_key(invitation.survey.questions)),
        one_more=one_more,
        comment_prompt=i18n.comment_prompt(invitation.survey.comment_prompt, locale),
        comment=comment if comment is not None else (response.comment if response else ""),
        max_comment=responses.MAX_COMMENT_LENGTH,
        csrf=csrf_token(invitation.token),
        errors=errors or {},
        form_error=form_error,
        saved_now=saved_now,
        # The page of an unseen one-click rating carries the beacon that confirms it.
        click_id=click_id,
    )


FIELD_MESSAGES = {"required": "required_missing", "at most 500 characters": "text_too_long"}


def _field_errors(locale: str, exc: ValidationError) -> dict[str, str]:
    errors = {}
    for field, messages in exc.fields.items():
        if field == "comment":
            errors["comment"] = i18n.text(locale, "comment_too_long")
        else:
            said = FIELD_MESSAGES.get(messages[0] if messages else "", "invalid_choice")
            errors[field.removeprefix("answers.")] = i18n.text(locale, said)
    return errors


# --- the survey -------------------------------------------------------------------


def _clicked() -> dict[str, Any]:
    """The one-click rating in the query string (``?csat=4``), parsed: any metric, so
    that ``submit()`` refuses one this survey does not ask (422), as for every way."""
    return {m: _parse(m, request.args[m]) for m in METRICS if m in request.args}


@pages_bp.route("/s/<token>", methods=["GET"])
def survey_page(token: str) -> Response:
    """The survey; ``?csat=4`` (any metric) records a one-click rating first, held
    back until a person is seen (``surveys/clicks.py``).

    HEAD, which Flask answers from this view, records nothing: link checkers use it.
    """
    session = get_session()
    now = utcnow()
    found = _load(session, token, with_ticket=True)
    invitation, response = found.invitation, found.response
    raw = _clicked()
    if raw and request.method == "GET":
        try:
            submitted = collect.submit(
                session, token, raw, None, way=collect.Way.CLICK, found=found, now=now
            )
        except ValidationError as exc:
            return _invalid(found, exc)
        session.commit()
        # Valid values are ints and FCR's booleans, shown as the form's "1"/"0".
        selected = {m: str(int(v)) for m, v in raw.items()}
        return _survey_page(
            invitation,
            submitted.response,
            saved_now=True,
            selected=selected,
            click_id=submitted.click_id,
        )
    if response is not None and not responses.can_amend(response, invitation.survey, now):
        return _page("message.html", base_locale(invitation.locale), 200, kind="answered")
    responses.check_can_answer(invitation, response, now)
    if response is not None and response.status == responses.SCANNER:
        # What a scanner clicked is not offered to the person as their answer.
        return _survey_page(invitation, None, comment=response.comment or "")
    return _survey_page(invitation, response)


@pages_bp.route("/s/<token>", methods=["POST"])
def submit_form(token: str) -> Response | Any:
    session = get_session()
    found = _load(session, token, with_ticket=True)
    invitation = found.invitation
    form = request.form
    if "csrf_token" not in form and _clicked():
        return _one_click_post(found)
    selected = _form_selected(invitation)
    comment = form.get("comment", "")
    if not csrf_ok(form.get("csrf_token"), token):
        return _survey_page(
            invitation,
            found.response,
            status=400,
            form_error=i18n.text(base_locale(invitation.locale), "form_expired"),
            selected=selected,
            comment=comment,
        )
    by_key = {questions.key_of(q): q for q in invitation.survey.questions}
    answers = {k: _form_value(by_key[k], v) for k, v in selected.items()}
    # The questions the page showed: a required one is enforced once it was shown.
    # A form without the list (a page from before follow-ups) showed every question
    # that is not a follow-up.
    listed = form.get("asked")
    asked = (
        set(listed.split(",")) & set(by_key)
        if listed is not None
        else {k for k, q in by_key.items() if not q.get("show_if")}
    )
    try:
        submitted = collect.submit(
            session, token, answers, comment, way=collect.Way.FORM, found=found, asked=asked
        )
    except ValidationError as exc:
        return _invalid(found, exc, selected=selected, comment=comment)
    session.commit()
    given = submitted.shown["answers"]
    if any(
        k not in asked and k not in given and by_key[k].get("show_if")
        for k in submitted.shown_questions
    ):
        # Without script a follow-up appears here: the answers so far are saved,
        # and the page comes back with the questions they opened.
        return _survey_page(invitation, submitted.response, one_more=True)
    target = url_for(".thanks", token=token, embed="1" if _embed() else None)
    return redirect(target, code=303)


def _form_selected(invitation: Invitation) -> dict[str, str | list[str]]:
    """The form's answers, as sent: a multi's ticked boxes as a list."""
    form = request.form
    selected: dict[str, str | list[str]] = {}
    for question in invitation.survey.questions:
        key = questions.key_of(question)
        if questions.type_of(question) == "multi":
            ticked = [v for v in form.getlist(key) if v]
            if ticked:
                selected[key] = ticked
        elif (form.get(key) or "").strip():
            selected[key] = form[key]
    return selected


def _one_click_post(found: collect.Found) -> Response:
    """``POST /s/<token>?csat=4`` with no form token: a mail client's one-click POST
    (RFC 8058 style; the unguessable token in the URL is the credential, and mail
    scanners do not POST). A person: the rating is recorded confirmed."""
    session = get_session()
    invitation = found.invitation
    raw = _clicked()
    try:
        collect.submit(
            session, invitation.token, raw, None, way=collect.Way.ONE_CLICK_POST, found=found
        )
    except ValidationError as exc:
        return _invalid(found, exc)
    session.commit()
    locale = base_locale(invitation.locale)
    return _page("message.html", locale, 200, kind="thanks", amendable=False, deadline="")


def _invalid(
    found: collect.Found,
    exc: ValidationError,
    *,
    selected: Mapping[str, str | list[str]] | None = None,
    comment: str | None = None,
) -> Response:
    """The survey again, 422, each bad field marked in the customer's language."""
    locale = base_locale(found.invitation.locale)
    errors = _field_errors(locale, exc)
    nothing = errors.pop("answers", None)
    asked = {questions.key_of(q) for q in found.invitation.survey.questions}
    # A one-click rating of a metric the page does not show has no field to mark.
    not_asked = any(field not in asked for field in errors if field != "comment")
    form_error = "nothing_given" if nothing else "not_asked" if not_asked else None
    return _survey_page(
        found.invitation,
        found.response,
        status=422,
        errors=errors,
        form_error=i18n.text(locale, form_error) if form_error else None,
        selected=selected,
        comment=comment,
    )


@pages_bp.route("/s/<token>/seen", methods=["POST"])
def seen(token: str) -> Response:
    """The page's beacon: a browser showed the page of a one-click rating, so a
    person gave it; the rating is confirmed (``surveys/clicks.py``)."""
    if not csrf_ok(request.form.get("csrf_token"), token):
        return Response(status=400)
    raw = request.form.get("click", "")
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**31:
        return Response(status=400)
    session = get_session()
    if not collect.seen(session, _load(session, token), int(raw)):
        return Response(status=400)
    session.commit()
    return Response(status=204)


@pages_bp.route("/s/<token>/thanks", methods=["GET"])
def thanks(token: str) -> Response | Any:
    session = get_session()
    found = _load(session, token)
    invitation, response = found.invitation, found.response
    if response is None:
        return redirect(url_for(".survey_page", token=token, embed="1" if _embed() else None))
    locale = base_locale(invitation.locale)
    now = utcnow()
    deadline = responses.amend_deadline(response, invitation.survey)
    amendable = response.status == responses.CONFIRMED and now < deadline
    return _page(
        "message.html",
        locale,
        200,
        kind="thanks",
        deadline=_format_deadline(deadline),
        amendable=amendable,
        change_url=url_for(".survey_page", token=token, embed="1" if _embed() else None),
    )


def _format_deadline(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


# --- unsubscribe ------------------------------------------------------------------


@pages_bp.route("/u/<token>", methods=["GET"])
def unsubscribe_page(token: str) -> Response:
    invitation = _load(get_session(), token).invitation
    locale = base_locale(invitation.locale)
    if invitation.customer.unsubscribed_at is not None:
        return _page("message.html", locale, 200, kind="unsubscribed")
    return _page("unsubscribe.html", locale, 200, token=token, csrf=csrf_token(token))


@pages_bp.route("/u/<token>", methods=["POST"])
def unsubscribe(token: str) -> Response:
    """The confirm button, or a mail client's RFC 8058 one-click POST
    (``List-Unsubscribe=One-Click``), which carries no CSRF token: the unguessable
    token in the URL is the only credential, as the RFC intends."""
    session = get_session()
    invitation = _load(session, token).invitation
    locale = base_locale(invitation.locale)
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    if not one_click and not csrf_ok(request.form.get("csrf_token"), token):
        return _page("unsubscribe.html", locale, 400, token=token, csrf=csrf_token(token))
    responses.unsubscribe(session, invitation)
    session.commit()
    return _page("message.html", locale, 200, kind="unsubscribed")


# --- the widget -------------------------------------------------------------------


@pages_bp.route("/widget.js", methods=["GET"])
def widget() -> Response:
    """The embeddable widget (see static/widget.js): cached an hour by browsers."""
    response = send_file(WIDGET_JS, mimetype="text/javascript", max_age=3600)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --- errors and headers -----------------------------------------------------------


@pages_bp.errorhandler(FeedbackError)
def _feedback_error(error: FeedbackError) -> Response:
    kind = {
        404: "not_found",
        409: "answered",
        410: "expired",
    }.get(error.status, "error")
    return _page("message.html", _error_locale(), error.status, kind=kind)


@pages_bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> Response:
    # Flask-Limiter adds Retry-After to this response on its way out.
    return _page("message.html", _error_locale(), 429, kind="rate_limited")


@pages_bp.after_request
def _headers(response: Response) -> Response:
    if request.endpoint == "survey_pages.widget":
        return response
    nonce = g.get("csp_nonce", "")
    frame = "*" if _embed() else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        f"connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {frame}"
    )
    # The token in the URL is a credential: keep it out of caches and Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
