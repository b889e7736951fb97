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

import contextlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import pairwise
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
from feedback_service.analysis.text.lexicon import (
    LexiconFeatures,
    negated_terms_by_language,
    text_language,
)
from feedback_service.analysis.text.locale_text import content_words, model_text
from feedback_service.analysis.text.taxonomy import TARGETS, Taxonomy
from feedback_service.analysis.text.versioning import FEATURES_REVISION as FEATURES_REVISION
from feedback_service.analysis.text.versioning import model_version as _version
from feedback_service.privacy.redact import without_placeholders

HEADS: Final = ("sentiment", "target", "category")
MODEL_FILE: Final = "model.joblib"
META_FILE: Final = "meta.json"
# A language is read by a model only if it trained on at least this many
# sentences in it; below that its comments stay "unsupported", never guessed.
MIN_LANGUAGE_ROWS: Final = 200

# Keeps "didn't" and "can't" whole: negations are the words that matter most here.
_TOKEN_PATTERN: Final = r"(?u)\b\w[\w']*\b"  # noqa: S105 - a regex, not a secret
_C: Final = {"sentiment": 4.0, "target": 6.0, "category": 8.0}
_WORD_TOKEN: Final = re.compile(_TOKEN_PATTERN)
_TAG: Final = re.compile(r"^(?:de|es):")
# How many heads ``train`` fits at once. One in a worker, whose siblings need the
# other cores; the set-up build (nothing else running yet) gives it the machine's.
_HEAD_THREADS: ContextVar[int] = ContextVar("head_threads", default=1)
# Longest first, so with two threads the category head (the most classes) runs
# beside the other two: the wall time is about the longest head's.
_FIT_ORDER: Final = ("category", "sentiment", "target")


def word_terms(text: str) -> list[str]:
    """Word 1-2-grams; German and Spanish ones tagged with their language ("es:no").

    The same spelling means different things across languages (Spanish "no"
    is in praise as often as in complaints, German "die" is an article), so
    each language gets its own coefficients. With the character n-grams, the
    negation-scope terms and the lexicon block tagged or split the same way,
    English weights are learnt from English sentences alone, and adding
    German and Spanish seed data leaves English figures where they were.
    """
    tokens = _WORD_TOKEN.findall(text.lower())
    bigrams = [f"{a} {b}" for a, b in pairwise(tokens)]
    language = text_language(text)
    if language == "en":
        return tokens + bigrams
    return [f"{language}:{term}" for term in [*content_words(tokens, language), *bigrams]]


# sklearn's own character analyzer (lower case, 2-5-grams within word
# boundaries); the model pickles ``char_terms`` by name, not this object.
_CHAR_NGRAMS: Final = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()


def char_terms(text: str) -> list[str]:
    """Character 2-5-grams within word boundaries, tagged like ``word_terms``."""
    grams: list[str] = _CHAR_NGRAMS(text)
    language = text_language(text)
    if language == "en":
        return grams
    return [f"{language}:{gram}" for gram in grams]


def model_input(text: str) -> str:
    """What the features read: no redaction placeholders; per language, ``model_text``."""
    text = without_placeholders(text)
    return model_text(text, text_language(text))


def display_term(term: str) -> str:
    """A word n-gram as a reader should see it: without its language tag."""
    return _TAG.sub("", term)


def build_features() -> FeatureUnion:
    word = TfidfVectorizer(analyzer=word_terms, sublinear_tf=True, min_df=1, dtype=np.float32)
    char = TfidfVectorizer(analyzer=char_terms, sublinear_tf=True, min_df=2, dtype=np.float32)
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
        matrix = self.features.transform([model_input(t) for t in texts]).tocsr()
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
        """Word n-gram names (language tags removed) and where their block starts."""
        word = self.features.transformer_list[0][1]
        names = word.get_feature_names_out()
        return np.array([display_term(str(n)) for n in names], dtype=str), 0

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


def _balanced_weights(labels: Sequence[str], languages: Sequence[str]) -> NDArray[np.float64]:
    """sklearn's "balanced" class weights, computed within each language's rows."""
    by_language: dict[str, list[int]] = {}
    for i, language in enumerate(languages):
        by_language.setdefault(language, []).append(i)
    weights = np.ones(len(labels))
    for rows in by_language.values():
        counts: dict[str, int] = {}
        for i in rows:
            counts[labels[i]] = counts.get(labels[i], 0) + 1
        for i in rows:
            weights[i] = len(rows) / (len(counts) * counts[labels[i]])
    return weights


