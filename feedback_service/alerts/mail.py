"""Alert and digest emails (plain text + HTML), sent through the surveys
feature's delivery: SMTP in production, the ``.eml`` outbox by default."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app, render_template

from feedback_service import words
from feedback_service.alerts.models import Alert


def payload_lines(payload: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The payload as ``(label, text)`` lines, nested keys dotted, for an email.

    ``comment`` is left out: the templates show it on its own, quoted.
    """
    lines: list[tuple[str, str]] = []
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if not prefix and key == "comment":
            continue
        if isinstance(value, Mapping):
            lines.extend(payload_lines(value, f"{name}."))
        elif isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    lines.extend(payload_lines(item, f"{name}.{i + 1}."))
                else:
                    lines.append((f"{name}.{i + 1}", str(item)))
        elif isinstance(value, list | tuple):
            lines.append((name, ", ".join(str(v) for v in value)))
        elif value is not None:
            lines.append((name, str(value)))
    return lines


def fmt(value: Any, digits: int = 1, signed: bool = False) -> str:
    """A figure for an email: fixed decimals, a dash for "no data"."""
    if value is None:
        return "-"
    if isinstance(value, bool | int):
        return f"{value:+d}" if signed and not isinstance(value, bool) else str(value)
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _message(subject: str, to: Iterable[str], header: str, ref: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=ref)
    message["Auto-Submitted"] = "auto-generated"
    message[header] = ref
    return message


def alert_message(alert: Alert, to: str) -> EmailMessage:
    context = {
        "alert": alert,
        "lines": payload_lines(alert.payload),
        "comment": alert.payload.get("comment"),
        "company": current_app.config["COMPANY_NAME"],
    }
    message = _message(f"[Alert] {alert.title}", [to], "X-Feedback-Alert", str(alert.id))
    message.set_content(render_template("alerts/email/alert.txt", **context))
    message.add_alternative(render_template("alerts/email/alert.html", **context), subtype="html")
    return message


def digest_message(digest: Mapping[str, Any], to: Iterable[str], ref: str) -> EmailMessage:
    period = digest["period"]
    label = "Daily" if digest["frequency"] == "daily" else "Weekly"
    span = (
        period["from"] if period["from"] == period["to"] else f"{period['from']} to {period['to']}"
    )
    context = {
        "d": digest,
        "label": label,
        "span": span,
        "fmt": fmt,
        "count": words.count,
        "company": current_app.config["COMPANY_NAME"],
    }
    message = _message(f"{label} feedback digest: {span}", to, "X-Feedback-Digest", ref)
    message.set_content(render_template("alerts/email/digest.txt", **context))
    message.add_alternative(render_template("alerts/email/digest.html", **context), subtype="html")
    return message
