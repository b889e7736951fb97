"""Survey editing for managers: questions, wording per language, sending rules,
and previews of the email and the page exactly as customers get them.

Edits go through the surveys feature's own schema (``SurveyPatch``) and service
(``update_survey``), so the dashboard cannot save what the API would refuse.
Previews render the real templates (``delivery.build_message``, the survey page
template with ``pages.questions_for``) for a sample ticket that is never stored.
"""

from __future__ import annotations

import secrets
from types import SimpleNamespace
from typing import Any, cast

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError as SchemaError

from feedback_service.dashboard.security import login_required
from feedback_service.dashboard.views import bp
from feedback_service.db import get_session
from feedback_service.surveys import delivery, i18n, pages, responses, service
from feedback_service.surveys.metrics import METRICS, SUPPORTED_LOCALES
from feedback_service.surveys.models import Invitation, Survey
from feedback_service.surveys.schemas import SurveyPatch

LANGUAGES = {"en": "English", "es": "Español", "de": "Deutsch"}
PREVIEW_TICKET = "PREVIEW-1042"
# Previews are shown in sandboxed frames of the editor: no script runs, nothing
# is submitted, and only this site may frame them.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'self'; sandbox"
)


def _editor_values(survey: Survey) -> dict[str, Any]:
    """The survey as the form's fields (what the page shows before any edit)."""
    asked = {
        q["metric"]: (i + 1, q.get("wording") or {})
        for i, q in enumerate(survey.questions)
        if "metric" in q
    }
    values: dict[str, Any] = {
        "name": survey.name,
        "active": survey.active,
        "comment_enabled": survey.comment_prompt is not None,
        "throttle_days": survey.throttle_days,
        "sampling_pct": round(survey.sampling_rate * 100, 2),
        "send_delay_minutes": survey.send_delay_seconds // 60,
        "reminder_after_hours": survey.reminder_after_hours or "",
        "expire_after_days": survey.expire_after_days,
        "amend_window_hours": survey.amend_window_hours,
    }
    for metric in METRICS:
        position, wording = asked.get(metric, (0, {}))
        values[f"ask_{metric}"] = position > 0
        values[f"position_{metric}"] = position or len(asked) + 1
        for loc in SUPPORTED_LOCALES:
            values[f"wording_{metric}_{loc}"] = wording.get(loc, "")
    for loc in SUPPORTED_LOCALES:
        values[f"comment_{loc}"] = (survey.comment_prompt or {}).get(loc, "")
    return values


def _number(form: Any, name: str, errors: dict[str, str], *, blank_none: bool = False) -> Any:
    raw = (form.get(name) or "").strip().replace(",", ".")
    if raw == "" and blank_none:
        return None
    try:
        number = float(raw)
    except ValueError:
        errors[name] = "A number, please."
        return None
    return int(number) if number.is_integer() else number


