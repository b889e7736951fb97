"""Adapting the model from the customers' own ratings: which ratings give a label,
which comments become rows, and that promotion is still decided on people's labels."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from feedback_service.analysis.text.data import (
    RATING_WEIGHT,
    LabelledSentence,
    RatedComment,
    is_held_out,
    rating_sentiment,
    seed_sentences,
    split,
)
from feedback_service.analysis.text.model import train
from feedback_service.analysis.text.store import (
    load_promoted,
    promoted_version,
    rating_rows,
    train_and_maybe_promote,
)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ({"csat": 1}, "negative"),
        ({"csat": 2}, "negative"),
        ({"csat": 3}, None),
        ({"csat": 4}, None),  # "fine, but ..." is as common as praise at 4
        ({"csat": 5}, "positive"),
        ({"nps": 0}, "negative"),
        ({"nps": 4}, "negative"),
        ({"nps": 6}, None),
        ({"nps": 8}, None),
        ({"nps": 9}, "positive"),
        ({"ces": 2}, "negative"),
        ({"ces": 4}, None),
        ({"ces": 6}, "positive"),
        ({"csat": 5, "nps": 10}, "positive"),
        ({"csat": 1, "ces": 1}, "negative"),
        ({"csat": 5, "nps": 2}, None),  # the ratings disagree
        ({"csat": 5, "nps": 7}, None),  # one of them is in the middle
        ({}, None),
    ],
)
def test_rating_rule(ratings: dict[str, int], expected: str | None) -> None:
    assert rating_sentiment(**ratings) == expected


def _fresh_texts(n: int, held_out: bool) -> list[str]:
    """Texts no seed row has, on the chosen side of the held-back split."""
    out = []
    i = 0
    while len(out) < n:
        text = f"Order {i} of the blue widget arrived on a Tuesday."
        if is_held_out(text) == held_out:
            out.append(text)
        i += 1
    return out


def test_rating_rows_never_enter_the_held_back_split_and_a_persons_label_wins() -> None:
    (trained_text,) = _fresh_texts(1, held_out=False)
    (held_text,) = _fresh_texts(1, held_out=True)
    person = LabelledSentence("The refund took six weeks to arrive.", "negative", None)
    rated = [
        RatedComment(trained_text, "positive"),
        RatedComment(held_text, "positive"),
        RatedComment("the refund took six weeks to  arrive.", "positive"),
        RatedComment("One. Two three. Four five. Six seven.", "negative"),  # 4 segments
    ]
    rows = rating_rows(rated, [person], current=None)
    assert rows == [LabelledSentence(trained_text, "positive", None, weight=RATING_WEIGHT)]
    assert 0 < RATING_WEIGHT < 1


def test_a_mixed_comment_keeps_only_the_segments_the_model_does_not_read_as_opposite(
    seed_model_dir: Path,
) -> None:
    current = load_promoted(seed_model_dir)
    assert current is not None
    praise = "Marta on the phone was lovely and so helpful"
    complaint = "the refund still has not arrived after six weeks."
    assert not is_held_out(praise) and not is_held_out(complaint)
    rows = rating_rows([RatedComment(f"{praise}, but {complaint}", "negative")], [], current)
    assert [(r.text, r.sentiment) for r in rows] == [(complaint, "negative")]


def test_rating_rows_are_trained_on_and_the_check_uses_peoples_labels_only(
    seed_model_dir: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(seed_model_dir, model_dir)
    seed = seed_sentences()
    _, held = split(seed)
    probe = _fresh_texts(40, held_out=False)
    rated = [RatedComment(t, "positive") for t in probe] + [
        RatedComment(t, "negative") for t in _fresh_texts(10, held_out=True)
    ]

    report = train_and_maybe_promote(seed, model_dir, rated=rated, tolerance=0.005)

    assert report.rating_rows == 40  # the ten whose hash is held back are left out
    assert report.held_out_rows == len(held) == report.candidate_metrics["n"]
    assert report.promoted, report.reasons
    assert "held-back rows labelled by people" in report.reasons[0]
    adapted = load_promoted(model_dir)
    assert adapted is not None and adapted.version == report.candidate_version
    # The same rows at full weight make another model: the weight is part of the version.
    full = [LabelledSentence(t, "positive", None) for t in probe]
    assert train(split(seed)[0], sentiment_only=full).version != report.candidate_version


def test_a_candidate_worse_on_peoples_labels_is_refused(
    seed_model_dir: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(seed_model_dir, model_dir)
    before = promoted_version(model_dir)
    seed = seed_sentences()
    train_rows, _ = split(seed)
    # Ratings that say the opposite of the text, on near-copies of the seed's own
    # sentences: the candidate learns to read praise as complaint.
    flipped = {"positive": "negative", "negative": "positive"}
    rated = [
        RatedComment(f"{r.text} Really.", flipped[r.sentiment])
        for r in train_rows
        if r.sentiment in flipped
    ]

    report = train_and_maybe_promote(seed, model_dir, rated=rated, rating_weight=1.0)

    assert report.rating_rows > 1000
    assert not report.promoted
    assert any(reason.startswith("sentiment macro-F1") for reason in report.reasons)
    assert promoted_version(model_dir) == before
