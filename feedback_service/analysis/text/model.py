"""The trained sentence model: shared features, three linear heads.

One ``FeatureUnion`` (word 1-2-gram TF-IDF, character 2-5-gram TF-IDF within
word boundaries, lexicon features) is fitted once; sentiment, target and
category are separate multinomial logistic regressions on the same matrix, so
a batch is vectorised once. English, German and Spanish rows train the same
model: word and character n-grams barely overlap between the languages, and
the lexicon block scores each sentence with its own language's word lists.
Logistic regression is trained on log-loss, so its
probabilities are calibrated well enough to be shown as confidence, and its
coefficients explain each decision (the key phrases), which a calibrated SVM
wrapper would hide.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import joblib
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits

from feedback_service.analysis.text.data import LabelledSentence, deduplicate
from feedback_service.analysis.text.language import SUPPORTED_LANGUAGES, detect_language
from feedback_service.analysis.text.lexicon import LexiconFeatures, negated_terms_by_language
from feedback_service.analysis.text.taxonomy import TARGETS, Taxonomy

HEADS: Final = ("sentiment", "target", "category")
MODEL_FILE: Final = "model.joblib"
META_FILE: Final = "meta.json"
# Bump when features or hyper-parameters change, so the version hash changes too.
# 3: German and Spanish word lists in the lexicon block, negation scope per language.
FEATURES_REVISION: Final = 3
# A language is read by a model only if it trained on at least this many
# sentences in it; below that its comments stay "unsupported", never guessed.
MIN_LANGUAGE_ROWS: Final = 200

# Keeps "didn't" and "can't" whole: negations are the words that matter most here.
_TOKEN_PATTERN: Final = r"(?u)\b\w[\w']*\b"  # noqa: S105 - a regex, not a secret
_C: Final = {"sentiment": 4.0, "target": 6.0, "category": 8.0}


def build_features() -> FeatureUnion:
    word = TfidfVectorizer(
        ngram_range=(1, 2),
        token_pattern=_TOKEN_PATTERN,
        sublinear_tf=True,
        min_df=1,
        dtype=np.float32,
    )
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32
    )
    # Words inside a negation's scope as their own features ("neg_problem"), so
    # "no problem" and "couldn't be happier" can mean the opposite of their words.
    negated = TfidfVectorizer(
        analyzer=negated_terms_by_language, sublinear_tf=True, dtype=np.float32
    )
    return FeatureUnion(
        [("word", word), ("char", char), ("lexicon", LexiconFeatures()), ("negated", negated)],
        transformer_weights={"word": 1.0, "char": 0.8, "lexicon": 1.5, "negated": 0.8},
    )


@dataclass
class SentencePredictions:
    """Per-head probabilities for a batch of sentences, columns in ``classes`` order."""

    proba: dict[str, NDArray[np.float64]]
    classes: dict[str, list[str]]
    features: sp.csr_matrix


@dataclass
class TrainedModel:
    features: FeatureUnion
    heads: dict[str, LogisticRegression]
    taxonomy: Taxonomy
    version: str
    trained_on: int
    metrics: dict[str, Any] = field(default_factory=dict)
    # Models pickled before German and Spanish were added read English only;
    # the class default is what they get when loaded.
    languages: tuple[str, ...] = ("en",)

    def reads(self, language: str) -> bool:
        """Whether this model was trained on enough sentences in ``language``."""
        return language in self.languages

    def classes(self, head: str) -> list[str]:
        return [str(c) for c in self.heads[head].classes_]

    def predict(self, texts: Sequence[str]) -> SentencePredictions:
        matrix = self.features.transform(list(texts)).tocsr()
        proba = {h: self.heads[h].predict_proba(matrix) for h in HEADS}
        return SentencePredictions(proba, {h: self.classes(h) for h in HEADS}, matrix)

    def predict_labels(self, texts: Sequence[str]) -> dict[str, list[str]]:
        pred = self.predict(texts)
        out: dict[str, list[str]] = {}
        for head in HEADS:
            idx = pred.proba[head].argmax(axis=1)
            out[head] = [pred.classes[head][i] for i in idx]
        return out

    def word_vocabulary(self) -> tuple[NDArray[np.str_], int]:
        """Word n-gram names and where their block starts in the feature matrix."""
        word = self.features.transformer_list[0][1]
        return word.get_feature_names_out(), 0

    def evaluate(self, held_out: Iterable[LabelledSentence]) -> dict[str, Any]:
        rows = list(held_out)
        if not rows:
            raise ValueError("cannot evaluate on an empty set")
        predicted = self.predict_labels([r.text for r in rows])
        metrics: dict[str, Any] = {"n": len(rows)}
        for head in HEADS:
            pairs = [
                (truth, guess)
                for truth, guess in zip(_labels(rows, head), predicted[head], strict=True)
                if truth is not None
            ]
            if not pairs:
                continue
            truth_list = [t for t, _ in pairs]
            guess_list = [g for _, g in pairs]
            f1 = f1_score(
                truth_list,
                guess_list,
                average="macro",
                labels=sorted(set(truth_list)),
                zero_division=0,
            )
            metrics[head] = {
                "n": len(pairs),
                "accuracy": round(float(accuracy_score(truth_list, guess_list)), 4),
                "macro_f1": round(float(f1), 4),
            }
        return metrics

    def save(self, directory: Path | str) -> Path:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path / MODEL_FILE, compress=3)
        meta = {
            "version": self.version,
            "trained_on": self.trained_on,
            "metrics": self.metrics,
            "taxonomy": self.taxonomy.to_dict(),
        }
        (path / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
        return path

    @classmethod
    def load(cls, directory: Path | str) -> TrainedModel:
        model = joblib.load(Path(directory) / MODEL_FILE)
        if not isinstance(model, cls):
            raise TypeError(f"{directory} does not hold a {cls.__name__}")
        return model


def _labels(rows: Sequence[LabelledSentence], head: str) -> list[str | None]:
    if head == "sentiment":
        return [r.sentiment for r in rows]
    if head == "target":
        return [r.target for r in rows]
    return [r.label for r in rows]


def _version(rows: Sequence[LabelledSentence], taxonomy: Taxonomy, seed: int) -> str:
    digest = hashlib.sha256()
    digest.update(f"{FEATURES_REVISION}:{seed}:".encode())
    digest.update(json.dumps(taxonomy.to_dict(), sort_keys=True).encode())
    for row in rows:
        digest.update(f"\n{row.text}\t{row.sentiment}\t{row.label}".encode())
    return f"{datetime.now(UTC):%Y.%m.%d}-{digest.hexdigest()[:8]}"


def trained_languages(texts: Sequence[str]) -> tuple[str, ...]:
    """Supported languages with at least ``MIN_LANGUAGE_ROWS`` of ``texts``, sorted."""
    counts: dict[str, int] = {}
    for text in texts:
        language = detect_language(text).language
        counts[language] = counts.get(language, 0) + 1
    return tuple(
        sorted(
            language
            for language, n in counts.items()
            if language in SUPPORTED_LANGUAGES and n >= MIN_LANGUAGE_ROWS
        )
    )


def train(
    rows: Iterable[LabelledSentence], taxonomy: Taxonomy | None = None, seed: int = 0
) -> TrainedModel:
    """Fit the features and the three heads; deterministic for the same rows and seed."""
    tax = taxonomy.with_defaults() if taxonomy is not None else Taxonomy.default()
    data = deduplicate(rows)
    for row in data:
        row.validate(tax)
    texts = [r.text for r in data]
    features = build_features()
    matrix = features.fit_transform(texts).tocsr()
    heads: dict[str, LogisticRegression] = {}
    for head in HEADS:
        labels = _labels(data, head)
        keep = np.array([label is not None for label in labels])
        y = [label for label in labels if label is not None]
        if len(set(y)) < 2:
            raise ValueError(f"training needs at least two different {head} labels")
        # Balanced weights: the seed set has more complaints than praise, and
        # the model must not learn that "unknown" means "negative".
        clf = LogisticRegression(
            C=_C[head], class_weight="balanced", max_iter=2000, random_state=seed
        )
        # One BLAS thread: on problems this small, extra threads mostly fight
        # each other and the worker's sibling processes (3x slower measured on 2 cores).
        with threadpool_limits(limits=1):
            clf.fit(matrix[keep], y)
        heads[head] = clf
    unknown_targets = set(TARGETS) - set(heads["target"].classes_)
    if unknown_targets:
        raise ValueError(f"training rows hold no example of targets {sorted(unknown_targets)}")
    return TrainedModel(
        features,
        heads,
        tax,
        _version(data, tax, seed),
        len(data),
        languages=trained_languages(texts),
    )
