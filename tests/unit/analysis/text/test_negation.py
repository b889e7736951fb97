"""Negation scope and the restaurant / delivery feedback the seed data now covers."""

from __future__ import annotations

import pytest

from feedback_service.analysis.text.lexicon import (
    N_LEXICON_FEATURES_BY_REVISION,
    LexiconFeatures,
    compound_score,
    english_extra,
    lexicon_row,
    negated_words,
    vader,
    vader_compound,
)
from feedback_service.analysis.text.pipeline import CommentAnalyzer


def test_negation_scope_stops_at_punctuation_and_contrast() -> None:
    assert negated_words("No problem at all, great phone.") == ["problem", "at", "all"]
    assert negated_words("I couldn't be happier") == ["be", "happier"]
    assert negated_words("not cheap but very good") == ["cheap"]
    assert negated_words("The agent was excellent.") == []


def test_words_ending_in_nt_are_not_negations() -> None:
    # Column 4 is the negation count: "agent", "excellent", "restaurant" are not negations.
    assert lexicon_row("The agent at the restaurant was excellent")[4] == 0
    assert lexicon_row("The agent didn't help")[4] > 0


def test_model_pickled_before_the_new_lexicon_columns_keeps_its_width() -> None:
    old = LexiconFeatures()  # never fitted: what an older pickle looks like
    new = LexiconFeatures().fit(["x"])
    assert new.transform(["fine"]).shape[1] == N_LEXICON_FEATURES_BY_REVISION[3]
    assert old.transform(["fine"]).shape[1] == N_LEXICON_FEATURES_BY_REVISION[1]
    assert len(old.get_feature_names_out()) == old.transform(["fine"]).shape[1]
    assert len(new.get_feature_names_out()) == new.transform(["fine"]).shape[1]


def test_english_lexicon_adds_verdict_words_vader_lacks_and_keeps_vaders_own() -> None:
    for text in ("The agent was slow and unhelpful.", "The bill was a nightmare."):
        assert vader_compound(text) == 0.0  # plain VADER, the baselines' lexicon
        assert compound_score(text, "en") < -0.3
    assert compound_score("The engineer was polite and reliable.", "en") > 0.3
    # VADER's own valence always wins, and no added word is one VADER knows.
    assert not set(english_extra()) & set(vader().lexicon)
    assert compound_score("terrible service", "en") == vader_compound("terrible service")


def test_model_pickled_at_lexicon_revision_3_keeps_plain_vader() -> None:
    rev3 = LexiconFeatures().fit(["x"])
    rev3.revision_ = 3
    rev4 = LexiconFeatures().fit(["x"])
    names = list(rev4.get_feature_names_out())
    assert names == list(rev3.get_feature_names_out())
    text = "The app is buggy and the refund was slow, I never got a polite answer"
    old = dict(zip(names, rev3.transform([text]).toarray()[0], strict=True))
    new = dict(zip(names, rev4.transform([text]).toarray()[0], strict=True))
    assert old["vader_compound"] == pytest.approx(vader_compound(text))
    assert new["vader_compound"] < old["vader_compound"]
    assert new["negated_valence"] < old["negated_valence"] == 0.0  # "never got a polite"


def test_revision_2_model_scores_german_with_vader_as_it_was_trained() -> None:
    german = "Die Mitarbeiterin hat mich angeschnauzt."
    rev2 = LexiconFeatures().fit(["x"])
    rev2.revision_ = 2
    row2 = rev2.transform([german]).toarray()[0]
    assert row2.shape[0] == N_LEXICON_FEATURES_BY_REVISION[2]
    # VADER reads the German article "die" as the English verb: what rev-2 models learnt on.
    assert row2[3] == pytest.approx(vader_compound(german)) and row2[3] < 0
    rev3 = LexiconFeatures().fit(["x"])
    names = list(rev3.get_feature_names_out())
    row3 = dict(zip(names, rev3.transform([german]).toarray()[0], strict=True))
    assert row3["lists_compound"] < -0.3  # the German word list knows "angeschnauzt"
    assert row3["vader_compound"] == 0.0  # VADER's columns stay English-only
    assert (row3["language_de"], row3["language_es"]) == (1.0, 0.0)
    # English rows are what they were, plus zeros for the German/Spanish block.
    english = "The agent wasn't helpful at all"
    assert list(rev2.transform([english]).toarray()[0]) == list(
        rev3.transform([english]).toarray()[0][: N_LEXICON_FEATURES_BY_REVISION[2]]
    )


@pytest.mark.parametrize(
    "text",
    [
        "You can't go wrong with anything they make.",
        "Never had a single problem with the delivery.",
        "I couldn't be happier with the new router.",
    ],
)
def test_negated_complaint_words_read_as_praise(analyzer: CommentAnalyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.sentiment == "positive", (text, result.score)


def test_food_complaint_is_about_the_product_and_waiter_praise_about_the_agent(
    analyzer: CommentAnalyzer,
) -> None:
    result = analyzer.analyze("The noodles were cold and soggy. Our waiter was lovely though.")
    assert result.sentiment == "mixed"
    by_target = {f.target: f for f in result.findings}
    assert by_target["product"].category == "quality"
    assert by_target["product"].sentiment == "negative"
    assert by_target["agent"].sentiment == "positive"


def test_plain_account_of_a_visit_is_neutral(analyzer: CommentAnalyzer) -> None:
    result = analyzer.analyze("We booked a table for six on Saturday and ordered the set menu.")
    assert result.sentiment == "neutral", result.score
