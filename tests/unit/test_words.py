"""Words for values and counts: one table per metric and value, plurals right."""

from __future__ import annotations

import pytest

from feedback_service import words
from feedback_service.alerts import rules
from feedback_service.surveys.metrics import METRICS, SUPPORTED_LOCALES


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_value_of_every_scale_has_a_word_in_every_locale(locale: str) -> None:
    for metric, spec in METRICS.items():
        named = {words.value_word(metric, v, locale) for v in spec.values}
        assert all(named)
        if metric != "nps":  # NPS names its three buckets
            assert len(named) == len(spec.values), (metric, locale)


def test_the_scale_ends_match_the_survey_anchors() -> None:
    for locale in SUPPORTED_LOCALES:
        low, high = METRICS["csat"].anchors[locale]
        assert words.value_word("csat", 1, locale) == low.lower()
        assert words.value_word("csat", 5, locale) == high.lower()


def test_csat_2_is_dissatisfied_not_very_dissatisfied() -> None:
    assert words.answer_label("csat", 2) == "CSAT 2 (dissatisfied)"
    assert words.answer_label("csat", 1) == "CSAT 1 (very dissatisfied)"
    assert words.answer_label("nps", 6) == "NPS 6 (detractor)"
    assert words.answer_label("csat", 2, "de-AT") == "CSAT 2 (unzufrieden)"
    assert words.answer_label("csat", 2, "es") == "CSAT 2 (insatisfecho)"
    [reason] = rules.alarming({"csat": 2}, "slow", rules.DEFAULT_TRIGGERS)
    assert reason.label == "CSAT 2 (dissatisfied)"


@pytest.mark.parametrize(
    ("locale", "n", "expected"),
    [
        ("en", 1, "1 comment"),
        ("en", 0, "0 comments"),
        ("en", 2, "2 comments"),
        ("de", 1, "1 Kommentar"),
        ("de", 3, "3 Kommentare"),
        ("es", 1, "1 comentario"),
        ("es", 5, "5 comentarios"),
    ],
)
def test_counts_take_the_right_plural(locale: str, n: int, expected: str) -> None:
    assert words.count(n, "comment", locale) == expected


def test_counts_say_what_they_count() -> None:
    assert words.comments_analysed(0, 1) == (
        "0 comments analysed; 1 comment not analysed: language not read"
    )
    assert words.comments_analysed(1, 0) == "1 comment analysed"
    assert words.comments_analysed(1, 2, "es") == (
        "1 comentario analizado; 2 comentarios sin analizar: idioma no leído"
    )
    assert words.comments_analysed(2, 1, "de").startswith("2 Kommentare ausgewertet; 1 Kommentar")
