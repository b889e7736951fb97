"""Comment in, ``CommentAnalysis`` out: language, sentences, sentiment, findings.

How the comment-level sentiment is put together (documented because managers
will ask why a comment was called what it was):

* each segment (sentence, cut at "but"/"however", "aber"/"jedoch", "pero"/"sin
  embargo") gets the trained model's probabilities; its score is
  ``s * (P(pos) - P(neg)) + (1 - s) * lexicon compound``
  where the model's share ``s`` runs from 0.5 (model unsure: top probability
  near 1/3) to 0.8 (model certain). The model already sees VADER's scores as
  features; the direct share keeps strong lexicon words ("disgusting",
  "amazing") from being averaged away on text unlike the seed data. The lexicon
  is the comment's language's: VADER for English, the hand-written German and
  Spanish lists of ``wordlists.py`` otherwise (VADER knows no German, and its
  0 for "Katastrophe" would pull every German sentence toward neutral);
* the text score is the mean of segment scores, weighted by how opinionated each
  segment is (``1 - P(neutral)``), so "I called on Tuesday." does not dilute
  "the agent was rude". A rule may also read a long comment (3 or more
  segments) whole and mix that in (``SentimentRule.whole_text_weight``, off by
  default): it helps a model taught with a deployment's whole-comment labels
  (GermEval, ``bench/README-languages.md``) and hurts one trained on the seed
  sentences alone, which has rarely seen a long text whole;
* the customer's own rating, when given, is mapped to -1..1 - CSAT 1..5 as
  ``(r - 3) / 2`` (1-2 pull toward negative, 4-5 toward positive), NPS 0..10 as
  ``(r - 7.5) / 2.5`` clipped (detractors 0-6 negative), CES 1..7 as ``(r - 4) / 3``
  - averaged, and blended as ``0.65 * text + 0.35 * rating``. The rating settles
  ambiguous text ("it was fine I guess") but cannot flip a clear complaint alone;
* the label is ``mixed`` when at least one segment is confidently positive and
  another confidently negative. Otherwise neutral when "no verdict" is the most
  likely reading once weighed: each segment's neutral probability is blended
  like its score (``s * P(neutral) + (1 - s) * (1 - |compound|)``), averaged
  with the same weights; with the score being P(pos) - P(neg) of the same
  blend, neutral wins when ``3 * 0.6 * neutral >= 1 + |score|``, else the
  score's sign decides (0.6: the lexicon's part, ``1 - |compound|``, is near 1
  for any sentence without a word it knows, so the blend called too many
  complaints told as facts neutral; chosen on the seed data). A
  rated comment (the customer has given a verdict), a comment in a language
  outside ``SentimentRule.probability_languages`` (English only: German and
  Spanish read better with the band) and every comment under
  ``SentimentRule(neutral_by="band")`` use the fixed band instead, as all
  comments did until 2026-12-05: positive / negative beyond +-0.2, neutral
  between. Measured, the probability rule cost German and Spanish 6 points on
  their held-out sentences and 1.6 on GermEval.

Comments not in a supported language (or with no words at all), or in one the
loaded model was not trained on (a model pickled before German and Spanish
seed data existed reads English only), come back with ``supported=False`` and
sentiment ``unsupported``: they are never scored neutral.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from feedback_service.analysis.text import lexicon
from feedback_service.analysis.text.adapt import (
    RATING_SHARE,
    comment_label,
    labels_by_probability,
)
from feedback_service.analysis.text.data import rating_shares
from feedback_service.analysis.text.language import SUPPORTED_LANGUAGES, detect_language
from feedback_service.analysis.text.model import TrainedModel
from feedback_service.analysis.text.segment import segments
from feedback_service.analysis.text.store import ModelNotReady, load_promoted
from feedback_service.analysis.text.wordlists import LEXICON_LANGUAGES, lists
from feedback_service.privacy.redact import without_placeholders

SentimentLabel = Literal["positive", "neutral", "negative", "mixed", "unsupported"]

# How far the customer's rating moves a comment's score: one share for both the
# score blend here and an adapted model's label (adapt.RATING_SHARE).
RATING_WEIGHT: Final = RATING_SHARE
TEXT_WEIGHT: Final = 1 - RATING_SHARE
MODEL_SHARE: Final = 0.8
MIN_MODEL_SHARE: Final = 0.5
CONFIDENCE_FLOOR: Final = 0.34
LABEL_THRESHOLD: Final = 0.2
MIXED_CONFIDENCE: Final = 0.55
MAX_KEY_PHRASES: Final = 5
LONG_COMMENT_SEGMENTS: Final = 3
WHOLE_TEXT_WEIGHT: Final = 0.0
SILENT_LEXICON_SHARE: Final[float | None] = None
NEUTRAL_BY: Final = "probability"
PROBABILITY_LANGUAGES: Final = ("en",)
NEUTRAL_WEIGHT: Final = 0.6
# "me" or "on the" can carry weight in a linear model but explain nothing to a reader.
_FUNCTION_WORDS: Final = frozenset(
    str.split(
        "the a an and or but is was were are be been i me my you your he she it we they them "
        "his her their this that to of in on at for with from by so just very too it's i'm"
    )
)
_FUNCTION_WORDS_BY_LANGUAGE: Final = {
    "en": _FUNCTION_WORDS,
    **{language: lists(language).function_words for language in LEXICON_LANGUAGES},
}
_RATING_SCALES: Final = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
# The categories that are praise, not a complaint: only a positive sentence gets one.
PRAISE_LABELS: Final = ("agent/praised", "none/praise-general")


@dataclass(frozen=True, slots=True)
class Finding:
    target: str
    category: str
    confidence: float
    sentence: str
    sentiment: str


@dataclass(slots=True)
class CommentAnalysis:
    language: str
    language_confidence: float
    supported: bool
    sentiment: SentimentLabel
    score: float | None
    findings: list[Finding] = field(default_factory=list)
    key_phrases: list[str] = field(default_factory=list)
    model_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def targets(self) -> list[str]:
        return sorted({f.target for f in self.findings})


def rating_score(rating: Mapping[str, int] | None) -> float | None:
    """Map the answer's own scores onto -1..1 (see module docstring); None if none given.

    Keys other than csat / nps / ces (e.g. a yes/no FCR answer) are ignored: they
    say whether the issue was solved, not how the customer felt about it.
    """
    if not rating:
        return None
    parts: list[float] = []
    for name, value in rating.items():
        if name not in _RATING_SCALES or value is None:
            continue
        low, high = _RATING_SCALES[name]
        if not low <= value <= high:
            raise ValueError(f"{name} rating must be {low}..{high}, got {value}")
        if name == "csat":
            parts.append((value - 3) / 2)
        elif name == "nps":
            parts.append(max(-1.0, min(1.0, (value - 7.5) / 2.5)))
        else:
            parts.append((value - 4) / 3)
    return sum(parts) / len(parts) if parts else None


@dataclass(frozen=True, slots=True)
class SentimentRule:
    """How model, lexicon and rating are combined; defaults are the module constants.

    A separate object so the thresholds can be chosen by cross-validation on the
    seed data (``bench/eval_comments.py --choose-rule``) without editing code.
    """

    model_share: float = MODEL_SHARE
    min_model_share: float = MIN_MODEL_SHARE
    confidence_floor: float = CONFIDENCE_FLOOR
    label_threshold: float = LABEL_THRESHOLD
    mixed_confidence: float = MIXED_CONFIDENCE
    long_comment_segments: int = LONG_COMMENT_SEGMENTS
    whole_text_weight: float = WHOLE_TEXT_WEIGHT
    # The model's share for a segment in which the lexicon finds no opinion word
    # at all (compound exactly 0); None: the usual share. A 0 there means "no
    # word I know", not "neutral", so it need not pull the model's verdict in.
    # Off by default: +0.4 points on the seed CV, -0.9 on SemEval (bench/README-comments.md).
    silent_lexicon_share: float | None = SILENT_LEXICON_SHARE
    # "probability": a comment is neutral when the blended neutral probability
    # (model's P(neutral) and the lexicon's neutral share, mixed like the score)
    # is its most likely reading once weighed by ``neutral_weight``; "band": when
    # the score lies within +-label_threshold (before 2026-12-05). See
    # bench/README-comments.md.
    neutral_by: Literal["probability", "band"] = NEUTRAL_BY
    # The languages "probability" applies to; the others keep the band. On the
    # German and Spanish held-out sentences and GermEval the band is better
    # (bench/README-comments.md, 2026-12-05 fourth batch).
    probability_languages: tuple[str, ...] = PROBABILITY_LANGUAGES
    # What the blended neutral probability counts for against the other two
    # ("probability" rule only). Its lexicon part, 1 - |compound|, is close to 1
    # whenever the lexicon knows no word ("where is my bag?"), which is "no
    # word I know", not "no verdict". 0.6 was chosen by leaving seed files out
    # (bench/eval_comments.py --choose-rule); 1.0 is plain argmax.
    neutral_weight: float = NEUTRAL_WEIGHT


class Analyzer(Protocol):
    """What workers and services depend on; tests may pass any object like this."""

    model_version: str

    def analyze(self, text: str, rating: Mapping[str, int] | None = None) -> CommentAnalysis: ...

    def analyze_many(
        self, texts: Sequence[str], ratings: Sequence[Mapping[str, int] | None] | None = None
    ) -> list[CommentAnalysis]: ...


class CommentAnalyzer:
    def __init__(self, model: TrainedModel, rule: SentimentRule | None = None) -> None:
        self.model = model
        self.rule = rule or SentimentRule()
        self.model_version = model.version
        self._classes = {h: model.classes(h) for h in ("sentiment", "target", "category")}
        sent = self._classes["sentiment"]
        self._pos = sent.index("positive") if "positive" in sent else None
        self._neg = sent.index("negative") if "negative" in sent else None
        self._neu = sent.index("neutral") if "neutral" in sent else None
        vocab, start = model.word_vocabulary()
        self._vocab = vocab
        self._word_slice = slice(start, start + len(vocab))
        self._push = {h: self._class_push(h) for h in ("sentiment", "target")}
        cats = self._classes["category"]
        self._category_target = np.array([c.split("/", 1)[0] for c in cats])
        self._languages = frozenset(getattr(model, "languages", ("en",)))
        self._by_probability = labels_by_probability(model)

    def reads(self, language: str) -> bool:
        """Whether comments in ``language`` are analysed (supported and trained on)."""
        return language in self._languages and language in SUPPORTED_LANGUAGES

    def _class_push(self, head: str) -> NDArray[np.float64]:
        """How much each word n-gram pushes toward each class, against the others."""
        coef = np.asarray(self.model.heads[head].coef_, dtype=np.float64)[:, self._word_slice]
        if coef.shape[0] == 1:  # binary head: sklearn stores one row for class 1
            coef = np.vstack([-coef[0], coef[0]])
        centred: NDArray[np.float64] = coef - coef.mean(axis=0, keepdims=True)
        return centred

    @classmethod
    def load(cls, model_dir: Path | str, cache_dir: Path | str | None = None) -> CommentAnalyzer:
        """Load the promoted model. A process never trains one here (that takes 15-60 s
        of CPU inside a task or a request): ``build.build`` (``flask analysis build``)
        makes it ready beforehand."""
        lexicon.configure(cache_dir)
        model = load_promoted(model_dir)
        if model is None:
            raise ModelNotReady(model_dir)
        return cls(model)

    def analyze(self, text: str, rating: Mapping[str, int] | None = None) -> CommentAnalysis:
        return self.analyze_many([text], [rating])[0]

    def analyze_many(
        self, texts: Sequence[str], ratings: Sequence[Mapping[str, int] | None] | None = None
    ) -> list[CommentAnalysis]:
        """Analyse a batch; all sentences are vectorised and scored together (fast path).

        Ratings out of range raise ``ValueError`` for the whole batch: they are
        validated where answers come in, so one here is a programming error.
        """
        if ratings is not None and len(ratings) != len(texts):
            raise ValueError("ratings must be None or one per text")
        results: list[CommentAnalysis | None] = [None] * len(texts)
        owners: list[int] = []
        pieces: list[str] = []
        languages: list[str] = []
        for i, text in enumerate(texts):
            guess = detect_language(without_placeholders(text or ""))
            segs = segments(text, guess.language) if self.reads(guess.language) else []
            if not segs:
                results[i] = CommentAnalysis(
                    language=guess.language,
                    language_confidence=guess.confidence,
                    supported=False,
                    sentiment="unsupported",
                    score=None,
                    model_version=self.model_version,
                )
                continue
            results[i] = CommentAnalysis(
                language=guess.language,
                language_confidence=guess.confidence,
                supported=True,
                sentiment="neutral",
                score=0.0,
                model_version=self.model_version,
            )
            owners.extend([i] * len(segs))
            pieces.extend(segs)
            languages.extend([guess.language] * len(segs))
        if pieces:
            long_comments: dict[int, str] = {}
            if self.rule.whole_text_weight > 0 or self._by_probability:
                counts = np.bincount(owners)
                # An adapted model labels every comment of 2+ segments whole (adapt.py).
                least = 2 if self._by_probability else self.rule.long_comment_segments
                long_enough = np.flatnonzero(counts >= least)
                long_comments = {i: texts[i] for i in long_enough.tolist()}
            self._score_segments(pieces, owners, languages, results, ratings, long_comments)
        return [r for r in results if r is not None]

    def target_scores(self, texts: Sequence[str]) -> list[dict[str, float] | None]:
        """Per comment, the highest probability any of its segments gives each target.

        Used to answer "is this about the agent or the product?" when a caller
        needs a ranking rather than findings; None for unsupported comments.
        """
        owners: list[int] = []
        pieces: list[str] = []
        out: list[dict[str, float] | None] = [None] * len(texts)
        for i, text in enumerate(texts):
            language = detect_language(text or "").language
            if self.reads(language):
                segs = segments(text, language)
                owners.extend([i] * len(segs))
                pieces.extend(segs)
        if not pieces:
            return out
        proba = self.model.predict(pieces).proba["target"]
        names = self._classes["target"]
        for j, owner in enumerate(owners):
            best = out[owner] or dict.fromkeys(names, 0.0)
            for k, name in enumerate(names):
                best[name] = max(best[name], float(proba[j, k]))
            out[owner] = best
        return out

    def _score_segments(
        self,
        pieces: list[str],
        owners: list[int],
        languages: list[str],
        results: list[CommentAnalysis | None],
        ratings: Sequence[Mapping[str, int] | None] | None,
        long_comments: Mapping[int, str] | None = None,
    ) -> None:
        pred = self.model.predict(pieces)
        whole_score, whole_proba = self._whole_scores(long_comments or {})
        sent_p = pred.proba["sentiment"]
        p_pos, p_neg, p_neu = (self._column(sent_p, k) for k in (self._pos, self._neg, self._neu))
        compound = np.array(
            [lexicon.compound_score(p, lang) for p, lang in zip(pieces, languages, strict=True)]
        )
        seg_score, seg_neutral = self._blend(sent_p, compound)
        rule = self.rule
        sent_idx = sent_p.argmax(axis=1)
        target_p = pred.proba["target"]
        target_idx = target_p.argmax(axis=1)
        targets = np.array(self._classes["target"])[target_idx]
        cat_p = self._category_proba(pred.proba["category"], sent_idx, targets)
        cat_idx = cat_p.argmax(axis=1)
        phrases = self._key_phrases(pred.features, sent_idx, target_idx, languages)

        by_comment: dict[int, list[int]] = {}
        for j, owner in enumerate(owners):
            by_comment.setdefault(owner, []).append(j)
        sent_names = self._classes["sentiment"]
        cat_names = self._classes["category"]
        for owner, idx in by_comment.items():
            result = results[owner]
            assert result is not None
            weights = np.maximum(1.0 - p_neu[idx], 0.05)
            text_score = float(np.average(seg_score[idx], weights=weights))
            if owner in whole_score:
                weight = rule.whole_text_weight
                text_score = (1 - weight) * text_score + weight * whole_score[owner]
            neutral = float(np.average(seg_neutral[idx], weights=weights))
            rated = rating_score(ratings[owner] if ratings is not None else None)
            if rated is not None:
                text_score = TEXT_WEIGHT * text_score + RATING_WEIGHT * rated
            score = max(-1.0, min(1.0, text_score))
            strong_pos = bool(np.any(p_pos[idx] >= rule.mixed_confidence))
            strong_neg = bool(np.any(p_neg[idx] >= rule.mixed_confidence))
            if self._by_probability and not (strong_pos and strong_neg):
                # A model adapted to the deployment (adapt.py) reads the label by
                # probability, with the customer's rating mixed in.
                given = rating_shares(ratings[owner] if ratings is not None else None)
                read = whole_proba.get(owner, sent_p[idx])
                result.sentiment = comment_label(read, sent_names, given)
            else:
                # With a rating the customer has given their verdict: the band decides.
                by_probability = rated is None and result.language in rule.probability_languages
                result.sentiment = self._label(
                    score, neutral if by_probability else None, strong_pos and strong_neg
                )
            result.score = round(score, 4)
            for j in idx:
                if targets[j] == "none":
                    continue
                category = cat_names[cat_idx[j]].split("/", 1)[1]
                confidence = float(target_p[j, target_idx[j]] * cat_p[j, cat_idx[j]])
                result.findings.append(
                    Finding(
                        target=str(targets[j]),
                        category=category,
                        confidence=round(confidence, 4),
                        sentence=pieces[j],
                        sentiment=sent_names[sent_idx[j]],
                    )
                )
            result.key_phrases = _top_phrases(phrases[j] for j in idx)

    def _column(self, proba: NDArray[np.float64], index: int | None) -> NDArray[np.float64]:
        return proba[:, index] if index is not None else np.zeros(proba.shape[0])

    def _whole_scores(
        self, long_comments: Mapping[int, str]
    ) -> tuple[dict[int, float], dict[int, NDArray[np.float64]]]:
        """P(pos) - P(neg) of each long comment read whole, and its class
        probabilities, by its index."""
        if not long_comments:
            return {}, {}
        whole = self.model.predict(list(long_comments.values())).proba["sentiment"]
        pos, neg = self._column(whole, self._pos), self._column(whole, self._neg)
        scores = {owner: float(pos[row] - neg[row]) for row, owner in enumerate(long_comments)}
        probas = {owner: whole[row : row + 1] for row, owner in enumerate(long_comments)}
        return scores, probas

    def _blend(
        self, sent_p: NDArray[np.float64], compound: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Each segment's score (P(pos) - P(neg)) and neutral probability, model
        and lexicon blended.

        The model's share shrinks when it is unsure (far from the support
        sentences it was trained on) and the general-purpose lexicon fills in,
        but never below MIN_MODEL_SHARE: sarcasm ("oh great, another hour on
        hold") is exactly where the lexicon is confidently wrong. The lexicon's
        neutral probability is 1 - |compound|.
        """
        rule = self.rule
        gate = np.clip(
            (sent_p.max(axis=1) - rule.confidence_floor) / (1 - rule.confidence_floor), 0, 1
        )
        share = rule.min_model_share + (rule.model_share - rule.min_model_share) * gate
        if rule.silent_lexicon_share is not None:
            share = np.where(compound == 0.0, rule.silent_lexicon_share, share)
        p_pos, p_neg, p_neu = (self._column(sent_p, k) for k in (self._pos, self._neg, self._neu))
        seg_score = share * (p_pos - p_neg) + (1 - share) * compound
        seg_neutral = share * p_neu + (1 - share) * (1 - np.abs(compound))
        return seg_score, seg_neutral

    def _category_proba(
        self, proba: NDArray[np.float64], sent_idx: NDArray[np.intp], targets: NDArray[np.str_]
    ) -> NDArray[np.float64]:
        """Category probabilities renormalised over the categories each segment may take.

        The category must belong to the predicted target: the others are masked
        out, so "agent/praised" never comes with target "product".
        """
        allowed = self._category_target[None, :] == targets[:, None]
        # The sentence's sentiment is decided before its category, so praise never
        # becomes a complaint: a positive sentence takes its target's praise
        # category where the target has one (agent/praised, none/praise-general),
        # and a negative one never takes a praise category. A positive sentence
        # about the product or a process keeps its category and its positive
        # sentiment, which complaint counting skips. Neutral sentences are left as
        # the category head reads them.
        sentiment_of = np.asarray(self._classes["sentiment"])[sent_idx]
        praise = np.isin(np.asarray(self._classes["category"]), PRAISE_LABELS)[None, :]
        to_praise = (sentiment_of == "positive") & (allowed & praise).any(axis=1)
        allowed &= np.where(to_praise[:, None], praise, True)
        allowed &= ~((sentiment_of == "negative")[:, None] & praise)
        cat_p = proba * allowed
        cat_sum = cat_p.sum(axis=1, keepdims=True)
        shares: NDArray[np.float64] = np.divide(
            cat_p, cat_sum, out=np.zeros_like(cat_p), where=cat_sum > 0
        )
        return shares

    def _label(self, score: float, neutral: float | None, mixed: bool) -> SentimentLabel:
        """The comment's label from its score (P(pos) - P(neg) of the blend) and
        its blended neutral probability (None for a rated comment or one in a
        language outside ``probability_languages``: the band decides): with the
        three summing to 1, neutral is the most likely reading, its probability
        weighed by ``neutral_weight``, when ``3 * weight * neutral >= 1 + |score|``."""
        rule = self.rule
        if mixed:
            return "mixed"
        if rule.neutral_by == "probability" and neutral is not None:
            if score == 0 or 3 * rule.neutral_weight * neutral >= 1 + abs(score):
                return "neutral"
            return "positive" if score > 0 else "negative"
        if score >= rule.label_threshold:
            return "positive"
        if score <= -rule.label_threshold:
            return "negative"
        return "neutral"

    def _key_phrases(
        self,
        features: Any,
        sent_idx: NDArray[np.intp],
        target_idx: NDArray[np.intp],
        languages: Sequence[str],
    ) -> list[list[tuple[str, float]]]:
        """Word n-grams whose coefficient x TF-IDF value most pushed each segment's labels.

        Neutral sentiment and the ``none`` target explain nothing a manager acts
        on, so only a positive/negative verdict and a real target contribute.
        Only n-grams of the segment's own words count, so phrases are in its language.
        """
        words = features[:, self._word_slice].tocsr()
        sent_names = self._classes["sentiment"]
        target_names = self._classes["target"]
        out: list[list[tuple[str, float]]] = []
        for row in range(words.shape[0]):
            start, end = words.indptr[row], words.indptr[row + 1]
            cols = words.indices[start:end]
            if cols.size == 0:
                out.append([])
                continue
            vals = words.data[start:end].astype(np.float64)
            push = np.zeros(cols.size)
            if sent_names[sent_idx[row]] != "neutral":
                push += self._push["sentiment"][sent_idx[row], cols] * vals
            if target_names[target_idx[row]] != "none":
                push += self._push["target"][target_idx[row], cols] * vals
            function_words = _FUNCTION_WORDS_BY_LANGUAGE.get(languages[row], _FUNCTION_WORDS)
            # Function words are dropped before the cut, so "me" cannot take the
            # place of "rude".
            kept: list[tuple[str, float]] = []
            for k in np.argsort(-push):
                if push[k] <= 0 or len(kept) == MAX_KEY_PHRASES:
                    break
                phrase = str(self._vocab[cols[k]])
                if not function_words.issuperset(phrase.split()):
                    kept.append((phrase, float(push[k])))
            out.append(kept)
        return out