def _patch_from_form(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Form fields -> a ``SurveyPatch`` body, and the form's own errors."""
    errors: dict[str, str] = {}
    asked = []
    for metric in METRICS:
        if not form.get(f"ask_{metric}"):
            continue
        position = _number(form, f"position_{metric}", errors) or 0
        wording = {
            loc: text
            for loc in SUPPORTED_LOCALES
            if (text := (form.get(f"wording_{metric}_{loc}") or "").strip())
        }
        asked.append(
            (position, list(METRICS).index(metric), {"metric": metric, "wording": wording})
        )
    asked.sort(key=lambda item: (item[0], item[1]))
    comment_prompt: dict[str, str] | None = None
    if form.get("comment_enabled"):
        comment_prompt = {
            loc: text
            for loc in SUPPORTED_LOCALES
            if (text := (form.get(f"comment_{loc}") or "").strip())
        }
    patch: dict[str, Any] = {
        "name": (form.get("name") or "").strip(),
        "active": bool(form.get("active")),
        "questions": [q for _, _, q in asked],
        "comment_prompt": comment_prompt,
        "throttle_days": _number(form, "throttle_days", errors),
        "expire_after_days": _number(form, "expire_after_days", errors),
        "amend_window_hours": _number(form, "amend_window_hours", errors),
        "reminder_after_hours": _number(form, "reminder_after_hours", errors, blank_none=True),
    }
    pct = _number(form, "sampling_pct", errors)
    patch["sampling_rate"] = None if pct is None else pct / 100
    if pct is not None and not 0 <= pct <= 100:
        errors["sampling_pct"] = "Between 0 and 100."
    minutes = _number(form, "send_delay_minutes", errors)
    patch["send_delay_seconds"] = None if minutes is None else int(minutes * 60)
    return patch, errors


# The schema's field names -> the form's, so an error shows next to its input.
FORM_NAMES = {
    "sampling_rate": "sampling_pct",
    "send_delay_seconds": "send_delay_minutes",
    "comment_prompt": "comment_en",
}


def _schema_errors(messages: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in messages.items():
        if name == "questions" and isinstance(value, dict):
            for index, inner in value.items():
                out["questions"] = f"Question {int(index) + 1}: {inner}"
            continue
        text = " ".join(value) if isinstance(value, list) else str(value)
        out[FORM_NAMES.get(name, name)] = text
    return out


@bp.get("/surveys")
@login_required("manager")
def surveys() -> str:
    return render_template(
        "dashboard/surveys.html", surveys=service.list_surveys(get_session()), metrics=METRICS
    )


def _editor(survey: Survey, values: dict[str, Any], errors: dict[str, str], status: int) -> Any:
    locale = request.args.get("locale", "en")
    locale = locale if locale in SUPPORTED_LOCALES else "en"
    defaults = {
        metric: {loc: spec.wording.get(loc, "") for loc in SUPPORTED_LOCALES}
        for metric, spec in METRICS.items()
    }
    return (
        render_template(
            "dashboard/survey_edit.html",
            survey=survey,
            values=values,
            errors=errors,
            metrics=list(METRICS),
            own_questions=[q for q in survey.questions if "metric" not in q],
            locales=SUPPORTED_LOCALES,
            languages=LANGUAGES,
            defaults=defaults,
            default_comment={loc: i18n.text(loc, "comment_prompt") for loc in SUPPORTED_LOCALES},
            locale=locale,
            stamp=survey.updated_at.timestamp() if survey.updated_at else 0,
        ),
        status,
    )


@bp.get("/surveys/<key>")
@login_required("manager")
def survey_edit(key: str) -> Any:
    survey = service.get_survey(get_session(), key)
    return _editor(survey, _editor_values(survey), {}, 200)


@bp.post("/surveys/<key>")
@login_required("manager")
def survey_save(key: str) -> Any:
    session = get_session()
    survey = service.get_survey(session, key)
    patch, errors = _patch_from_form(request.form)
    # The form edits the built-in metrics; the survey's own questions (API-defined)
    # are kept as they are, after them.
    patch["questions"] += [q for q in survey.questions if "metric" not in q]
    if not errors:
        try:
            data = SurveyPatch().load(
                {
                    k: v
                    for k, v in patch.items()
                    if v is not None or k in ("comment_prompt", "reminder_after_hours")
                }
            )
        except SchemaError as error:
            errors = _schema_errors(cast(dict[str, Any], error.messages))
    if errors:
        return _editor(
            survey,
            dict(request.form.items())
            | {
                "active": bool(request.form.get("active")),
                "comment_enabled": bool(request.form.get("comment_enabled")),
                **{f"ask_{m}": bool(request.form.get(f"ask_{m}")) for m in METRICS},
            },
            errors,
            422,
        )
    service.update_survey(session, key, data)
    session.commit()
    flash(f"Survey “{survey.name}” saved. New invitations use it from now on.")
    return redirect(url_for("dashboard.survey_edit", key=key), 303)


def _sample_invitation(survey: Survey, locale: str) -> Invitation:
    """An invitation-shaped object for rendering only: never added to a session,
    so a preview can never send, store or count anything."""
    customer = SimpleNamespace(
        name={"en": "Sam Sample", "es": "Sara Ejemplo", "de": "Sascha Beispiel"}[locale],
        email="sam@example.com",
    )
    ticket = SimpleNamespace(external_id=PREVIEW_TICKET, subject="Preview")
    sample = SimpleNamespace(
        id=0,
        token=f"preview-{secrets.token_hex(4)}",
        survey=survey,
        ticket=ticket,
        customer=customer,
        locale=locale,
    )
    return cast(Invitation, sample)


def _preview_locale() -> str:
    locale = request.args.get("locale", "en")
    return locale if locale in SUPPORTED_LOCALES else "en"


@bp.get("/surveys/<key>/preview/email")
@login_required("manager")
def survey_preview_email(key: str) -> Response:
    survey = service.get_survey(get_session(), key)
    message = delivery.build_message(_sample_invitation(survey, _preview_locale()))
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    html = html_part.get_content() if html_part is not None else ""
    text = text_part.get_content() if text_part is not None else ""
    if request.args.get("part") == "text":
        response = Response(text, mimetype="text/plain")
    else:
        response = Response(html, mimetype="text/html")
    response.headers["X-Email-Subject"] = (
        str(message["Subject"]).encode("ascii", "replace").decode()
    )
    response.headers["Content-Security-Policy"] = EMAIL_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/surveys/<key>/preview/page")
@login_required("manager")
def survey_preview_page(key: str) -> Response:
    survey = service.get_survey(get_session(), key)
    locale = _preview_locale()
    sample = _sample_invitation(survey, locale)
    nonce = secrets.token_urlsafe(16)
    # Rendered as if at the customer's URL, so the page's own links resolve
    # against the survey pages' blueprint exactly as in production.
    with current_app.test_request_context(f"/s/{sample.token}"):
        html = render_template(
            "surveys/pages/survey.html",
            locale=locale,
            t=lambda key, **kw: i18n.text(locale, key, **kw),
            company=current_app.config["COMPANY_NAME"],
            embed=False,
            nonce=nonce,
            invitation=sample,
            token=sample.token,
            title=i18n.text(locale, "survey_title", ticket=PREVIEW_TICKET),
            questions=pages.questions_for(sample, None),
            comment_prompt=i18n.comment_prompt(survey.comment_prompt, locale),
            comment="",
            max_comment=responses.MAX_COMMENT_LENGTH,
            csrf="preview",
            errors={},
            form_error=None,
            saved_now=False,
            click_id=None,
        )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src data:; "
        "form-action 'none'; frame-ancestors 'self'; sandbox"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
