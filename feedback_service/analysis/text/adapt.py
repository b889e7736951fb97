"""A domain adapter: a small sentiment model learnt from the deployment's own rows,
stacked with the seed-trained model.

Why a second model rather than more rows in the first: the seed model learns from
~20,000 sentences written for many support domains; a deployment's few hundred or
few thousand comments (rated by their customers, or labelled by a manager) are a
rounding error among them, whatever their weight. The adapter is fitted on the
deployment's rows alone, with a vocabulary fitted on them (word 1-2-grams and
character 2-5-grams, TF-IDF), so its words are the deployment's words; for German
and Spanish it also reads the word list's scores (``word_list_scores``), which
know the many sentiment words a few hundred rows never hold.

How much each model counts is learnt from the deployment's own labelled rows, per
language (``text_language``): a small logistic regression (the *stacker*) reads
both models' log-probabilities (and the word list's compound ``w``, zero for
English) and predicts the rows' labels,

    P(sentiment | sentence) = softmax(A @ log P_seed + B @ log P_adapter + d w + c)

fitted on the adapter's out-of-fold probabilities (each row scored by an adapter
fitted on the other folds) and the seed model's, which must not have trained its
sentiment head on these rows (store.py keeps people's labels out of it when an
adapter is fitted). Its classes are weighted from balanced to as common as they
are in the rows (``BALANCE_POWERS``), whichever gives the higher cross-validated
macro-F1 on the rows labelled without doubt (people's labels are about as common
as the comments they label; ratings are not). Its coefficients grow with the rows
it has (L2, ``STACK_C``); ``weight`` in the summary is the adapter's share of their
size. A language's stacker is kept only if, cross-validated inside its rows, (1)
its cross-entropy against the rows' labels beats the seed model recalibrated on
the same rows (a stacker on the seed model's probabilities and the word list
alone) by ``MIN_LOSS_GAIN``: the adapter adds something recalibration does not;
a proper score, because a rating is too noisy a label for macro-F1 to see a gain;
and (2) its macro-F1 on the rows labelled without doubt (a person's label, CSAT
1-3 or 5) is not below the seed model alone's. A language without a stacker is
read by the seed model alone.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final, Literal, cast

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_limits

from feedback_service.analysis.text.data import SENTIMENT_CLASSES as SENTIMENTS
from feedback_service.analysis.text.lexicon import sentiment_scores, text_language
from feedback_service.analysis.text.model import META_FILE, SentencePredictions, TrainedModel
from feedback_service.analysis.text.wordlists import LEXICON_LANGUAGES
from feedback_service.privacy.redact import without_placeholders

# Stored-model format: 2 adds the domain adapter (``AdaptedModel``); meta.json says it.
MODEL_FORMAT: Final = 2
FOLDS: Final = 5
# Fewer rows than this, or fewer than MIN_PER_CLASS of two classes: no adapter.
MIN_ROWS: Final = 50
MIN_PER_CLASS: Final = 5
# A language's stacker is kept when its cross-entropy against the rows' labels is
# this much (nats, pooled folds) below the seed model's recalibrated on the same
# rows, and its macro-F1 on the rows labelled without doubt is not below the seed
# model's alone.
MIN_LOSS_GAIN: Final = 0.005
ADAPTER_C: Final = 2.0
# How much the word list's scores count in the adapter beside its TF-IDF blocks
# (each of those is a unit-length row): a deployment's few hundred rows never hold
# most of a language's sentiment words; the word list knows them.
WORD_LIST_WEIGHT: Final = 3.0
# The stacker's class weights: (balanced weight) ** power, the power chosen from
# these by cross-validated macro-F1 inside the rows (1: balanced; 0: as labelled).
BALANCE_POWERS: Final = (1.0, 2 / 3, 1 / 3, 0.0)
# The stacker's regularisation: with few rows its coefficients stay small.
STACK_C: Final = 1.0
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


def word_list_scores(texts: Iterable[str]) -> sparse.csr_matrix:
    """The German or Spanish word list's reading of each text: negative and positive
    shares, compound, and the compound's positive and negative parts (zeros for
    English and any language without a word list)."""
    given = list(texts)
    rows = np.zeros((len(given), 5), dtype=np.float32)
    for i, text in enumerate(given):
        language = text_language(text)
        if language in LEXICON_LANGUAGES:
            neg, _, pos, compound = sentiment_scores(text, language)
            rows[i] = (neg, pos, compound, max(compound, 0.0), min(compound, 0.0))
    return sparse.csr_matrix(rows)


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
            ("word_list", FunctionTransformer(word_list_scores, accept_sparse=True)),
        ],
        transformer_weights={"word": 1.0, "char": 1.0, "word_list": WORD_LIST_WEIGHT},
    )


def _stack_inputs(
    seed: NDArray[np.float64], own: NDArray[np.float64], texts: Sequence[str] | None = None
) -> NDArray[np.float64]:
    """What the stacker reads: both models' log-probabilities, side by side, then the
    word list's compound of each of ``texts`` (zero without a word list; left out when
    None, as for a stacker fitted before it read one)."""
    parts = [np.log(np.clip(seed, 1e-6, 1.0)), np.log(np.clip(own, 1e-6, 1.0))]
    if texts is not None:
        parts.append(word_list_scores(texts).toarray()[:, 2:3].astype(np.float64))
    return np.hstack(parts)


def _weighting(power: float) -> str:
    if power == 1.0:
        return "balanced"
    return "as labelled" if power == 0.0 else f"balanced^{power:.2f}"


def _fit_stacker(
    inputs: NDArray[np.float64],
    shares: NDArray[np.float64],
    classes: Sequence[str],
    seed: int,
    balanced: float,
) -> LogisticRegression:
    """A small logistic regression from both models' log-probabilities to the rows'
    labels (one weighted copy of a row per class it shares in; each class weighted
    by its balanced weight to the power ``balanced``: 1 balanced, 0 as common as
    they are in the rows)."""
    totals = shares.sum(axis=0)
    rows, cols = np.nonzero(shares > 0)
    weights = shares[rows, cols]
    if balanced:
        weights = weights * (len(shares) / (int((totals > 0).sum()) * totals[cols])) ** balanced
    stacker = LogisticRegression(C=STACK_C, max_iter=1000, random_state=seed)
    stacker.fit(inputs[rows], np.asarray(classes)[cols], sample_weight=weights)
    return stacker


def _stacked(
    stacker: LogisticRegression, inputs: NDArray[np.float64], classes: Sequence[str]
) -> NDArray[np.float64]:
    got = stacker.predict_proba(inputs)
    out = np.zeros((len(inputs), len(classes)))
    for j, name in enumerate(stacker.classes_):
        out[:, list(classes).index(str(name))] = got[:, j]
    return out


@dataclass
class DomainAdapter:
    """The fitted adapter and how it was chosen (``summary`` is what meta.json shows).

    ``stackers``: per language, the logistic regression that combines the seed
    model's and the adapter's probabilities; a language without one is read by
    the seed model alone. (Models saved before stacking have none and blend by
    ``weight``.)
    """

    features: FeatureUnion
    head: LogisticRegression
    weight: float
    rows: int
    sources: dict[str, int]
    cv: dict[str, Any]
    digest: str
    stackers: dict[str, LogisticRegression] = field(default_factory=dict)

    def proba(self, texts: Sequence[str], classes: Sequence[str]) -> NDArray[np.float64]:
        """P(class) per text, columns in ``classes`` order (0 for a class it never saw)."""
        matrix = self.features.transform([without_placeholders(t) for t in texts])
        got = self.head.predict_proba(matrix)
        out = np.zeros((len(texts), len(classes)))
        for j, name in enumerate(self.head.classes_):
            if str(name) in classes:
                out[:, list(classes).index(str(name))] = got[:, j]
        return out

    def combine(
        self, texts: Sequence[str], seed: NDArray[np.float64], classes: Sequence[str]
    ) -> NDArray[np.float64]:
        """The seed model's probabilities ``seed`` for ``texts`` with the adapter's in."""
        stackers = getattr(self, "stackers", None)
        if not stackers:
            blended: NDArray[np.float64] = (1 - self.weight) * seed + self.weight * self.proba(
                texts, classes
            )
            return blended
        out = seed.copy()
        languages = np.array([text_language(t) for t in texts])
        for language, stacker in stackers.items():
            rows = np.flatnonzero(languages == language)
            if len(rows):
                own = self.proba([texts[i] for i in rows.tolist()], classes)
                words = [texts[i] for i in rows.tolist()]
                reads = stacker.n_features_in_ > 2 * len(classes)
                inputs = _stack_inputs(seed[rows], own, words if reads else None)
                out[rows] = _stacked(stacker, inputs, classes)
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


def usable(rows: Sequence[AdapterRow]) -> bool:
    clear = [r.clear_class for r in rows if r.clear_class is not None]
    per_class = [clear.count(s) for s in SENTIMENTS]
    return len(rows) >= MIN_ROWS and sum(n >= MIN_PER_CLASS for n in per_class) >= 2


def _out_of_fold(
    rows: Sequence[AdapterRow], classes: Sequence[str], seed: int
) -> NDArray[np.float64]:
    """The adapter's probabilities for each row from an adapter fitted on the other folds."""
    out = np.zeros((len(rows), len(classes)))
    order = np.random.default_rng(seed).permutation(len(rows))
    for k in range(FOLDS):
        held = np.sort(order[k::FOLDS])
        kept = np.setdiff1d(order, held)
        features, head = _fit_head([rows[i] for i in kept], seed)
        part = DomainAdapter(features, head, 0.0, 0, {}, {}, "")
        out[held] = part.proba([rows[i].text for i in held], classes)
    return out


