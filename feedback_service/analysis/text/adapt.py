"""A domain adapter: a small sentiment model learnt from the deployment's own rows,
blended with the seed-trained model.

Why a second model rather than more rows in the first: the seed model learns from
~20,000 sentences written for many support domains; a deployment's few hundred or
few thousand comments (rated by their customers, or labelled by a manager) are a
rounding error among them, whatever their weight. The adapter is fitted on the
deployment's rows alone, with a vocabulary fitted on them (word 1-2-grams and
character 2-5-grams, TF-IDF), so its words are the deployment's words.

    P(sentiment | sentence) = (1 - w) * seed model + w * adapter

The blend weight ``w`` is chosen by k-fold cross-validation inside the
deployment's rows: each fold's adapter is fitted on the other folds and the blend
scored on the fold, for every ``w`` of ``BLEND_WEIGHTS``, by cross-entropy against
the rows' labels (a proper score, which a rating's soft label fits; macro-F1
against noisy neutral ratings drifted to too high a weight). The smallest weight
tied with the lowest loss wins. The adapter is kept only if, at that weight, the
blend's macro-F1 on the rows labelled without doubt (a person's label, CSAT 1-3
or 5) beats the seed model alone by ``MIN_GAIN``.

Rows come from two sources:

* people's labels (corrections and imports), each counting fully;
* comments labelled by the customer's own rating (``rating_distribution``): a
  soft label, because a rating is weak evidence of what the text says. A CSAT 4
  is as often "fine" as praise, so it counts half neutral, half positive; a
  CSAT 3 is neutral (without it, the adapter never learns neutral). A person's
  label for the same text replaces the rating's.

An adapted model also labels a comment by its most probable class (``comment_label``),
read whole (the adapter learnt whole comments; its segments still give the
findings), not by thresholds on the score: those were chosen for the seed model's
probabilities. The score is still the pipeline's. Measured on GermEval's
multi-sentence texts: whole 0.597 against 0.580 for the mean of its sentences.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final, Literal, cast

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits

from feedback_service.analysis.text.data import SENTIMENT_CLASSES as SENTIMENTS
from feedback_service.analysis.text.model import META_FILE, SentencePredictions, TrainedModel
from feedback_service.privacy.redact import without_placeholders

# Stored-model format: 2 adds the domain adapter (``AdaptedModel``); meta.json says it.
MODEL_FORMAT: Final = 2
BLEND_WEIGHTS: Final = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
FOLDS: Final = 5
# Fewer rows than this, or fewer than MIN_PER_CLASS of two classes: no adapter.
MIN_ROWS: Final = 50
MIN_PER_CLASS: Final = 5
# The adapter must beat the seed model alone by this much (macro-F1, pooled folds).
MIN_GAIN: Final = 0.005
# Weights whose cross-validated loss is within this share of the lowest are tied;
# the smallest of them wins (the seed model keeps its say when the data cannot tell).
LOSS_TIE: Final = 0.005
ADAPTER_C: Final = 2.0
# How far the customer's rating moves a comment: an adapted model's label here, and
# the pipeline's score blend (pipeline.RATING_WEIGHT is this share).
RATING_SHARE: Final = 0.35


@dataclass(frozen=True, slots=True)
class AdapterRow:
    """A deployment text and its label as shares of the classes (one class: a person's)."""

    text: str
    label: Mapping[str, float]
    source: str  # "label" (a person) or "rating"

    @property
    def clear_class(self) -> str | None:
        """The one class of a row labelled without doubt (for scoring), else None."""
        best = max(self.label, key=lambda s: self.label[s])
        return best if self.label[best] >= 0.99 else None


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=2,
                    dtype=np.float32,
                ),
            ),
        ]
    )


