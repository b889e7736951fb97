"""Customer-facing text in every supported locale (English, Spanish, German).

A survey may override its questions' wording and comment prompt per locale; the
rest of the words customers see live here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feedback_service.surveys import questions
from feedback_service.surveys.metrics import DEFAULT_LOCALE, METRICS, base_locale

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "email_subject": "How did we do? Your request #{ticket}",
        "email_reminder_subject": "A quick reminder: how did we do? (#{ticket})",
        "email_greeting": "Hi {name},",
        "email_greeting_anonymous": "Hello,",
        "email_intro": "Your request #{ticket} was recently closed. One click tells us "
        "how it went:",
        "email_more": "Want to tell us more? Answer the rest of the short survey",
        "email_footer": "You received this because you contacted {company} support.",
        "unsubscribe": "Unsubscribe from these surveys",
        "comment_prompt": "Anything else you'd like to tell us?",
        "submit": "Send feedback",
        "thanks_title": "Thank you!",
        "thanks_body": "Your feedback helps us improve. You can change your answers "
        "until {deadline}.",
        "saved_rating": "We saved your rating. Anything to add?",
        "survey_title": "Your feedback about request #{ticket}",
        "yes": "Yes",
        "no": "No",
        "expired_title": "This survey has closed",
        "expired_body": "Thank you for wanting to tell us. This survey is no longer open.",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_body": "Stop sending me feedback surveys.",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed_title": "You are unsubscribed",
        "unsubscribed_body": "You will not receive more feedback surveys from {company}.",
        "required_hint": "All questions are optional.",
        "characters_left": "characters left",
        "comment_hint": "Optional. Up to 5,000 characters.",
        "invalid_choice": "Please choose one of the options.",
        "not_asked": "This link holds a rating this survey does not ask. Please answer below.",
        "comment_too_long": "Please keep the comment under 5,000 characters.",
        "nothing_given": "Please answer a question or write a comment.",
        "form_expired": "This page was open too long. Please send your answers again.",
        "change_answers": "Change your answers",
        "answered_title": "Your answers are recorded",
        "answered_body": "Thank you. The answers can no longer be changed.",
        "not_found_title": "We could not find this survey",
        "not_found_body": "The link may be incomplete. Please open the whole link from the email.",
        "rate_limited_title": "Too many attempts",
        "rate_limited_body": "Please wait a moment and try again.",
        "error_title": "Something went wrong",
        "error_body": "Please try again in a moment.",
        "thanks_body_final": "Your feedback helps us improve.",
        "sending": "Sending…",
        "send_failed": "Sorry, your feedback could not be sent. Please try again.",
        "required_marked": "Questions marked * need an answer; the rest are optional.",
        "one_more": "Thank you. One more question, below.",
        "required_missing": "Please answer this question.",
        "text_too_long": "Please keep this answer under 500 characters.",
        "choose_any": "Choose any that apply.",
    },
    "es": {
        "email_subject": "¿Cómo lo hicimos? Su solicitud #{ticket}",
        "email_reminder_subject": "Un breve recordatorio: ¿cómo lo hicimos? (#{ticket})",
        "email_greeting": "Hola, {name}:",
        "email_greeting_anonymous": "Hola:",
        "email_intro": "Su solicitud #{ticket} se cerró hace poco. Con un clic nos dice cómo fue:",
        "email_more": "¿Quiere contarnos más? Responda el resto de la breve encuesta",
        "email_footer": "Recibe este mensaje porque contactó con el soporte de {company}.",
        "unsubscribe": "Darse de baja de estas encuestas",
        "comment_prompt": "¿Hay algo más que quiera contarnos?",
        "submit": "Enviar opinión",
        "thanks_title": "¡Gracias!",
        "thanks_body": "Su opinión nos ayuda a mejorar. Puede cambiar sus respuestas "
        "hasta el {deadline}.",
        "saved_rating": "Guardamos su valoración. ¿Algo que añadir?",
        "survey_title": "Su opinión sobre la solicitud #{ticket}",
        "yes": "Sí",
        "no": "No",
        "expired_title": "Esta encuesta está cerrada",
        "expired_body": "Gracias por querer responder. Esta encuesta ya no está abierta.",
        "unsubscribe_title": "Darse de baja",
        "unsubscribe_body": "No quiero recibir más encuestas de opinión.",
        "unsubscribe_button": "Darme de baja",
        "unsubscribed_title": "Se ha dado de baja",
        "unsubscribed_body": "No recibirá más encuestas de opinión de {company}.",
        "required_hint": "Todas las preguntas son opcionales.",
        "characters_left": "caracteres restantes",
        "comment_hint": "Opcional. Hasta 5.000 caracteres.",
        "invalid_choice": "Elija una de las opciones.",
        "not_asked": "Este enlace lleva una valoración que esta encuesta no pide. Responda abajo.",
        "comment_too_long": "El comentario debe tener menos de 5.000 caracteres.",
        "nothing_given": "Responda una pregunta o escriba un comentario.",
        "form_expired": "La página estuvo abierta demasiado tiempo. Envíe sus respuestas de nuevo.",
        "change_answers": "Cambiar sus respuestas",
        "answered_title": "Sus respuestas están registradas",
        "answered_body": "Gracias. Las respuestas ya no se pueden cambiar.",
        "not_found_title": "No encontramos esta encuesta",
        "not_found_body": "Puede que el enlace esté incompleto. Abra el enlace completo del "
        "correo.",
        "rate_limited_title": "Demasiados intentos",
        "rate_limited_body": "Espere un momento y vuelva a intentarlo.",
        "error_title": "Algo salió mal",
        "error_body": "Vuelva a intentarlo en un momento.",
        "thanks_body_final": "Su opinión nos ayuda a mejorar.",
        "sending": "Enviando…",
        "send_failed": "No pudimos enviar su opinión. Vuelva a intentarlo.",
        "required_marked": "Las preguntas marcadas con * necesitan respuesta; el resto son "
        "opcionales.",
        "one_more": "Gracias. Una pregunta más, abajo.",
        "required_missing": "Responda esta pregunta.",
        "text_too_long": "La respuesta debe tener menos de 500 caracteres.",
        "choose_any": "Elija todas las que correspondan.",
    },
    "de": {
        "email_subject": "Wie waren wir? Ihre Anfrage #{ticket}",
        "email_reminder_subject": "Kurze Erinnerung: Wie waren wir? (#{ticket})",
        "email_greeting": "Hallo {name},",
        "email_greeting_anonymous": "Hallo,",
        "email_intro": "Ihre Anfrage #{ticket} wurde kürzlich abgeschlossen. Ein Klick "
        "sagt uns, wie es lief:",
        "email_more": "Möchten Sie uns mehr sagen? Beantworten Sie den Rest der kurzen Umfrage",
        "email_footer": "Sie erhalten diese Nachricht, weil Sie den Support von {company} "
        "kontaktiert haben.",
        "unsubscribe": "Von diesen Umfragen abmelden",
        "comment_prompt": "Möchten Sie uns noch etwas mitteilen?",
        "submit": "Feedback senden",
        "thanks_title": "Vielen Dank!",
        "thanks_body": "Ihr Feedback hilft uns, besser zu werden. Sie können Ihre "
        "Antworten bis {deadline} ändern.",
        "saved_rating": "Wir haben Ihre Bewertung gespeichert. Möchten Sie etwas ergänzen?",
        "survey_title": "Ihr Feedback zu Anfrage #{ticket}",
        "yes": "Ja",
        "no": "Nein",
        "expired_title": "Diese Umfrage ist geschlossen",
        "expired_body": "Danke, dass Sie antworten wollten. Diese Umfrage ist nicht mehr geöffnet.",
        "unsubscribe_title": "Abmelden",
        "unsubscribe_body": "Keine Feedback-Umfragen mehr an mich senden.",
        "unsubscribe_button": "Abmelden",
        "unsubscribed_title": "Sie sind abgemeldet",
        "unsubscribed_body": "Sie erhalten keine Feedback-Umfragen von {company} mehr.",
        "required_hint": "Alle Fragen sind freiwillig.",
        "characters_left": "Zeichen übrig",
        "comment_hint": "Freiwillig. Bis zu 5.000 Zeichen.",
        "invalid_choice": "Bitte wählen Sie eine der Optionen.",
        "not_asked": "Dieser Link enthält eine Bewertung, die diese Umfrage nicht erfragt. "
        "Bitte antworten Sie unten.",
        "comment_too_long": "Bitte halten Sie den Kommentar unter 5.000 Zeichen.",
        "nothing_given": "Bitte beantworten Sie eine Frage oder schreiben Sie einen Kommentar.",
        "form_expired": "Die Seite war zu lange geöffnet. Bitte senden Sie Ihre Antworten erneut.",
        "change_answers": "Antworten ändern",
        "answered_title": "Ihre Antworten sind gespeichert",
        "answered_body": "Vielen Dank. Die Antworten können nicht mehr geändert werden.",
        "not_found_title": "Wir konnten diese Umfrage nicht finden",
        "not_found_body": "Der Link ist vielleicht unvollständig. Bitte öffnen Sie den ganzen "
        "Link aus der E-Mail.",
        "rate_limited_title": "Zu viele Versuche",
        "rate_limited_body": "Bitte warten Sie einen Moment und versuchen Sie es erneut.",
        "error_title": "Etwas ist schiefgelaufen",
        "error_body": "Bitte versuchen Sie es gleich noch einmal.",
        "thanks_body_final": "Ihr Feedback hilft uns, besser zu werden.",
        "sending": "Wird gesendet…",
        "send_failed": "Ihr Feedback konnte nicht gesendet werden. Bitte versuchen Sie es erneut.",
        "required_marked": "Mit * markierte Fragen brauchen eine Antwort; die übrigen sind "
        "freiwillig.",
        "one_more": "Danke. Noch eine Frage, unten.",
        "required_missing": "Bitte beantworten Sie diese Frage.",
        "text_too_long": "Bitte halten Sie die Antwort unter 500 Zeichen.",
        "choose_any": "Wählen Sie alle zutreffenden aus.",
    },
}


def text(locale: str, key: str, **values: object) -> str:
    table = TEXT.get(base_locale(locale), TEXT[DEFAULT_LOCALE])
    return table.get(key, TEXT[DEFAULT_LOCALE][key]).format(**values)


def question_wording(question: Mapping[str, Any], locale: str, company: str) -> str:
    """The survey's own wording for the locale, else a metric's default (a team's
    own question falls back to its English wording)."""
    loc = base_locale(locale)
    wording = question.get("wording") or {}
    if questions.is_custom(question):
        chosen = questions.localized(wording, loc, questions.key_of(question))
    else:
        spec = METRICS[str(question["metric"])]
        chosen = wording.get(loc) or spec.wording.get(loc) or spec.wording[DEFAULT_LOCALE]
    return str(chosen).replace("{company}", company)


def question_anchors(question: Mapping[str, Any], locale: str) -> tuple[str, str]:
    """The labels of a numeric question's lowest and highest point."""
    if not questions.is_custom(question):
        return anchors(str(question["metric"]), locale)
    labels = questions.localized(question.get("labels"), locale, None)
    return (str(labels[0]), str(labels[1])) if labels else ("", "")