def _top_phrases(per_segment: Iterable[list[tuple[str, float]]]) -> list[str]:
    """A comment's key phrases: its segments' phrases by weight, at most MAX_KEY_PHRASES."""
    ranked: dict[str, float] = {}
    for phrases in per_segment:
        for phrase, weight in phrases:
            ranked[phrase] = max(ranked.get(phrase, 0.0), weight)
    ordered = sorted(ranked, key=lambda p: (-ranked[p], p))
    # Prefer "hung up" over also listing "hung" and "up".
    kept: list[str] = []
    for phrase in ordered:
        if any(phrase in k.split() or phrase in k for k in kept if " " in k):
            continue
        kept.append(phrase)
        if len(kept) == MAX_KEY_PHRASES:
            break
    return kept


_cache_lock = threading.Lock()
_cached: dict[tuple[str, str], Analyzer] = {}


def get_analyzer(model_dir: Path | str, cache_dir: Path | str | None = None) -> Analyzer:
    """The process-wide analyzer: the model is loaded once per worker (``ModelNotReady``
    while none is promoted; a later call tries again)."""
    key = (str(model_dir), str(cache_dir))
    with _cache_lock:
        if key not in _cached:
            _cached[key] = CommentAnalyzer.load(model_dir, cache_dir)
        return _cached[key]


def loaded_analyzer(model_dir: Path | str, cache_dir: Path | str | None = None) -> Analyzer | None:
    """The analyzer this process has loaded for a (model_dir, cache_dir), never building one."""
    with _cache_lock:
        return _cached.get((str(model_dir), str(cache_dir)))


def set_analyzer(model_dir: Path | str, cache_dir: Path | str | None, analyzer: Analyzer) -> None:
    """Install an analyzer for a (model_dir, cache_dir); tests use it to inject a fake."""
    with _cache_lock:
        _cached[(str(model_dir), str(cache_dir))] = analyzer


def clear_analyzer_cache() -> None:
    """Forget loaded analyzers, e.g. after promoting a new model."""
    with _cache_lock:
        _cached.clear()
