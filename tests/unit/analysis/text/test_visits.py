"""Review-like comments from hospitality and travel (issue 14): sentences a guest
writes after a visit, none of them in the seed data."""

from __future__ import annotations

import pytest

from feedback_service.analysis.text.data import seed_sentences
from feedback_service.analysis.text.pipeline import CommentAnalyzer

RETURN_VISITS = [
    "I've eaten at this diner a dozen times and I like it more each visit.",
    "We keep going back to this hotel every summer with the kids.",
]
PLAIN_ACCOUNTS = [
    "We flew out of the small airport on a Thursday morning with our two dogs.",
    "I phoned the helpdesk twice this week about the new contract.",
]
COMPANIONS_AND_THEIR_FOOD = [
    "My wife thought the duck was the best she had ever eaten.",
    "My brother's pizza came out burnt on one side.",
]
SERVICE_WITHOUT_A_STAFF_WORD = [
    "We were made to feel welcome from the minute we sat down.",
    "Nobody checked on our table once in two hours.",
]
ALL_PROBES = RETURN_VISITS + PLAIN_ACCOUNTS + COMPANIONS_AND_THEIR_FOOD
ALL_PROBES += SERVICE_WITHOUT_A_STAFF_WORD


def test_the_probes_are_not_seed_sentences() -> None:
    seed = {row.text.lower().rstrip(".!") for row in seed_sentences(["en"])}
    assert not [p for p in ALL_PROBES if p.lower().rstrip(".!") in seed]


@pytest.mark.parametrize("text", RETURN_VISITS)
def test_coming_back_again_and_again_is_not_a_complaint(
    analyzer: CommentAnalyzer, text: str
) -> None:
    """Counting visits ("a dozen times") was learnt from support complaints
    ("I called a dozen times"): the seed model read the first probe as negative.
    From a returning guest it leans positive (the model still often calls it
    neutral)."""
    result = analyzer.analyze(text)
    assert result.sentiment != "negative"
    assert result.score is not None and result.score > 0


@pytest.mark.parametrize("text", PLAIN_ACCOUNTS)
def test_a_plain_account_of_a_trip_or_a_call_is_neutral(
    analyzer: CommentAnalyzer, text: str
) -> None:
    assert analyzer.analyze(text).sentiment == "neutral"


@pytest.mark.parametrize("text", COMPANIONS_AND_THEIR_FOOD)
def test_the_guests_companions_are_not_the_staff(analyzer: CommentAnalyzer, text: str) -> None:
    """A partner or a brother in the story is a customer: their meal is the product."""
    (scores,) = analyzer.target_scores([text])
    assert scores is not None and scores["product"] > scores["agent"], scores


@pytest.mark.parametrize(
    ("text", "sentiment"), zip(SERVICE_WITHOUT_A_STAFF_WORD, ["positive", "negative"], strict=True)
)
def test_how_the_table_was_looked_after_is_about_the_agent(
    analyzer: CommentAnalyzer, text: str, sentiment: str
) -> None:
    result = analyzer.analyze(text)
    assert result.sentiment == sentiment
    (scores,) = analyzer.target_scores([text])
    assert scores is not None and scores["agent"] > scores["product"], scores
