"""PII redaction: what customers really type, in English, German and Spanish, and the
numbers that must stay (order ids, dates, prices, versions, durations)."""

from __future__ import annotations

import pytest

from feedback_service.privacy.redact import iban_ok, luhn_ok, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # email addresses
        ("Write to jane.doe+tickets@example.co.uk please", "Write to [email] please"),
        ("Mi correo: josé.garcía@correo.es.", "Mi correo: [email]."),
        ("(max_mustermann@web.de)", "([email])"),
        # payment cards: Luhn-valid, grouped or not
        ("My card 4111 1111 1111 1111 was charged twice", "My card [card] was charged twice"),
        ("Mastercard 5500-0000-0000-0004!", "Mastercard [card]!"),
        ("Amex 3782 822463 10005", "Amex [card]"),
        ("Karte 4012888888881881 abgelehnt", "Karte [card] abgelehnt"),
        # IBANs: mod-97-valid, grouped, run together, lower case
        ("IBAN DE89 3704 0044 0532 0130 00 bitte", "IBAN [iban] bitte"),
        ("mi cuenta ES91 2100 0418 4502 0005 1332.", "mi cuenta [iban]."),
        ("refund to gb29nwbk60161331926819", "refund to [iban]"),
        # German phone numbers
        ("Rufen Sie mich an: 030 12345678", "Rufen Sie mich an: [phone]"),
        ("Meine Handynummer ist 0171 1234567.", "Meine Handynummer ist [phone]."),
        ("Tel.: 030/1234567", "Tel.: [phone]"),
        ("erreichbar unter +49 (0)30 1234 5678", "erreichbar unter [phone]"),
        ("+49 171 1234567 tagsüber", "[phone] tagsüber"),
        ("Bitte zurückrufen 0151-12345678", "Bitte zurückrufen [phone]"),
        ("0049 89 12345678", "[phone]"),
        # Spanish phone numbers
        ("Llámenme al 612 345 678, gracias", "Llámenme al [phone], gracias"),
        ("mi móvil es el 612 34 56 78", "mi móvil es el [phone]"),
        ("teléfono fijo 91 123 45 67", "teléfono fijo [phone]"),
        ("+34 612 345 678", "[phone]"),
        ("whatsapp 0034 612345678", "whatsapp [phone]"),
        # North American and British
        ("call (555) 123-4567 or 555-123-4567", "call [phone] or [phone]"),
        ("ring me on +44 20 7946 0958", "ring me on [phone]"),
        ("my number is 612345678", "my number is [phone]"),
        # several at once
        (
            "Contact a@b.io / +49 171 1234567, card 4111111111111111",
            "Contact [email] / [phone], card [card]",
        ),
    ],
)
def test_pii_is_replaced_by_its_placeholder(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order 4500123456789011 never arrived",  # 16 digits, fails Luhn
        "order #123456789 on 2026-11-20 cost €1.299,00",
        "Bestellung Nr. 0012345678 vom 20.11.2026 für 49,99 EUR",
        "Bestellnummer 030123456789 fehlt",
        "pedido 4500123456, 12/11/2026, 1.234.567 dollars",
        "Pedido nº 612345678 no ha llegado",
        "ticket T-12345, version 2.3.1, ip 192.168.1.10",
        "I waited 45 minutes, the call was at 10:30, 3 times",
        "My order number is 12345678 and I was charged $1,299.99",
        "Invoice 2026-000123 shows 1 234 567 € instead of 12 345 €",
        "Tracking 1Z999AA10123456784",
        "between 2025-01-01 and 2025-12-31 about 20000000 users",
        "Rated 10/10, 5 stars, 100% happy, call lasted 3-4 min",
        "Kundennummer 123456789, Rechnung 2026/4711",
        "DE12 is my favourite route, not an account",
        "Preis 1.299.000 Euro, Lieferung 20.11.26",
        "Zug am 05.01.2016 20:15 Uhr, 35 Bahnhöfe",
    ],
)
def test_numbers_that_are_not_pii_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_luhn_and_iban_checks() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89 3704 0044 0532 0130 00")
    assert not iban_ok("DE89 3704 0044 0532 0130 01")
    assert not iban_ok("DE89")


def test_text_without_pii_is_unchanged_and_redaction_is_idempotent() -> None:
    text = "The agent was lovely. Der Agent war freundlich. El agente fue amable."
    assert redact(text) == text
    once = redact("mail me: a@b.de, Tel. 0171 1234567")
    assert redact(once) == once == "mail me: [email], Tel. [phone]"
