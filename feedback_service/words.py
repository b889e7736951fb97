"""Words for numbers, in one place: what each answer value is called, and counts
with the right plural ("1 comment", "2 comments"), in English, German and Spanish.

Alerts, digests and dashboard pages take their words from here, so an alert can
never call a CSAT 2 "very dissatisfied" while the survey's own scale calls it
"dissatisfied". The ends of each scale match the anchors customers see on the
survey (``surveys.metrics``). Pure data and string formatting: no Flask.
"""

from __future__ import annotations

from feedback_service.surveys.metrics import DEFAULT_LOCALE, base_locale

# One table per metric and value, per locale. NPS is named by its bucket.
VALUE_WORDS: dict[str, dict[str, dict[int, str]]] = {
    "en": {
        "csat": {
            1: "very dissatisfied",
            2: "dissatisfied",
            3: "neutral",
            4: "satisfied",
            5: "very satisfied",
        },
        "ces": {
            1: "strongly disagrees it was easy",
            2: "disagrees it was easy",
            3: "somewhat disagrees it was easy",
            4: "neither agrees nor disagrees it was easy",
            5: "somewhat agrees it was easy",
            6: "agrees it was easy",
            7: "strongly agrees it was easy",
        },
        "fcr": {0: "not resolved the first time", 1: "resolved the first time"},
        "nps": {0: "detractor", 1: "passive", 2: "promoter"},
    },
    "de": {
        "csat": {
            1: "sehr unzufrieden",
            2: "unzufrieden",
            3: "neutral",
            4: "zufrieden",
            5: "sehr zufrieden",
        },
        "ces": {
            1: "stimmt überhaupt nicht zu, dass es leicht war",
            2: "stimmt nicht zu, dass es leicht war",
            3: "stimmt eher nicht zu, dass es leicht war",
            4: "weder Zustimmung noch Ablehnung, dass es leicht war",
            5: "stimmt eher zu, dass es leicht war",
            6: "stimmt zu, dass es leicht war",
            7: "stimmt voll und ganz zu, dass es leicht war",
        },
        "fcr": {0: "nicht beim ersten Kontakt gelöst", 1: "beim ersten Kontakt gelöst"},
        "nps": {0: "Kritiker", 1: "Indifferenter", 2: "Promotor"},
    },
    "es": {
        "csat": {
            1: "muy insatisfecho",
            2: "insatisfecho",
            3: "neutral",
            4: "satisfecho",
            5: "muy satisfecho",
        },
        "ces": {
            1: "totalmente en desacuerdo con que fue fácil",
            2: "en desacuerdo con que fue fácil",
            3: "algo en desacuerdo con que fue fácil",
            4: "ni de acuerdo ni en desacuerdo con que fue fácil",
            5: "algo de acuerdo con que fue fácil",
            6: "de acuerdo con que fue fácil",
            7: "totalmente de acuerdo con que fue fácil",
        },
        "fcr": {0: "no resuelto al primer contacto", 1: "resuelto al primer contacto"},
        "nps": {0: "detractor", 1: "pasivo", 2: "promotor"},
    },
}

METRIC_NAMES = {"csat": "CSAT", "nps": "NPS", "ces": "CES", "fcr": "FCR"}

# Nouns counted on pages and in alerts: (singular, plural) per locale. All three
# languages have two plural forms (CLDR "one" and "other"), "one" for exactly 1.
NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "comment": ("comment", "comments"),
        "answer": ("answer", "answers"),
        "ticket": ("ticket", "tickets"),
        "agent": ("agent", "agents"),
        "week": ("week", "weeks"),
    },
    "de": {
        "comment": ("Kommentar", "Kommentare"),
        "answer": ("Antwort", "Antworten"),
        "ticket": ("Ticket", "Tickets"),
        "agent": ("Agent", "Agenten"),
        "week": ("Woche", "Wochen"),
    },
    "es": {
        "comment": ("comentario", "comentarios"),
        "answer": ("respuesta", "respuestas"),
        "ticket": ("ticket", "tickets"),
        "agent": ("agente", "agentes"),
        "week": ("semana", "semanas"),
    },
}

# Short phrases with a count in them; ``{count}`` is "1 comment" / "3 comments".
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "analysed": "{count} analysed",
        "not_read": "{count} not analysed: language not read",
        "none_with_complaint": "none with a complaint",
        "with_comment": "with a comment",
    },
    "de": {
        "analysed": "{count} ausgewertet",
        "not_read": "{count} nicht ausgewertet: Sprache nicht gelesen",
        "none_with_complaint": "keiner mit einer Beschwerde",
        "with_comment": "mit einem Kommentar",
    },
    "es": {
        "analysed": "{count} analizados",
        "not_read": "{count} sin analizar: idioma no leído",
        "none_with_complaint": "ninguno con una queja",
        "with_comment": "con un comentario",
    },
}
# Spanish participles agree with the noun's number.
_ES_SINGULAR = {"{count} analizados": "{count} analizado"}


def _table(locale: str | None) -> str:
    return base_locale(locale)


def value_word(metric: str, value: int, locale: str | None = DEFAULT_LOCALE) -> str:
    """What an answer means on its metric's scale: CSAT 2 -> "dissatisfied"."""
    words = VALUE_WORDS[_table(locale)][metric]
    if metric == "nps":
        return words[2 if value >= 9 else (1 if value >= 7 else 0)]
    return words[value]


def answer_label(metric: str, value: int, locale: str | None = DEFAULT_LOCALE) -> str:
    """An answer as a reader sees it: "CSAT 2 (dissatisfied)", "NPS 6 (detractor)"."""
    return f"{METRIC_NAMES[metric]} {value} ({value_word(metric, value, locale)})"


def count(n: int, noun: str, locale: str | None = DEFAULT_LOCALE) -> str:
    """ "1 comment", "0 comments", "2 Kommentare": the number and its noun, plural right."""
    singular, plural = NOUNS[_table(locale)][noun]
    return f"{n} {singular if n == 1 else plural}"


def phrase(key: str, n: int, noun: str, locale: str | None = DEFAULT_LOCALE) -> str:
    """A counted phrase: ``phrase("not_read", 1, "comment")`` ->
    "1 comment not analysed: language not read"."""
    loc = _table(locale)
    template = PHRASES[loc][key]
    if loc == "es" and n == 1:
        template = _ES_SINGULAR.get(template, template)
    return template.format(count=count(n, noun, loc))


def comments_analysed(analysed: int, not_read: int, locale: str | None = DEFAULT_LOCALE) -> str:
    """What the comment analysis covered: "2 comments analysed; 1 comment not
    analysed: language not read". ``analysed`` counts only comments whose
    language the model reads."""
    parts = [phrase("analysed", analysed, "comment", locale)]
    if not_read:
        parts.append(phrase("not_read", not_read, "comment", locale))
    return "; ".join(parts)
