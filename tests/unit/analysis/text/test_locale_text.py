"""German compounds, social-media noise and factual German/Spanish text."""

from __future__ import annotations

import pytest

from feedback_service.analysis.text.language import detect_language
from feedback_service.analysis.text.lexicon import compound_score
from feedback_service.analysis.text.locale_text import model_text, strip_social
from feedback_service.analysis.text.pipeline import CommentAnalyzer
from feedback_service.analysis.text.wordlists import lists


@pytest.mark.parametrize(
    ("word", "like"),
    [
        ("Zugausfall", "Ausfall"),
        ("Signalstörungen", "Störung"),
        ("Zugverspätung", "Verspätung"),
        ("kundenfreundlich", "freundlich"),
        ("grottenschlecht", "schlecht"),
        ("Servicewüste", "Servicewüste"),
    ],
)
def test_a_german_compound_reads_like_its_last_part(word: str, like: str) -> None:
    table = lists("de").polarity
    value = table.get(table_fold(word))
    assert value is not None
    assert value == table.get(table_fold(like))


@pytest.mark.parametrize(
    "word", ["Schnellzug", "Schönefeld", "Abenteuer", "Mehrwertsteuer", "Gutschein"]
)
def test_words_that_only_begin_or_end_like_an_opinion_word_carry_none(word: str) -> None:
    assert lists("de").polarity.get(table_fold(word)) is None


def test_a_stem_still_matches_its_own_endings() -> None:
    table = lists("de").polarity
    assert table.get(table_fold("Freundlichkeit")) == table.get(table_fold("freundlich"))
    assert table.get(table_fold("unfreundlichen")) == table.get(table_fold("unfreundlich"))
    # Strong words colour the compound they begin.
    assert (table.get(table_fold("Katastrophenfahrt")) or 0.0) <= -2.8


def test_compound_complaints_score_negative_in_the_word_list() -> None:
    assert compound_score("Schon wieder ein Zugausfall.", "de") < -0.2
    assert compound_score("Die Signalstörung dauert an.", "de") < 0
    assert compound_score("Der Schnellzug fährt um acht.", "de") == 0.0


def table_fold(word: str) -> str:
    return lists("de").fold(word)


def test_links_mentions_and_retweet_marks_are_not_read() -> None:
    text = "RT @verkehr_news: Neue Linie ab Montag https://t.co/ab12CD #ÖPNV @stadt_info"
    assert strip_social(text) == "Neue Linie ab Montag ÖPNV"
    assert strip_social("Infos unter www.beispiel.de/fahrplan und beispiel-bahn.de") == (
        "Infos unter und"
    )
    # An e-mail address is not cut into a "link" (redaction handles those).
    assert "b.de" in strip_social("schreib an a@b.de")
    # English text reaches the model untouched: its features are another team's.
    english = "@airline lost my bag https://t.co/x"
    assert model_text(english, "en") == english
    assert model_text("@bahn Zug fällt aus https://t.co/x", "de") == "Zug fällt aus"


def test_mentions_and_links_do_not_decide_the_language() -> None:
    tweet = "@DeutscheBahnHilfe @user_two https://t.co/a1b2c3 der Zug ist schon wieder zu spät"
    assert detect_language(tweet).language == "de"
    assert detect_language("https://t.co/a1b2c3 @someone").language == "und"


@pytest.mark.parametrize(
    "text",
    [
        "Die Fähre nach Borkum legt heute um 14 Uhr ab.",
        "Ab Montag gilt auf der Linie 3 ein neuer Fahrplan mit Abfahrten alle zwanzig Minuten.",
        "Die Stadtwerke stellen im Herbst die Zähler in der Südstadt auf digitale Geräte um.",
        "Wie lange ist eine Tageskarte im Verbund gültig?",
        "@stadtbus fährt die Linie 9 am Feiertag nach dem Sonntagsfahrplan?",
        "El autobús de la línea 9 sale cada quince minutos desde la plaza.",
        "¿Cuánto cuesta el abono joven en la zona B?",
    ],
)
def test_factual_german_and_spanish_reports_are_neutral(
    analyzer: CommentAnalyzer, text: str
) -> None:
    result = analyzer.analyze(text)
    assert result.supported
    assert result.sentiment == "neutral", result.score


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("@stadtbus schon wieder Zugausfall, und keiner sagt Bescheid https://t.co/q1", "negative"),
        ("Totalausfall im Mobilfunknetz seit gestern Abend, echt grottenschlecht.", "negative"),
        ("#Pendeln heute alles pünktlich und die Bahn war blitzsauber, danke!", "positive"),
        ("@metro_ayuda otra vez parados media hora en el túnel, qué desastre", "negative"),
    ],
)
def test_tweets_with_mentions_and_links_keep_their_verdict(
    analyzer: CommentAnalyzer, text: str, sentiment: str
) -> None:
    assert analyzer.analyze(text).sentiment == sentiment


def test_a_long_german_report_is_read_without_error(analyzer: CommentAnalyzer) -> None:
    report = " ".join(["Der neue Fahrplan gilt ab Mai für alle Linien im Stadtgebiet."] * 120)
    result = analyzer.analyze(report[:5000])
    assert result.supported
    assert result.sentiment == "neutral"
    assert result.findings == []