@contextlib.contextmanager
def head_threads(threads: int) -> Iterator[None]:
    """Within the block, ``train`` fits up to ``threads`` heads at once, each in
    its own thread (the fitting releases the GIL; every head's result is the one
    it gets alone)."""
    token = _HEAD_THREADS.set(max(1, threads))
    try:
        yield
    finally:
        _HEAD_THREADS.reset(token)


def _fit_head(
    head: str, x: sp.csr_matrix, y: list[str], w: NDArray[np.float64], seed: int
) -> LogisticRegression:
    clf = LogisticRegression(C=_C[head], max_iter=2000, random_state=seed)
    return clf.fit(x, y, sample_weight=w)


def train(
    rows: Iterable[LabelledSentence],
    taxonomy: Taxonomy | None = None,
    seed: int = 0,
    sentiment_only: Iterable[LabelledSentence] = (),
    target_only: Iterable[LabelledSentence] = (),
) -> TrainedModel:
    """Fit the features and the three heads; deterministic for the same rows and seed.

    ``sentiment_only`` rows (labelled by a customer's rating) and ``target_only``
    rows (by the reason a customer chose), each with its ``weight``, join that head
    alone, in the vocabulary fitted on ``rows``: the other heads then see exactly
    the matrix they would without them, so they cannot move by chance, and the
    promotion check compares the head the weak labels changed.
    """
    tax = taxonomy.with_defaults() if taxonomy is not None else Taxonomy.default()
    data = deduplicate(rows)
    for row in data:
        row.validate(tax)
    extras = {
        "sentiment": [r for r in deduplicate(sentiment_only) if r.sentiment is not None],
        "target": [r for r in deduplicate(target_only) if r.target is not None],
    }
    extra = [*extras["sentiment"], *extras["target"]]
    for row in extra:
        row.validate(tax)
    texts = [r.text for r in data]
    row_languages = [text_language(t) for t in texts]
    features = build_features()
    matrix = features.fit_transform([model_input(t) for t in texts]).tocsr()
    row_weights = np.array([r.weight for r in data], dtype=np.float64)
    jobs: dict[str, tuple[sp.csr_matrix, list[str], NDArray[np.float64]]] = {}
    for head in HEADS:
        labels = _labels(data, head)
        keep = np.array([label is not None for label in labels])
        y = [label for label in labels if label is not None]
        x, w = matrix[keep], row_weights[keep]
        languages = [row_languages[i] for i in np.flatnonzero(keep)]
        if extras.get(head):
            more = extras[head]
            x = sp.vstack([x, features.transform([model_input(r.text) for r in more])]).tocsr()
            y += [str(label) for label in _labels(more, head)]
            w = np.concatenate([w, [r.weight for r in more]])
            languages += [text_language(r.text) for r in more]
        if len(set(y)) < 2:
            raise ValueError(f"training needs at least two different {head} labels")
        # Balanced weights: the seed set has more complaints than praise, and
        # the model must not learn that "unknown" means "negative". Balanced
        # within each language, so English rows weigh what they weighed before
        # German and Spanish rows were added.
        jobs[head] = (x, y, w * _balanced_weights(y, languages))
    # One BLAS thread per head: on problems this small, extra threads mostly fight
    # each other and the worker's sibling processes (3x slower measured on 2 cores).
    with (
        threadpool_limits(limits=1),
        ThreadPoolExecutor(max_workers=min(_HEAD_THREADS.get(), len(HEADS))) as pool,
    ):
        fits = {h: pool.submit(_fit_head, h, *jobs[h], seed) for h in _FIT_ORDER}
        heads = {h: fits[h].result() for h in HEADS}
    unknown_targets = set(TARGETS) - set(heads["target"].classes_)
    if unknown_targets:
        raise ValueError(f"training rows hold no example of targets {sorted(unknown_targets)}")
    return TrainedModel(
        features,
        heads,
        tax,
        _version([*data, *extra], tax, seed),
        len(data) + len(extra),
        languages=trained_languages(texts),
    )