@dataclass
class DomainAdapter:
    """The fitted adapter and how it was chosen (``summary`` is what meta.json shows)."""

    features: FeatureUnion
    head: LogisticRegression
    weight: float
    rows: int
    sources: dict[str, int]
    cv: dict[str, Any]
    digest: str

    def proba(self, texts: Sequence[str], classes: Sequence[str]) -> NDArray[np.float64]:
        """P(class) per text, columns in ``classes`` order (0 for a class it never saw)."""
        matrix = self.features.transform([without_placeholders(t) for t in texts])
        got = self.head.predict_proba(matrix)
        out = np.zeros((len(texts), len(classes)))
        for j, name in enumerate(self.head.classes_):
            if str(name) in classes:
                out[:, list(classes).index(str(name))] = got[:, j]
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "weight": self.weight,
            "rows": self.rows,
            "sources": dict(self.sources),
            "cross_validation": dict(self.cv),
        }


def _fit_head(rows: Sequence[AdapterRow], seed: int) -> tuple[FeatureUnion, LogisticRegression]:
    """Features fitted on the rows; one weighted copy of a row per class it shares in,
    classes balanced (macro-F1 counts a rare class as much as a common one)."""
    features = _features()
    matrix = features.fit_transform([without_placeholders(r.text) for r in rows]).tocsr()
    totals = {s: sum(r.label.get(s, 0.0) for r in rows) for s in SENTIMENTS}
    present = [s for s in SENTIMENTS if totals[s] > 0]
    index: list[int] = []
    labels: list[str] = []
    weights: list[float] = []
    for i, row in enumerate(rows):
        for s, share in row.label.items():
            if share > 0:
                index.append(i)
                labels.append(s)
                weights.append(share * len(rows) / (len(present) * totals[s]))
    head = LogisticRegression(C=ADAPTER_C, max_iter=2000, random_state=seed)
    with threadpool_limits(limits=1):
        head.fit(matrix[index], labels, sample_weight=np.asarray(weights))
    return features, head


def _macro_f1(truth: Sequence[str], guess: Sequence[str]) -> float:
    return float(
        f1_score(truth, guess, labels=sorted(set(truth)), average="macro", zero_division=0)
    )


def _cross_entropy(shares: NDArray[np.float64], proba: NDArray[np.float64]) -> float:
    """Mean cross-entropy of ``proba`` against the rows' label shares (lower is better):
    a proper score, so a rating's half-and-half counts as what it says."""
    return float(-np.mean((shares * np.log(np.clip(proba, 1e-9, 1.0))).sum(axis=1)))


def usable(rows: Sequence[AdapterRow]) -> bool:
    clear = [r.clear_class for r in rows if r.clear_class is not None]
    per_class = [clear.count(s) for s in SENTIMENTS]
    return len(rows) >= MIN_ROWS and sum(n >= MIN_PER_CLASS for n in per_class) >= 2


