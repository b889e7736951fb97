"""Rendering the survey email and handing it to SMTP or the local outbox.

Failures are sorted into temporary (retry with backoff) and permanent (the
invitation is marked failed with the reason): SMTP 4xx replies, timeouts and
refused connections are temporary; 5xx replies are permanent.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from feedback_service.surveys import i18n, links
from feedback_service.surveys.metrics import METRICS
from feedback_service.surveys.models import Invitation


class DeliveryError(Exception):
    pass


class TemporaryDeliveryError(DeliveryError):
    pass


class PermanentDeliveryError(DeliveryError):
    pass


def _rating_buttons(invitation: Invitation) -> dict[str, Any]:
    # The first built-in metric (a survey always asks one): the team's own
    # questions are answered on the page, never from the email.
    question = next(q for q in invitation.survey.questions if "metric" in q)
    metric = question["metric"]
    spec = METRICS[metric]
    locale = invitation.locale
    low, high = i18n.anchors(metric, locale)
    if metric == "fcr":
        values = [(1, i18n.text(locale, "yes")), (0, i18n.text(locale, "no"))]
    else:
        values = [(v, str(v)) for v in spec.values]
    url = links.survey_url(invitation)
    return {
        "metric": metric,
        "wording": i18n.question_wording(question, locale, current_app.config["COMPANY_NAME"]),
        "buttons": [{"label": label, "url": f"{url}?{metric}={v}"} for v, label in values],
        "low_label": low,
        "high_label": high,
    }


def build_message(invitation: Invitation, *, reminder: bool = False) -> EmailMessage:
    config = current_app.config
    locale = invitation.locale
    ticket_ref = invitation.ticket.external_id
    company = config["COMPANY_NAME"]
    customer = invitation.customer
    context = {
        "locale": locale,
        "t": lambda key, **kw: i18n.text(locale, key, **kw),
        "ticket": ticket_ref,
        "company": company,
        "greeting": (
            i18n.text(locale, "email_greeting", name=customer.name)
            if customer.name
            else i18n.text(locale, "email_greeting_anonymous")
        ),
        "question": _rating_buttons(invitation),
        "survey_url": links.survey_url(invitation),
        "unsubscribe_url": links.unsubscribe_url(invitation),
    }
    subject_key = "email_reminder_subject" if reminder else "email_subject"
    message = EmailMessage()
    message["Subject"] = i18n.text(locale, subject_key, ticket=ticket_ref)
    message["From"] = config["MAIL_FROM"]
    message["To"] = formataddr((customer.name or "", customer.email or ""))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"inv{invitation.id}")
    message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    # RFC 8058: mail clients may unsubscribe with one POST, without opening a page.
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Feedback-Invitation"] = str(invitation.id)
    message.set_content(render_template("surveys/email/invitation.txt", **context))
    message.add_alternative(
        render_template("surveys/email/invitation.html", **context), subtype="html"
    )
    return message


def deliver(message: EmailMessage) -> None:
    backend = current_app.config["EMAIL_BACKEND"]
    if backend == "smtp":
        _send_smtp(message)
    elif backend == "outbox":
        _write_outbox(message)
    else:
        raise PermanentDeliveryError(f"unknown EMAIL_BACKEND {backend!r}")


def _write_outbox(message: EmailMessage) -> None:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    invitation = message["X-Feedback-Invitation"]
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{invitation}-{time.time_ns() % 1_000_000}.eml"
    tmp = outbox / f".{name}.tmp"
    tmp.write_bytes(bytes(message))
    tmp.rename(outbox / name)  # atomic: a reader never sees half a message


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    tls = config["SMTP_TLS"]
    try:
        smtp: smtplib.SMTP
        if tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())
        if all(400 <= c < 500 for c in codes):
            raise TemporaryDeliveryError(f"recipient deferred: {detail}") from exc
        raise PermanentDeliveryError(f"recipient refused: {detail}") from exc
    except smtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if 400 <= exc.smtp_code < 500:
            raise TemporaryDeliveryError(text) from exc
        raise PermanentDeliveryError(text) from exc
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
        raise TemporaryDeliveryError(f"{exc.__class__.__name__}: {exc}") from exc
    except TimeoutError as exc:  # pragma: no cover - OSError covers it on 3.11
        raise TemporaryDeliveryError("SMTP timeout") from exc
