"""Adapting the model to a deployment: what a rating says, which rows the domain
adapter learns from, that it is used only when it beats the seed model inside the
deployment's rows, and that promotion is decided on people's labels."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from feedback_service.analysis.text.adapt import (
    AdaptedModel,
    AdapterRow,
    DomainAdapter,
    comment_label,
    fit_adapter,
)
from feedback_service.analysis.text.data import (
    LabelledSentence,
    RatedComment,
    is_held_out,
    rating_distribution,
    seed_sentences,
    split,
)
from feedback_service.analysis.text.model import TrainedModel
from feedback_service.analysis.text.pipeline import CommentAnalyzer
from feedback_service.analysis.text.store import (
    adapter_rows,
    load_promoted,
    promoted_version,
    train_and_maybe_promote,
)

# A telecom desk's own words: the seed model has never seen what these mean to its
# customers ("tier two" is a second wait; a "remote reset" fixes the line at once).
COMPLAINTS = (
    "Ticket {n} went to tier two again",
    "Router {n} got the ACS push again",
    "Case {n} was parked in the callback queue",
)
PRAISE = (
    "Ticket {n} was closed by a remote reset",
    "Router {n} got the line sync fix",
    "Case {n} went through the fast lane",
)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ({"csat": 1}, {"negative": 1.0}),
        ({"csat": 2}, {"negative": 1.0}),
        ({"csat": 3}, {"neutral": 1.0}),
        ({"csat": 4}, {"neutral": 0.5, "positive": 0.5}),  # "fine" as often as praise
        ({"csat": 5}, {"positive": 1.0}),
        ({"nps": 4}, {"negative": 1.0}),
        ({"nps": 6}, {"neutral": 1.0}),
        ({"nps": 8}, {"neutral": 0.5, "positive": 0.5}),
        ({"nps": 9}, {"positive": 1.0}),
        ({"ces": 2}, {"negative": 1.0}),
        ({"ces": 4}, {"neutral": 1.0}),
        ({"ces": 6}, {"positive": 1.0}),
        ({"csat": 5, "nps": 10}, {"positive": 1.0}),
        ({"csat": 5, "nps": 2}, {"negative": 0.5, "positive": 0.5}),  # they disagree
        ({}, None),
    ],
)
def test_what_a_rating_says(ratings: dict[str, int], expected: dict[str, float] | None) -> None:
    assert rating_distribution(**ratings) == expected


def _jargon(
    n: int,
    held_out: bool = False,
    flip: bool = False,
    templates: tuple[tuple[str, ...], tuple[str, ...]] = (COMPLAINTS, PRAISE),
) -> list[tuple[str, str]]:
    """``n`` (text, sentiment) comments, by default in the desk's jargon, on one side
    of the split; ``flip`` gives each the opposite sentiment."""
    out: list[tuple[str, str]] = []
    i = 0
    while len(out) < n:
        negative = i % 2 == 0
        group = templates[0] if negative else templates[1]
        text = group[i // 2 % len(group)].format(n=7000 + i) + "."
        if is_held_out(text) == held_out:
            sentiment = "negative" if negative != flip else "positive"
            out.append((text, sentiment))
        i += 1
    return out


def _rated(rows: list[tuple[str, str]]) -> list[RatedComment]:
    return [RatedComment(t, {s: 1.0}) for t, s in rows]


def test_adapter_rows_skip_the_held_back_split_and_a_persons_label_wins() -> None:
    (trained,) = _fresh(1, held_out=False)
    (held,) = _fresh(1, held_out=True)
    person = LabelledSentence(trained, "neutral", None)
    rated = [
        RatedComment(trained.upper(), {"positive": 1.0}),
        RatedComment(held, {"negative": 1.0}),
    ]
    rows = adapter_rows(rated, [person])
    assert rows == [AdapterRow(trained, {"neutral": 1.0}, "label")]


def _fresh(n: int, held_out: bool) -> list[str]:
    out = []
    i = 0
    while len(out) < n:
        text = f"Order {i} of the blue widget arrived on a Tuesday."
        if is_held_out(text) == held_out:
            out.append(text)
        i += 1
    return out


def test_the_adapter_learns_the_deployments_words_only_when_it_beats_the_seed_model(
    seed_model_dir: Path,
) -> None:
    base = load_promoted(seed_model_dir)
    assert base is not None
    rows = [AdapterRow(t, {s: 1.0}, "rating") for t, s in _jargon(80)]
    adapter = fit_adapter(rows, base)
    assert adapter is not None
    cv = adapter.cv
    assert cv["macro_f1"] > cv["seed_macro_f1"] + 0.1, cv
    adapted = CommentAnalyzer(AdaptedModel.wrap(base, adapter))
    probes = ["Ticket 99 went to tier two again.", "Router 12 got the line sync fix."]
    assert [r.sentiment for r in adapted.analyze_many(probes)] == ["negative", "positive"]

    assert fit_adapter(rows[:30], base) is None  # too few rows to learn from
    plain = [
        AdapterRow(t, {s: 1.0}, "label")
        for t, s in [("The agent was rude and hung up on me.", "negative")] * 30
        + [("Brilliant, friendly help, thank you so much!", "positive")] * 30
    ]
    assert fit_adapter(plain, base) is None  # the seed model reads these already


def test_ratings_adapt_the_model_and_the_check_uses_peoples_labels_only(
    seed_model_dir: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(seed_model_dir, model_dir)
    seed = seed_sentences()
    _, held = split(seed)
    rated = _rated(_jargon(80)) + _rated(_jargon(10, held_out=True))

    report = train_and_maybe_promote(seed, model_dir, rated=rated)

    assert report.rating_rows == 80  # the ten whose hash is held back are left out
    assert report.held_out_rows == len(held) == report.candidate_metrics["n"]
    assert report.promoted, report.reasons
    assert "held-back rows labelled by people" in report.reasons[0]
    assert "domain adapter on 80 rows" in report.reasons[1]
    adapted = load_promoted(model_dir)
    assert isinstance(adapted, AdaptedModel) and adapted.version == report.candidate_version
    meta = json.loads((model_dir / "versions" / adapted.version / "meta.json").read_text())
    assert meta["format"] == 2 and meta["adapter"]["sources"] == {"rating": 80}
    # The seed-trained heads were reused, not retrained: no label changed.
    seed_model = TrainedModel.load(next((seed_model_dir / "versions").iterdir()))
    assert adapted.base().version == seed_model.version
    assert CommentAnalyzer(adapted).analyze(
        "Case 5 was parked in the callback queue."
    ).sentiment == ("negative")


def test_an_adapter_worse_on_the_deployments_own_labels_is_refused(
    seed_model_dir: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(seed_model_dir, model_dir)
    before = promoted_version(model_dir)
    # Ratings that say the opposite of what the desk's jargon means (as if the rating
    # buttons were swapped); the managers' own labels, held back, say what it means.
    # (On plain words the seed model recalibrated on the ratings would flip as well,
    # so no adapter would be fitted at all.)
    rated = _rated(_jargon(80, flip=True))
    people = [LabelledSentence(t, s, None) for t, s in _jargon(30, held_out=True)]

    report = train_and_maybe_promote(
        [*seed_sentences(), *people], model_dir, rated=rated, deployment_labels=people
    )

    assert report.rating_rows == 80
    assert report.candidate_metrics["deployment"]["n"] == 30
    assert not report.promoted
    assert any(r.startswith("deployment sentiment macro-F1") for r in report.reasons)
    assert promoted_version(model_dir) == before


def test_an_adapted_comment_label_takes_the_customers_rating_into_account() -> None:
    classes = ["negative", "neutral", "positive"]
    unsure = np.array([[0.30, 0.40, 0.30]])
    assert comment_label(unsure, classes, None) == "neutral"
    assert comment_label(unsure, classes, rating_distribution(csat=5)) == "positive"
    assert comment_label(unsure, classes, rating_distribution(csat=1)) == "negative"
    # A clear reading is not flipped by the rating alone.
    clear = np.array([[0.05, 0.05, 0.90]])
    assert comment_label(clear, classes, rating_distribution(csat=1)) == "positive"


def test_peoples_labels_teach_the_adapter_not_the_seed_trained_sentiment_head(
    seed_model_dir: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(seed_model_dir, model_dir)
    people = [LabelledSentence(t, s, None) for t, s in _jargon(80)]

    report = train_and_maybe_promote(
        [*seed_sentences(), *people], model_dir, deployment_labels=people
    )

    assert report.promoted, report.reasons
    adapted = load_promoted(model_dir)
    assert isinstance(adapted, AdaptedModel) and adapted.adapter is not None
    assert adapted.adapter.sources == {"label": 80}
    # Sentiment-only labels leave the seed-trained heads as they were (reused): the
    # stacker learnt how far to trust them from probabilities for rows they never saw.
    seed_model = TrainedModel.load(next((seed_model_dir / "versions").iterdir()))
    assert adapted.base().version == seed_model.version
    assert set(adapted.adapter.cv["languages"]) == {"en"}
    assert CommentAnalyzer(adapted).analyze("Case 5 went through the fast lane.").sentiment == (
        "positive"
    )


# A German parcel desk's jargon, as ``COMPLAINTS`` and ``PRAISE`` above.
GERMAN_JARGON = (
    (
        "Der Auftrag {n} ist wieder in der Stufe zwei gelandet",
        "Die Sendung {n} liegt schon wieder im Rückrufstapel",
    ),
    (
        "Der Auftrag {n} ist über die Schnellspur gegangen",
        "Die Sendung {n} wurde mit dem Fernreset erledigt",
    ),
)


def _german_adapter(seed_model_dir: Path) -> tuple[TrainedModel, DomainAdapter]:
    """The seed model and an adapter fitted on 80 German jargon rows it has never seen."""
    base = load_promoted(seed_model_dir)
    assert base is not None
    rows = [AdapterRow(t, {s: 1.0}, "label") for t, s in _jargon(80, templates=GERMAN_JARGON)]
    adapter = fit_adapter(rows, base)
    assert adapter is not None
    return base, adapter


def test_a_german_adapter_reads_sentiment_words_its_labels_never_held(
    seed_model_dir: Path,
) -> None:
    base, adapter = _german_adapter(seed_model_dir)
    assert "de" in adapter.cv["languages"]
    pairs = [
        ("Der Fahrer war total unfreundlich.", "Der Fahrer war total freundlich."),
        ("Einfach katastrophal, diese Lieferung.", "Einfach großartig, diese Lieferung."),
        ("Ich bin echt enttäuscht von euch.", "Ich bin echt begeistert von euch."),
    ]
    classes = base.classes("sentiment")
    negative = classes.index("negative")
    for bad, good in pairs:
        proba = adapter.proba([bad, good], classes)
        assert proba[0, negative] > proba[1, negative] + 0.05, (bad, good, proba)


def test_a_stacker_saved_before_it_read_the_word_list_still_reads_comments(
    seed_model_dir: Path,
) -> None:
    from sklearn.linear_model import LogisticRegression

    base, adapter = _german_adapter(seed_model_dir)
    classes = base.classes("sentiment")
    # An older stacker: both models' log-probabilities only, no word-list column.
    rng = np.random.default_rng(0)
    older = LogisticRegression().fit(
        rng.normal(size=(60, 2 * len(classes))), [classes[i % len(classes)] for i in range(60)]
    )
    adapter.stackers = {language: older for language in adapter.stackers}
    model = AdaptedModel.wrap(base, adapter)
    texts = ["Der Auftrag 99 ist wieder in der Stufe zwei gelandet.", "Alles bestens, danke!"]
    proba = model.predict(texts).proba["sentiment"]
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert [r.sentiment for r in CommentAnalyzer(model).analyze_many(texts)]  # no error
