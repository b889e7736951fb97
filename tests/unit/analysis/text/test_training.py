from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from feedback_service.analysis.text.data import (
    LabelledSentence,
    deduplicate,
    is_held_out,
    seed_sentences,
    split,
)
from feedback_service.analysis.text.model import TrainedModel, train
from feedback_service.analysis.text.pipeline import CommentAnalyzer
from feedback_service.analysis.text.store import (
    list_versions,
    promoted_version,
    train_and_maybe_promote,
)
from feedback_service.analysis.text.taxonomy import Taxonomy, TaxonomyError


def test_seed_data_is_large_and_covers_every_category() -> None:
    rows = seed_sentences()
    assert len(rows) >= 1500
    taxonomy = Taxonomy.default()
    for row in rows:
        row.validate(taxonomy)
    counts = Counter(row.label for row in rows)
    assert set(counts) == set(taxonomy.labels())
    assert min(counts.values()) >= 20, counts.most_common()[-3:]
    assert {row.sentiment for row in rows} == {"positive", "neutral", "negative"}


def test_held_back_split_holds_every_category_on_both_sides() -> None:
    train_rows, held = split(seed_sentences())
    assert 0.15 < len(held) / (len(held) + len(train_rows)) < 0.25
    assert {r.label for r in held} == {r.label for r in train_rows}


def test_taxonomy_extends_and_round_trips() -> None:
    taxonomy = Taxonomy.default()
    assert taxonomy.add_category("product", "Hardware") == "hardware"
    restored = Taxonomy.from_dict(json.loads(json.dumps(taxonomy.to_dict())))
    assert "product/hardware" in restored.labels()
    with pytest.raises(TaxonomyError):
        restored.add_category("weather", "rain")
    with pytest.raises(TaxonomyError):
        LabelledSentence("x", "negative", "product", "nope").validate(restored)


def test_partial_correction_keeps_the_other_labels() -> None:
    seed = LabelledSentence("The app is slow", "negative", "product", "performance")
    fix = LabelledSentence("the app is  slow", "neutral", None)
    (merged,) = deduplicate([seed, fix])
    assert (merged.sentiment, merged.target, merged.category) == (
        "neutral",
        "product",
        "performance",
    )


def test_training_is_deterministic() -> None:
    # A twentieth of the seed rows: determinism, not accuracy, is checked here.
    rows = [r for r in seed_sentences() if not is_held_out(r.text, 0.95)]
    first, second = train(rows), train(rows)
    assert first.version == second.version
    texts = ["the agent was lovely", "the app still crashes"]
    assert (first.predict(texts).proba["category"] == second.predict(texts).proba["category"]).all()


_HARDWARE = [
    "The hinge on my laptop snapped after a month.",
    "The screen cracked on its own in the box.",
    "The charging port came loose.",
    "The power button is stuck.",
    "The casing split along the seam.",
    "One of the keys fell off the keyboard.",
    "The speaker grille rattles.",
    "The fan makes a grinding noise.",
    "The headphone jack is loose.",
    "The hinge creaks and wobbles.",
    "The stand broke the first time I used it.",
    "The battery is swelling and the back is bulging.",
    "The screws on the base keep falling out.",
    "The USB port is physically bent.",
    "The lid does not close properly any more.",
    "The rubber feet fell off the bottom.",
    "The strap buckle snapped.",
    "The back cover cracked when I took it off.",
]


def test_corrections_change_predictions_and_get_promoted(
    seed_model_dir: Path, nltk_cache_dir: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(seed_model_dir, model_dir)
    before = CommentAnalyzer.load(model_dir, nltk_cache_dir)
    probe = "The charging port came loose."
    assert not is_held_out(probe)
    assert all(f.category != "hardware" for f in before.analyze(probe).findings)

    taxonomy = Taxonomy.default()
    taxonomy.add_category("product", "hardware")
    corrections = [LabelledSentence(t, "negative", "product", "hardware") for t in _HARDWARE]
    # Half a point of tolerance: some corrections land in the held-back rows and
    # nudge the other heads by a flipped sentence or two (seen: target -0.002).
    report = train_and_maybe_promote(
        [*seed_sentences(), *corrections], model_dir, taxonomy, tolerance=0.005
    )

    assert report.promoted, report.reasons
    assert promoted_version(model_dir) == report.candidate_version != before.model_version
    after = CommentAnalyzer.load(model_dir, nltk_cache_dir)
    assert after.model_version == report.candidate_version
    assert [(f.target, f.category) for f in after.analyze(probe).findings] == [
        ("product", "hardware")
    ]
    assert {v["version"] for v in list_versions(model_dir)} >= {
        before.model_version,
        after.model_version,
    }


def test_promotion_refuses_a_worse_model(seed_model_dir: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(seed_model_dir, model_dir)
    current = promoted_version(model_dir)
    rng = random.Random(0)
    # Every held-back row, which keeps its true labels, and a quarter of the others
    # (this checks the refusal, not accuracy: a quarter trains four times faster).
    rows = [r for r in seed_sentences() if is_held_out(r.text) or not is_held_out(r.text, 0.75)]
    # Scramble the labels of the rows the candidate learns from, so the candidate
    # measures worse on the held-back rows.
    scrambled = [(r.target, r.category) for r in rows]
    rng.shuffle(scrambled)
    bad = [
        r if is_held_out(r.text) else LabelledSentence(r.text, r.sentiment, *labels)
        for r, labels in zip(rows, scrambled, strict=True)
    ]
    report = train_and_maybe_promote(bad, model_dir)
    assert not report.promoted
    assert any("target macro-F1" in reason for reason in report.reasons)
    assert promoted_version(model_dir) == current
    assert report.current_metrics is not None
    assert (
        report.candidate_metrics["target"]["macro_f1"]
        < report.current_metrics["target"]["macro_f1"]
    )
    assert TrainedModel.load(model_dir / "versions" / report.candidate_version).version == (
        report.candidate_version
    )


def test_taxonomy_saved_before_quality_existed_still_trains_on_the_seed() -> None:
    saved = Taxonomy.default().to_dict()
    saved["categories"]["product"].remove("quality")
    saved["categories"]["agent"].append("empathy")
    # A twentieth of the seed rows (every category is in it): this checks the taxonomy
    # upgrade, not accuracy, and trains many times faster.
    rows = [r for r in seed_sentences() if not is_held_out(r.text, 0.95)]
    assert any(r.label == "product/quality" for r in rows)
    model = train(rows, Taxonomy.from_dict(saved))
    assert "product/quality" in model.classes("category")
    assert "empathy" in model.taxonomy.categories["agent"]
