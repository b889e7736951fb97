"""German and Spanish comments are analysed like English ones; other languages are not."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from feedback_service.analysis.text.data import seed_sentences
from feedback_service.analysis.text.lexicon import negated_words, sentiment_scores
from feedback_service.analysis.text.pipeline import CommentAnalyzer
from feedback_service.analysis.text.seed.generate import _read_blocks_with_source
from feedback_service.analysis.text.segment import segments
from feedback_service.analysis.text.taxonomy import Taxonomy


@pytest.mark.parametrize("language", ["de", "es"])
def test_seed_data_of_each_language_covers_every_category(language: str) -> None:
    base = list(_read_blocks_with_source(language))
    assert len(base) >= 800
    rows = seed_sentences([language])
    counts = Counter(row.label for row in rows)
    assert set(counts) == set(Taxonomy.default().labels())
    assert min(counts.values()) >= 9, counts.most_common()[-3:]
    assert {row.sentiment for row in rows} == {"positive", "neutral", "negative"}


@pytest.mark.parametrize(
    ("text", "language", "sentiment", "target"),
    [
        ("Der Mitarbeiter war sehr unfreundlich.", "de", "negative", "agent"),
        (
            "Die Dame an der Hotline hat mir super schnell geholfen, vielen Dank!",
            "de",
            "positive",
            "agent",
        ),
        ("Seit dem letzten Update stürzt die App beim Bezahlen ab.", "de", "negative", "product"),
        ("Ich hing eine Stunde in der Warteschleife.", "de", "negative", "process"),
        (
            "Das Paket ist nach zwei Wochen immer noch nicht angekommen.",
            "de",
            "negative",
            "process",
        ),
        ("La aplicación se cierra cada vez que pago.", "es", "negative", "product"),
        ("La chica que me atendió fue muy amable y paciente.", "es", "positive", "agent"),
        ("El asesor fue grosero y me colgó.", "es", "negative", "agent"),
        ("Me cobraron dos veces el mismo mes.", "es", "negative", "process"),
        ("El paquete llegó al día siguiente, rapidísimo.", "es", "positive", "process"),
    ],
)
def test_clear_german_and_spanish_sentences(
    analyzer: CommentAnalyzer, text: str, language: str, sentiment: str, target: str
) -> None:
    result = analyzer.analyze(text)
    assert (result.language, result.supported) == (language, True)
    assert result.sentiment == sentiment
    assert [f.target for f in result.findings] == [target]
    assert result.findings[0].sentiment == sentiment


@pytest.mark.parametrize(
    "text",
    [
        "Das Zimmer war nicht sauber.",
        "Die Überweisung klappt nicht.",
        "La habitación no estaba limpia.",
        "No me ayudaron en nada.",
    ],
)
def test_negated_praise_words_read_as_complaints(analyzer: CommentAnalyzer, text: str) -> None:
    assert analyzer.analyze(text).sentiment == "negative"


@pytest.mark.parametrize(
    "text", ["Nicht schlecht, das Essen.", "Kein Problem, alles gut.", "Nada mal."]
)
def test_negated_complaint_words_read_as_praise(analyzer: CommentAnalyzer, text: str) -> None:
    assert analyzer.analyze(text).sentiment == "positive"


def test_plain_german_account_is_neutral(analyzer: CommentAnalyzer) -> None:
    result = analyzer.analyze("Ich bin am Dienstag mit dem ICE von München nach Berlin gefahren.")
    assert result.supported and result.sentiment == "neutral"


def test_mixed_german_comment_keeps_both_findings(analyzer: CommentAnalyzer) -> None:
    result = analyzer.analyze("Der Mitarbeiter war sehr nett, aber die App stürzt ständig ab.")
    assert result.sentiment == "mixed"
    by_target = {f.target: f for f in result.findings}
    assert by_target["agent"].sentiment == "positive"
    assert (by_target["product"].category, by_target["product"].sentiment) == ("bug", "negative")
    assert by_target["product"].sentence == "die App stürzt ständig ab."


def test_key_phrases_are_in_the_comment_language(analyzer: CommentAnalyzer) -> None:
    german = analyzer.analyze("Der Techniker war unfreundlich und hat nichts repariert.")
    spanish = analyzer.analyze("El técnico fue muy grosero y no arregló nada.")
    german_words = {"der", "techniker", "war", "unfreundlich", "und", "hat", "nichts", "repariert"}
    spanish_words = {"el", "técnico", "fue", "muy", "grosero", "y", "no", "arregló", "nada"}
    assert german.key_phrases and spanish.key_phrases
    assert all(set(p.split()) <= german_words for p in german.key_phrases)
    assert all(set(p.split()) <= spanish_words for p in spanish.key_phrases)
    assert "der" not in german.key_phrases and "el" not in spanish.key_phrases


@pytest.mark.parametrize(
    "text",
    [
        "Le conseiller était très désagréable et mon problème n'est pas résolu.",
        "Il servizio clienti è stato molto lento e non hanno risolto niente.",
    ],
)
def test_french_and_italian_stay_unsupported(analyzer: CommentAnalyzer, text: str) -> None:
    result = analyzer.analyze(text, {"csat": 1})
    assert not result.supported
    assert (result.sentiment, result.score, result.findings) == ("unsupported", None, [])


def test_a_model_trained_before_german_existed_does_not_guess(analyzer: CommentAnalyzer) -> None:
    english_only = dataclasses.replace(analyzer.model, languages=("en",))
    older = CommentAnalyzer(english_only)
    result = older.analyze("Der Mitarbeiter war sehr unfreundlich.")
    assert result.language == "de" and not result.supported
    assert result.sentiment == "unsupported"
    assert older.analyze("The rep hung up on me.").supported


@pytest.mark.parametrize(
    "text",
    [
        "",
        "😡😡😡",
        "👍",
        "DER MITARBEITER WAR EINE KATASTROPHE!!!",
        "EL SERVICIO ES PÉSIMO, NUNCA MÁS",
        "Der Mitarbeiter war nett. " * 200,
        "La app se cierra siempre " * 250,
        "The agent was great aber die App ist schlecht. El envío llegó tarde.",
        "ok",
    ],
)
def test_edge_cases_are_analysed_without_error(analyzer: CommentAnalyzer, text: str) -> None:
    result = analyzer.analyze(text, {"csat": 3})
    assert result.supported is (result.sentiment != "unsupported")
    if result.supported:
        assert result.score is not None and -1 <= result.score <= 1


def test_all_caps_german_complaint_is_negative(analyzer: CommentAnalyzer) -> None:
    result = analyzer.analyze("DER MITARBEITER WAR EINE KATASTROPHE!!!")
    assert (result.language, result.sentiment) == ("de", "negative")


def test_word_lists_score_german_and_spanish_like_vader_scores_english() -> None:
    assert sentiment_scores("Der Service war hervorragend.", "de")[3] > 0.5
    assert sentiment_scores("Der Service war nicht gut.", "de")[3] < 0
    assert sentiment_scores("Unhoeflicher Mitarbeiter", "de")[3] < 0  # umlaut typed as "oe"
    assert sentiment_scores("El servicio fue pesimo", "es")[3] < -0.5  # no accent
    assert sentiment_scores("No fue nada amable", "es")[3] < 0
    assert (
        sentiment_scores("Das Zimmer war sehr sauber", "de")[3]
        > sentiment_scores("Das Zimmer war sauber", "de")[3]
    )


def test_negation_scope_per_language() -> None:
    assert negated_words("Das war nicht gut, aber okay.", "de") == ["gut"]
    assert negated_words("Das Internet funktioniert nicht.", "de") == ["internet", "funktioniert"]
    assert negated_words("No me ayudaron, pero bueno.", "es") == ["me", "ayudaron"]


def test_german_and_spanish_contrast_words_split_sentences() -> None:
    assert segments("Der Mitarbeiter war nett, aber die App stürzt ab.", "de") == [
        "Der Mitarbeiter war nett",
        "die App stürzt ab.",
    ]
    assert segments("El agente fue amable, sin embargo la app falla.", "es") == [
        "El agente fue amable",
        "la app falla.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Der Zug kam heute zehn Minuten zu spät in Köln an.",
        "Ich habe gestern beim Kundenservice angerufen und nach meiner Rechnung gefragt.",
        "Die Lieferung kam pünktlich, alles in Ordnung.",
        "Llamé ayer para preguntar por mi factura.",
        "El técnico vino el martes por la tarde.",
        "La entrega llegó tarde y nadie me avisó.",
    ],
)
def test_german_and_spanish_text_only_comments_are_labelled_by_the_band(
    analyzer: CommentAnalyzer, text: str
) -> None:
    result = analyzer.analyze(text)
    assert result.language not in analyzer.rule.probability_languages
    assert result.score is not None
    if result.sentiment != "mixed":
        threshold = analyzer.rule.label_threshold
        band = (
            "positive"
            if result.score >= threshold
            else "negative"
            if result.score <= -threshold
            else "neutral"
        )
        assert result.sentiment == band