def fit_adapter(
    rows: Sequence[AdapterRow], base: TrainedModel, seed: int = 0
) -> DomainAdapter | None:
    """Cross-validate the blend weight on ``rows``, then fit on all of them.

    None when the rows are too few or no weight beats the seed model alone.
    """
    if not usable(rows):
        return None
    classes = base.classes("sentiment")
    seed_proba = base.predict([r.text for r in rows]).proba["sentiment"]
    out_of_fold = np.zeros_like(seed_proba)
    order = np.random.default_rng(seed).permutation(len(rows))
    for k in range(FOLDS):
        held = np.sort(order[k::FOLDS])
        kept = np.setdiff1d(order, held)
        features, head = _fit_head([rows[i] for i in kept], seed)
        part = DomainAdapter(features, head, 0.0, 0, {}, {}, "")
        out_of_fold[held] = part.proba([rows[i].text for i in held], classes)
    shares = np.array([[r.label.get(c, 0.0) for c in classes] for r in rows])
    scored = [i for i, r in enumerate(rows) if r.clear_class is not None]
    truth = [str(rows[i].clear_class) for i in scored]

    def blend(weight: float) -> NDArray[np.float64]:
        out: NDArray[np.float64] = (1 - weight) * seed_proba + weight * out_of_fold
        return out

    loss = {w: _cross_entropy(shares, blend(w)) for w in (0.0, *BLEND_WEIGHTS)}
    lowest = min(loss.values())
    best = min(w for w in loss if loss[w] <= lowest * (1 + LOSS_TIE))
    if best == 0.0:
        return None
    f1 = {
        w: _macro_f1(truth, [classes[j] for j in blend(w)[scored].argmax(axis=1)])
        for w in (0.0, best)
    }
    if f1[best] < f1[0.0] + MIN_GAIN:
        return None
    cv = {
        "weight": best,
        "macro_f1": round(f1[best], 4),
        "seed_macro_f1": round(f1[0.0], 4),
        "cross_entropy": {str(w): round(v, 4) for w, v in loss.items()},
    }
    features, head = _fit_head(rows, seed)
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"\n{row.text}\t{json.dumps(dict(row.label), sort_keys=True)}".encode())
    sources: dict[str, int] = {}
    for row in rows:
        sources[row.source] = sources.get(row.source, 0) + 1
    return DomainAdapter(
        features, head, best, len(rows), sources, cv, f"{best}:{digest.hexdigest()}"
    )


@dataclass
class AdaptedModel(TrainedModel):
    """The seed-trained model with a domain adapter blended into its sentiment head."""

    adapter: DomainAdapter | None = None
    # The version of the seed-trained model this one adapts (its own differs).
    base_version: str = ""

    @classmethod
    def wrap(cls, base: TrainedModel, adapter: DomainAdapter) -> AdaptedModel:
        own = {f.name: getattr(base, f.name) for f in fields(TrainedModel)}
        digest = hashlib.sha256(f"{base.version}:{adapter.digest}".encode()).hexdigest()
        own["version"] = f"{base.version.rsplit('-', 1)[0]}-{digest[:8]}"
        own["metrics"] = {}
        return cls(**own, adapter=adapter, base_version=base.version)

    def base(self) -> TrainedModel:
        """The seed-trained model alone (what the target and category heads are)."""
        own = {f.name: getattr(self, f.name) for f in fields(TrainedModel)}
        own["version"] = self.base_version
        return TrainedModel(**own)

    def predict(self, texts: Sequence[str]) -> SentencePredictions:
        pred = super().predict(texts)
        if self.adapter is not None and len(texts):
            weight = self.adapter.weight
            own = self.adapter.proba(texts, pred.classes["sentiment"])
            pred.proba["sentiment"] = (1 - weight) * pred.proba["sentiment"] + weight * own
        return pred

    def save(self, directory: Path | str) -> Path:
        path = super().save(directory)
        meta = json.loads((path / META_FILE).read_text())
        meta["format"] = MODEL_FORMAT
        meta["adapter"] = self.adapter.summary() if self.adapter is not None else None
        (path / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
        return path


def labels_by_probability(model: TrainedModel) -> bool:
    """Whether comments are labelled by ``comment_label`` (an adapted model)."""
    return isinstance(model, AdaptedModel) and model.adapter is not None


def comment_label(
    proba: NDArray[np.float64],
    classes: Sequence[str],
    rating: Mapping[str, float] | None,
) -> Literal["negative", "neutral", "positive"]:
    """The most probable class of a comment from ``proba`` (its one row: the comment
    read whole or its one sentence), the rating's shares mixed in at ``RATING_SHARE``
    when the customer gave one."""
    mean = proba.mean(axis=0)
    if rating:
        given = np.array([rating.get(c, 0.0) for c in classes])
        mean = (1 - RATING_SHARE) * mean + RATING_SHARE * given
    label = str(classes[int(mean.argmax())])
    assert label in SENTIMENTS
    return cast(Literal["negative", "neutral", "positive"], label)