def _cross_fitted(
    inputs: NDArray[np.float64],
    shares: NDArray[np.float64],
    classes: Sequence[str],
    seed: int,
    balanced: float,
) -> NDArray[np.float64] | None:
    """Each row's stacked probabilities from a stacker fitted on the other folds."""
    out = np.zeros_like(shares)
    order = np.random.default_rng(seed + 1).permutation(len(shares))
    for k in range(FOLDS):
        held = np.sort(order[k::FOLDS])
        kept = np.setdiff1d(order, held)
        if (shares[kept].sum(axis=0) > 0).sum() < 2:
            return None
        part = _fit_stacker(inputs[kept], shares[kept], classes, seed, balanced)
        out[held] = _stacked(part, inputs[held], classes)
    return out


def _cross_entropy(shares: NDArray[np.float64], proba: NDArray[np.float64]) -> float:
    """Mean cross-entropy of ``proba`` against the rows' label shares (lower is better)."""
    return float(-np.mean((shares * np.log(np.clip(proba, 1e-9, 1.0))).sum(axis=1)))


def _language_stacker(
    rows: Sequence[AdapterRow],
    inputs: NDArray[np.float64],
    seed_proba: NDArray[np.float64],
    classes: Sequence[str],
    seed: int,
) -> tuple[LogisticRegression | None, dict[str, Any]]:
    """One language's stacker and its cross-validated figures; None unless it passes
    the rule of ``fit_adapter``."""
    shares = np.array([[r.label.get(c, 0.0) for c in classes] for r in rows])
    scored = [i for i, r in enumerate(rows) if r.clear_class is not None]
    truth = [str(rows[i].clear_class) for i in scored]
    alone = _macro_f1(truth, [classes[j] for j in seed_proba[scored].argmax(axis=1)])
    # Classes balanced or as common as in the rows: whichever cross-validates better
    # (a deployment's labels are usually as common as its comments; ratings are not).
    tried: dict[float, tuple[float, NDArray[np.float64]]] = {}
    for balanced in BALANCE_POWERS:
        stacked = _cross_fitted(inputs, shares, classes, seed, balanced)
        if stacked is None:
            return None, {}
        f1 = _macro_f1(truth, [classes[j] for j in stacked[scored].argmax(axis=1)])
        tried[balanced] = (f1, stacked)
    balanced = max(tried, key=lambda b: (tried[b][0], b))
    f1, stacked = tried[balanced]
    # The seed model recalibrated on the same rows: what the adapter must add to.
    # (with the word list's column, which the stacker also reads)
    seed_only = np.hstack([inputs[:, : len(classes)], inputs[:, 2 * len(classes) :]])
    recalibrated = _cross_fitted(seed_only, shares, classes, seed, balanced)
    if recalibrated is None:
        return None, {}
    loss = _cross_entropy(shares, stacked)
    seed_loss = _cross_entropy(shares, recalibrated)
    stacker = _fit_stacker(inputs, shares, classes, seed, balanced)
    coef = np.abs(stacker.coef_)
    own_share = float(coef[:, len(classes) : 2 * len(classes)].sum() / max(coef.sum(), 1e-12))
    figures = {
        "rows": len(rows),
        "macro_f1": round(f1, 4),
        "seed_macro_f1": round(alone, 4),
        "cross_entropy": round(loss, 4),
        "seed_cross_entropy": round(seed_loss, 4),
        "weight": round(own_share, 3),
        "classes": _weighting(balanced),
    }
    kept = f1 >= alone and loss <= seed_loss - MIN_LOSS_GAIN
    return (stacker if kept else None), figures


