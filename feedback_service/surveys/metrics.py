"""The four survey metrics of DESIGN.md section 2: keys, scales and default wording.

Pure data, imported by the survey definitions, the validators and the scoring code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    key: str
    low: int
    high: int
    # Default question wording per locale; ``{company}`` is filled from config.
    wording: dict[str, str]
    # Labels shown under the lowest and highest point of the scale, per locale.
    anchors: dict[str, tuple[str, str]]

    @property
    def values(self) -> range:
        return range(self.low, self.high + 1)

    def accepts(self, value: int) -> bool:
        return self.low <= value <= self.high

    def scale_text(self) -> str:
        if self.key == "fcr":
            return "true or false"
        return f"an integer from {self.low} to {self.high}"


CSAT = MetricSpec(
    key="csat",
    low=1,
    high=5,
    wording={
        "en": "How satisfied were you with the support you received?",
        "es": "¿Qué tan satisfecho quedó con la atención que recibió?",
        "de": "Wie zufrieden waren Sie mit der erhaltenen Unterstützung?",
    },
    anchors={
        "en": ("Very dissatisfied", "Very satisfied"),
        "es": ("Muy insatisfecho", "Muy satisfecho"),
        "de": ("Sehr unzufrieden", "Sehr zufrieden"),
    },
)

NPS = MetricSpec(
    key="nps",
    low=0,
    high=10,
    wording={
        "en": "How likely are you to recommend {company} to a friend or colleague?",
        "es": "¿Qué probabilidad hay de que recomiende {company} a un amigo o colega?",
        "de": "Wie wahrscheinlich ist es, dass Sie {company} einem Freund oder Kollegen empfehlen?",
    },
    anchors={
        "en": ("Not at all likely", "Extremely likely"),
        "es": ("Nada probable", "Muy probable"),
        "de": ("Sehr unwahrscheinlich", "Sehr wahrscheinlich"),
    },
)

CES = MetricSpec(
    key="ces",
    low=1,
    high=7,
    wording={
        "en": "{company} made it easy for me to handle my issue.",
        "es": "{company} me facilitó resolver mi problema.",
        "de": "{company} hat es mir leicht gemacht, mein Anliegen zu lösen.",
    },
    anchors={
        "en": ("Strongly disagree", "Strongly agree"),
        "es": ("Totalmente en desacuerdo", "Totalmente de acuerdo"),
        "de": ("Stimme überhaupt nicht zu", "Stimme voll und ganz zu"),
    },
)

# Customer-perceived first-contact resolution: stored as 1 (yes) / 0 (no).
FCR = MetricSpec(
    key="fcr",
    low=0,
    high=1,
    wording={
        "en": "Was your issue resolved the first time you contacted us?",
        "es": "¿Se resolvió su problema la primera vez que nos contactó?",
        "de": "Wurde Ihr Anliegen beim ersten Kontakt gelöst?",
    },
    anchors={
        "en": ("No", "Yes"),
        "es": ("No", "Sí"),
        "de": ("Nein", "Ja"),
    },
)

METRICS: dict[str, MetricSpec] = {m.key: m for m in (CSAT, NPS, CES, FCR)}
SUPPORTED_LOCALES = ("en", "es", "de")
DEFAULT_LOCALE = "en"


# Helpdesks send a customer's language as a code ("de", "de-AT") or as a name
# (Zendesk's requester language "Deutsch", Freshdesk's "German"): the names of the
# supported languages in their own spelling, in English, and in each other's.
LANGUAGE_NAMES = {
    "english": "en",
    "englisch": "en",
    "inglés": "en",
    "ingles": "en",
    "deutsch": "de",
    "german": "de",
    "alemán": "de",
    "aleman": "de",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
    "spanish": "es",
    "spanisch": "es",
}


def base_locale(locale: str | None) -> str:
    """Map ``es-MX``, ``de_AT``, ``Deutsch`` or ``German (Austria)`` to a supported
    base locale, English otherwise."""
    if not locale:
        return DEFAULT_LOCALE
    name = locale.split("(")[0].strip().lower()
    if name in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[name]
    base = locale.replace("_", "-").split("-")[0].strip().lower()
    return base if base in SUPPORTED_LOCALES else DEFAULT_LOCALE