def customer_question(question: Mapping[str, Any], locale: str, company: str) -> dict[str, Any]:
    """One question as its customer sees it: wording, options (value and label)
    and the labels of a scale's ends, in ``locale``; what the page, the widget's
    survey and the email's one-click rating are built from."""
    kind = questions.type_of(question)
    options: list[dict[str, Any]] = []
    low = high = None
    if kind == "metric" and question["metric"] == "fcr":
        options = [{"value": True, "label": text(locale, "yes")}]
        options.append({"value": False, "label": text(locale, "no")})
    elif kind in ("metric", "rating"):
        low, high = questions.scale(question)
        options = [{"value": v, "label": str(v)} for v in range(low, high + 1)]
    elif kind in ("choice", "multi"):
        options = [
            {"value": v, "label": questions.option_label(question, v, locale)}
            for v in questions.option_values(question)
        ]
    low_label, high_label = question_anchors(question, locale) if low is not None else ("", "")
    return {
        "key": questions.key_of(question),
        "type": kind,
        "metric": question.get("metric"),
        "wording": question_wording(question, locale, company),
        "options": options,
        "low": low,
        "high": high,
        "low_label": low_label,
        "high_label": high_label,
        "required": bool(question.get("required")),
        "show_if": question.get("show_if"),
        "max_length": questions.MAX_TEXT_LENGTH if kind == "text" else None,
    }


def hint_key(asked: list[dict[str, Any]]) -> str:
    """Which hint the survey's top says: all optional, or which need an answer."""
    return "required_marked" if any(q.get("required") for q in asked) else "required_hint"


def comment_prompt(prompt: dict[str, str] | None, locale: str) -> str | None:
    if prompt is None:
        return None
    loc = base_locale(locale)
    return prompt.get(loc) or prompt.get(DEFAULT_LOCALE) or text(loc, "comment_prompt")


def anchors(metric: str, locale: str) -> tuple[str, str]:
    spec = METRICS[metric]
    return spec.anchors.get(base_locale(locale), spec.anchors[DEFAULT_LOCALE])
