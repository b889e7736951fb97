"""Comments labelled by the customer's stated reason teach the target head only and
never enter the held-back split that decides promotion."""

from __future__ import annotations

from pathlib import Path

from feedback_service.analysis.text.data import (
    LabelledSentence,
    is_held_out,
    seed_sentences,
    split,
)
from feedback_service.analysis.text.pipeline import CommentAnalyzer
from feedback_service.analysis.text.store import (
    stated_training_rows,
    train_and_maybe_promote,
)
from tests.unit.analysis.text.test_rating_adaptation import _jargon

CALLBACK = ("Case {n} was parked in the callback queue",)


def _callback_queue(n: int, held_out: bool) -> list[str]:
    """``n`` comments in a desk's jargon, on one side of the hash split."""
    return [text for text, _ in _jargon(n, held_out, templates=(CALLBACK, CALLBACK))]


def _stated(texts: list[str], target: str) -> list[LabelledSentence]:
    return [LabelledSentence(t, None, target, weight=0.5) for t in texts]


def test_stated_rows_skip_the_held_back_split_and_texts_with_labels() -> None:
    trained = _callback_queue(3, held_out=False)
    (held,) = _callback_queue(1, held_out=True)
    person = LabelledSentence(trained[0], "negative", "process")
    stated = [
        LabelledSentence(trained[0].upper(), None, "agent", weight=0.5),
        LabelledSentence(trained[1], "negative", "product", "bug", weight=0.5),
        LabelledSentence(trained[2], None, "agent", weight=0.5),
        LabelledSentence(held, None, "agent", weight=0.5),
    ]
    assert stated_training_rows(stated, [person]) == [
        LabelledSentence(trained[1], None, "product", None, weight=0.5),
        LabelledSentence(trained[2], None, "agent", weight=0.5),
    ]


def test_stated_reasons_teach_the_target_and_promotion_is_decided_on_people_labels(
    nltk_cache_dir: Path, tmp_path: Path
) -> None:
    # A twentieth of the seed rows to train on and a twenty-fifth to measure on: this
    # checks which rows train and which measure, not accuracy, and trains fast.
    rows = [
        r for r in seed_sentences() if is_held_out(r.text, 0.04) or not is_held_out(r.text, 0.95)
    ]
    _, held = split(rows)
    probe = "Case 99 was parked in the callback queue."
    plain = train_and_maybe_promote(rows, tmp_path / "plain")
    before = CommentAnalyzer.load(tmp_path / "plain", nltk_cache_dir)
    assert [f.target for f in before.analyze(probe).findings] != ["agent"]
    assert plain.stated_rows == 0

    stated = _stated(_callback_queue(60, held_out=False), "agent")
    stated += _stated(_callback_queue(10, held_out=True), "agent")
    report = train_and_maybe_promote(rows, tmp_path / "stated", stated=stated)

    assert report.stated_rows == 60  # the ten whose hash is held back are left out
    assert report.held_out_rows == plain.held_out_rows == len(held)
    assert report.candidate_metrics["n"] == len(held)
    assert report.train_rows == plain.train_rows + 60
    # The target head alone learns from them: the other heads cannot move by chance.
    for head in ("sentiment", "category"):
        assert report.candidate_metrics[head] == plain.candidate_metrics[head]
    assert report.candidate_version != plain.candidate_version
    after = CommentAnalyzer.load(tmp_path / "stated", nltk_cache_dir)
    assert [f.target for f in after.analyze(probe).findings] == ["agent"]