def fit_adapter(
    rows: Sequence[AdapterRow], base: TrainedModel, seed: int = 0
) -> DomainAdapter | None:
    """Fit the adapter and, per language, the stacker that combines it with the seed
    model, both cross-validated inside ``rows``; then fit the adapter on all of them.

    ``base`` must not have trained its sentiment head on ``rows`` (its probabilities
    for them would be in-sample, and the stacker would trust it too much).
    None when the rows are too few or no language's stacker passes the rule of the
    module docstring.
    """
    if not usable(rows):
        return None
    classes = base.classes("sentiment")
    seed_proba = base.predict([r.text for r in rows]).proba["sentiment"]
    own = _out_of_fold(rows, classes, seed)
    inputs = _stack_inputs(seed_proba, own, [r.text for r in rows])
    languages = np.array([text_language(r.text) for r in rows])
    stackers: dict[str, LogisticRegression] = {}
    per_language: dict[str, Any] = {}
    for language in sorted(set(languages.tolist())):
        idx = np.flatnonzero(languages == language)
        part = [rows[i] for i in idx.tolist()]
        if not usable(part):
            continue
        stacker, figures = _language_stacker(part, inputs[idx], seed_proba[idx], classes, seed)
        per_language[language] = figures
        if stacker is not None:
            stackers[language] = stacker
    if not stackers:
        return None
    kept = [per_language[lang] for lang in stackers]
    total = sum(f["rows"] for f in kept)
    weight = round(sum(f["weight"] * f["rows"] for f in kept) / total, 3)
    cv = {
        "weight": weight,
        "macro_f1": round(sum(f["macro_f1"] * f["rows"] for f in kept) / total, 4),
        "seed_macro_f1": round(sum(f["seed_macro_f1"] * f["rows"] for f in kept) / total, 4),
        "languages": per_language,
    }
    features, head = _fit_head(rows, seed)
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"\n{row.text}\t{json.dumps(dict(row.label), sort_keys=True)}".encode())
    sources: dict[str, int] = {}
    for row in rows:
        sources[row.source] = sources.get(row.source, 0) + 1
    return DomainAdapter(
        features, head, weight, len(rows), sources, cv, f"stack:{digest.hexdigest()}", stackers
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
            seed = pred.proba["sentiment"]
            pred.proba["sentiment"] = self.adapter.combine(texts, seed, pred.classes["sentiment"])
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
