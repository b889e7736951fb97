from __future__ import annotations

import time

import pytest

from feedback_service.analysis.text.language import SUPPORTED_LANGUAGES, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The rep hung up on me twice.", "en"),
        ("slow", "en"),
        ("thanks!!", "en"),
        ("ur agent was rude af", "en"),
        ("El agente fue muy amable pero la aplicación sigue fallando.", "es"),
        ("Der Mitarbeiter war sehr unfreundlich und das Problem ist nicht gelöst.", "de"),
        ("Le service client était très lent et je suis toujours sans réponse.", "fr"),
        ("O atendimento foi péssimo e ainda não resolveram o meu problema.", "pt"),
        ("Il servizio clienti è stato molto lento e non hanno risolto niente.", "it"),
        ("De medewerker was erg vriendelijk maar het probleem is nog niet opgelost.", "nl"),
    ],
)
def test_detects_language(text: str, language: str) -> None:
    guess = detect_language(text)
    assert guess.language == language
    assert guess.supported is (language in {"en", "de", "es"})
    assert 0 < guess.confidence <= 1


def test_english_german_and_spanish_are_supported() -> None:
    assert {"en", "de", "es"} == SUPPORTED_LANGUAGES


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Danke!", "de"),
        ("Alles super", "de"),
        ("Nie wieder.", "de"),
        ("Katastrophe", "de"),
        ("Mitarbeiter unfreundlich", "de"),
        ("Die App stuerzt staendig ab", "de"),
        ("Gracias", "es"),
        ("Pésimo", "es"),
        ("Muy mal", "es"),
        ("Todo bien", "es"),
        ("la aplicacion se cierra", "es"),
        ("great app", "en"),
        ("Top service", "en"),
        # A comment in two languages goes to the one most of it is in.
        ("The agent was great aber die App ist schlecht und stürzt ständig ab", "de"),
        ("Der Mitarbeiter war super but the app is bad and crashes all the time", "en"),
        ("El agente fue amable pero the app keeps crashing", "es"),
    ],
)
def test_short_and_mixed_language_comments_are_detected(text: str, language: str) -> None:
    assert detect_language(text).language == language


@pytest.mark.parametrize("text", ["", "   ", "asdfgh qwerty zxcvb", "!!!???", "12345"])
def test_empty_and_gibberish_are_undetermined(text: str) -> None:
    guess = detect_language(text)
    assert guess.language == "und"
    assert not guess.supported


def test_fast_enough_for_bulk_rescoring() -> None:
    texts = ["the agent was lovely but the app still crashes", "Muy mal servicio", "thx"] * 5000
    started = time.perf_counter()
    for text in texts:
        detect_language(text)
    rate = len(texts) / (time.perf_counter() - started)
    assert rate > 10_000
