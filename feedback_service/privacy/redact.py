"""PII redaction at intake: what a customer types that identifies or charges them.

Email addresses, phone numbers, payment card numbers and IBANs in a comment are
replaced by ``[email]``, ``[phone]``, ``[card]`` and ``[iban]`` before the comment is
stored, so the analysis, alerts, webhooks, API answers and CSV exports never see
them. ``redact_comment`` is what every intake path calls (the JSON API and widget,
the survey page form, label imports); ``REDACT_PII=false`` turns it off.

Numbers that are not PII stay: a card number must pass the Luhn check and start
like a card (2-6), an IBAN its mod-97 check; a phone number must look like one
(an international prefix, a trunk ``0``, an area code in parentheses, the North
American or Spanish grouping, or a word such as "call" or "Tel." before it), and a
date, a price or a number after "order"/"Bestellung"/"pedido" is never one.
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
IBAN = "[iban]"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")

# Printed in groups of four or run together; 15 (Norway) to 34 characters.
_IBAN_RE = re.compile(
    r"(?<![\w])[A-Z]{2}\d{2}(?:(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?)(?![\w])",
    re.IGNORECASE,
)

# 13-19 digits, optionally grouped by spaces or dashes.
_CARD_RE = re.compile(r"(?<![\w.,+])\d(?:[ -]?\d){12,18}(?![\w.,]\d|\w)")

# Digit groups separated by a space, dash, dot or slash, an optional international
# prefix and an area code in parentheses; which of these are phones is decided in
# ``_is_phone``.
_PHONE_RE = re.compile(
    r"(?<![\w+@/.,-])"
    r"(?:(?:\+|00)\d{1,3}[ .\-/]?)?"
    r"(?:\(0?\d{1,5}\)[ .\-/]?)?"
    r"\d{1,15}(?:(?:[ .\-/]|\s?-\s?)\d{1,8}){0,6}"
    r"(?![\w@]|[.,/:-]\d)"
)
_DATE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2})")
_NANP_RE = re.compile(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
# 612 345 678, 612 34 56 78, 91 123 45 67: Spanish numbers, always grouped.
_SPANISH_RE = re.compile(
    r"[6789]\d{2}(?: \d{3} \d{3}| \d{2} \d{2} \d{2})|[89]\d (?:\d{3} \d{2} \d{2})"
)
# The nearest of these words in the 30 characters before a number decides: "call me
# at", "Handy", "mi móvil es el" make it a phone; "order", "Bestellung Nr.",
# "pedido #" make it not one. "My number is" is a phone unless an order is named too.
_CONTEXT_WORDS = re.compile(
    r"\b(?:(?P<phone>tel|tlf|tfno|phone|mobile|cell|call|whatsapp|fax|handy|telefon|"
    r"m[oó]vil|mobil|anruf|ruf|ll[aá]m|contact|kontakt|reach|erreich)\w*"
    r"|(?P<generic>number|nummer|n[uú]mero)\b"
    r"|(?:order|invoice|ticket|case|ref|tracking|account|customer|iban|bic|bestell|"
    r"rechnung|auftrag|kunde|sendung|konto|pedido|factura|referencia|cuenta|cliente|"
    r"env[ií]o)\w*|(?:id|nr|no|n[º°o])\b\.?)",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"[$€£¥]\s*$|\b(?:eur|usd|gbp|chf)\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"^\s*(?:[$€£¥%]|eur\b|usd\b|gbp\b|chf\b|euros?\b|dollars?\b)", re.I)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    iban = re.sub(r"[ -]", "", candidate).upper()
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _iban(match: re.Match[str]) -> str:
    text = match.group(0)
    # "DE89 3704 0044 0532 0130 00 Gracias" may have taken a word: try shorter.
    parts = re.split(r"([ -])", text)
    while parts:
        candidate = "".join(parts)
        if iban_ok(candidate):
            return IBAN + text[len(candidate) :]
        parts = parts[:-2]
    return text


def _card(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits):
        return CARD
    return text


def _is_phone(text: str, before: str, after: str) -> bool:
    digits = re.sub(r"\D", "", text)
    international = text.startswith(("+", "00"))
    national_digits = len(digits) - (2 if text.startswith("00") else 0)
    if not 7 <= national_digits <= 15:
        return False
    if _DATE_RE.search(text) or _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.match(after):
        return False
    if text.startswith("+"):
        return national_digits >= 8
    nearest, generic = None, False
    for word in _CONTEXT_WORDS.finditer(before[-30:]):
        if word.group("generic"):
            generic = True
        else:
            nearest = word
    if nearest is not None:
        return nearest.group("phone") is not None
    if generic:
        return True
    if international:
        return national_digits >= 8
    grouped = bool(re.search(r"[ .\-/()]", text))
    if text.startswith("("):
        return True
    if text.startswith("0") and len(digits) >= 9 and (grouped or len(digits) >= 10):
        return True
    return bool(_NANP_RE.fullmatch(text) or _SPANISH_RE.fullmatch(text))


def _phones(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _PHONE_RE.finditer(text):
        start, end = match.span()
        if _is_phone(match.group(0), text[max(0, start - 30) : start], text[end : end + 10]):
            out.append(text[last:start])
            out.append(PHONE)
            last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with every email address, IBAN, card and phone number replaced."""
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _IBAN_RE.sub(_iban, text)
    text = _CARD_RE.sub(_card, text)
    return _phones(text)


_PLACEHOLDER_RE = re.compile(r"\[(?:email|phone|card|iban)\]")


def without_placeholders(text: str) -> str:
    """What the comment model reads: a placeholder says nothing about how the
    customer feels or what about, and "[card]" or "[phone]" read as the words
    "card" and "phone" would pull a comment towards billing or call-back topics."""
    return _PLACEHOLDER_RE.sub("", text)


def enabled() -> bool:
    # Imported here: the comment model reads ``without_placeholders`` without Flask.
    from flask import current_app, has_app_context

    return not has_app_context() or bool(current_app.config.get("REDACT_PII", True))


def redact_comment(text: str | None) -> str | None:
    """What every intake path stores: the comment redacted unless ``REDACT_PII`` is off."""
    if text is None or not enabled():
        return text
    return redact(text)
