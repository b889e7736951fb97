"""Lexicon scores and support-domain cue counts, as model features.

English text is scored with VADER plus the opinion words VADER lacks
(``lexicon_en.txt``: "slow", "polite", "overpriced", ...; ``english()``), while
``vader_scores`` stays plain VADER for baselines; German and Spanish text with the
hand-written word lists of ``wordlists.py`` scored the way VADER scores English
(valences summed with negation flipped and intensifiers added, squashed to
-1..1), so the same feature columns mean the same thing in every language.
Which list a sentence gets is decided by ``text_language`` on the sentence
itself, the same way at training and at prediction time.

NLTK 3.10 reads the VADER lexicon only from an NLTK data directory and nothing
may be downloaded at run time, so the lexicon file shipped inside the
``vaderSentiment`` package is packed into ``<cache_dir>/sentiment/vader_lexicon.zip``
and that directory is put on ``nltk.data.path``.
"""

from __future__ import annotations

import copy
import math
import os
import re
import tempfile
import threading
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin

from feedback_service.analysis.text.language import detect_language
from feedback_service.analysis.text.segment import words
from feedback_service.analysis.text.wordlists import LEXICON_LANGUAGES, LanguageLists, lists

LEXICON_RESOURCE: Final = "sentiment/vader_lexicon.zip/vader_lexicon/vader_lexicon.txt"
_ENV_CACHE_DIR: Final = "FEEDBACK_NLTK_CACHE_DIR"

_lock = threading.Lock()
_analyzer: Any = None
_english: Any = None
_ENGLISH_EXTRA: Final = Path(__file__).with_name("lexicon_en.txt")
_cache_dir: Path | None = None


def default_cache_dir() -> Path:
    configured = os.environ.get(_ENV_CACHE_DIR)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"feedback-service-nltk-{os.getuid()}"


def build_nltk_data_dir(cache_dir: Path) -> Path:
    """Create ``cache_dir/sentiment/vader_lexicon.zip`` from the vaderSentiment copy."""
    import vaderSentiment

    source = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    target = cache_dir / "sentiment" / "vader_lexicon.zip"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written under a unique name then renamed, so concurrent workers never
        # read a half-written zip.
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        os.close(fd)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(source, "vader_lexicon/vader_lexicon.txt")
        os.replace(tmp, target)
    return cache_dir


def configure(cache_dir: Path | str | None = None) -> None:
    """Choose where the NLTK data directory lives; call before the first score."""
    global _analyzer, _english, _cache_dir
    with _lock:
        if cache_dir is None and _cache_dir is not None:
            # "No preference" must not undo a directory the process chose earlier.
            return
        new_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        if new_dir != _cache_dir:
            _cache_dir = new_dir
            _analyzer = _english = None
            _vader_cached.cache_clear()
            _english_cached.cache_clear()


def vader() -> Any:
    """NLTK's SentimentIntensityAnalyzer, built once per process."""
    global _analyzer, _cache_dir
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                import nltk
                from nltk.sentiment.vader import SentimentIntensityAnalyzer

                data_dir = str(build_nltk_data_dir(_cache_dir or default_cache_dir()))
                if data_dir not in nltk.data.path:
                    nltk.data.path.insert(0, data_dir)
                _analyzer = SentimentIntensityAnalyzer(lexicon_file=LEXICON_RESOURCE)
    return _analyzer


@lru_cache(maxsize=1)
def english_extra() -> dict[str, float]:
    """The hand-written valences of ``lexicon_en.txt``: opinion words VADER lacks."""
    valences: dict[str, float] = {}
    for line in _ENGLISH_EXTRA.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        value, _, names = line.partition(":")
        valences.update(dict.fromkeys(names.split(), float(value)))
    return valences


def english() -> Any:
    """VADER with ``english_extra`` added (VADER's own valence wins), built once.

    VADER misses plain verdict words of support feedback ("slow", "polite",
    "reliable", "overpriced", "unhelpful"), so a sentence made of them scored 0
    and read as neutral. ``vader()`` stays plain VADER for the baselines.
    """
    global _english
    if _english is None:
        base = vader()
        with _lock:
            if _english is None:
                extended = copy.copy(base)
                extended.lexicon = {**english_extra(), **base.lexicon}
                _english = extended
    return _english


@lru_cache(maxsize=200_000)
def _vader_cached(text: str) -> tuple[float, float, float, float]:
    s = vader().polarity_scores(text)
    return s["neg"], s["neu"], s["pos"], s["compound"]


@lru_cache(maxsize=200_000)
def _english_cached(text: str) -> tuple[float, float, float, float]:
    s = english().polarity_scores(text)
    return s["neg"], s["neu"], s["pos"], s["compound"]


def vader_scores(text: str) -> tuple[float, float, float, float]:
    """(neg, neu, pos, compound); cached because survey comments repeat a lot ("thanks!")."""
    return _vader_cached(text)


def english_scores(text: str) -> tuple[float, float, float, float]:
    """Like ``vader_scores``, with the words of ``lexicon_en.txt`` known too."""
    return _english_cached(text)


def vader_compound(text: str) -> float:
    return vader_scores(text)[3]


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEGATIONS: Final = _wordset(
    "not no never nothing nobody none nowhere neither nor without cannot cant dont didnt "
    "doesnt isnt wasnt wont couldnt wouldnt havent hasnt still"
)
_INTENSIFIERS: Final = _wordset(
    "very really so extremely super totally absolutely completely incredibly ridiculously "
    "utterly way too such literally seriously honestly"
)

# Who or what a sentence talks about. Counted as features so the model can
# generalise beyond the exact words of the seed sentences.
CUES: Final[dict[str, frozenset[str]]] = {
    "agent": _wordset(
        "agent agents rep reps representative he she him her his guy lady man woman girl "
        "person staff employee advisor adviser tech technician engineer operator colleague "
        "consultant specialist supervisor manager someone whoever they attitude polite "
        "rude friendly patient kind knowledgeable explained listened"
    ),
    "product": _wordset(
        "app application website site software page screen button feature update version "
        "login password account crash crashes crashed crashing bug bugs error broken freeze "
        "freezes router device phone laptop product price prices plan expensive cheap "
        "subscription interface design signal speed slow lag loading battery data"
    ),
    "process": _wordset(
        "wait waited waiting hold queue transferred transfer transfers department policy "
        "policies refund refunds return returns delivery delivered parcel package courier "
        "shipping shipped tracking invoice bill billed billing charged charge payment fee "
        "fees contract cancel cancelled appointment days weeks hours minutes"
    ),
    "praise": _wordset(
        "thanks thank thx ty great excellent amazing brilliant perfect superb awesome "
        "lovely happy pleased appreciated recommend star stars legend"
    ),
}

_CAPS: Final = re.compile(r"\b[A-Z]{3,}\b")
N_LEXICON_FEATURES: Final = 10 + len(CUES)
# Revision 2 adds the flipped VADER valence of negated words and stops counting
# every word ending in "nt" ("agent", "excellent", "restaurant") as a negation.
# Revision 3 scores German and Spanish sentences with their own word lists
# (polarity, negators, intensifiers, cues) in a parallel block of columns, plus
# one column per non-English language. English rows fill the first block and
# leave the parallel one at 0, German and Spanish rows the other way round, so
# what the model learns about VADER's scale and the English cue words still
# comes from English sentences alone (sharing the columns cost the English
# sets about 0.01 macro-F1). A model pickled at revision 1 or 2 keeps its
# columns and English-only scoring.
# Revision 4 scores English with ``english()``: VADER plus the opinion words of
# ``lexicon_en.txt`` it lacks; a model pickled before keeps plain VADER.
LEXICON_REVISION: Final = 4
_ENGLISH_BLOCK: Final = N_LEXICON_FEATURES + 1
N_LEXICON_FEATURES_BY_REVISION: Final = {
    1: N_LEXICON_FEATURES,
    2: _ENGLISH_BLOCK,
    3: 2 * _ENGLISH_BLOCK + len(LEXICON_LANGUAGES),
    4: 2 * _ENGLISH_BLOCK + len(LEXICON_LANGUAGES),
}

# Negation scope: the few words after "not"/"never"/"no"/"n't" up to punctuation
# or a contrast word. "no problem", "couldn't be happier", "never disappoints":
# the word after the negation means the opposite of what it says alone.
_SCOPE_TOKENS: Final = re.compile(r"[\w']+|[.,;:!?()]")
_SCOPE_WORDS: Final = _wordset(
    "not no never nothing nobody none nowhere neither nor without cannot cant dont didnt "
    "doesnt isnt wasnt wont couldnt wouldnt havent hasnt hadnt arent werent shouldnt aint "
    "hardly barely"
)
_SCOPE_BREAK: Final = _wordset("but however although though yet whereas except")
SCOPE_LENGTH: Final = 3


def _is_negation(token: str) -> bool:
    return token.endswith("n't") or token.replace("'", "") in _SCOPE_WORDS


@lru_cache(maxsize=100_000)
def text_language(text: str) -> str:
    """Which lexicon scores ``text``: "de" or "es" when detected, English otherwise."""
    language = detect_language(text).language
    return language if language in LEXICON_LANGUAGES else "en"


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "_"


def negated_words(text: str, language: str = "en") -> list[str]:
    """Words inside a negation's scope, e.g. "no problem at all" -> ["problem", "at", "all"].

    German "nicht" often follows what it negates ("das klappt nicht"): a German
    negation with no word after it in its clause takes the two words before it.
    """
    if language not in LEXICON_LANGUAGES:
        return _negated_words_en(text)
    table = lists(language)
    out: list[str] = []
    left = 0
    clause: list[str] = []
    last_was_negation = False
    for token in [*_SCOPE_TOKENS.findall(text.lower()), "."]:
        folded = table.fold(token)
        if not _is_word(token) or folded in table.scope_breaks:
            if last_was_negation and table.negates_backwards:
                out.extend(clause[-2:])
            left, clause, last_was_negation = 0, [], False
        elif folded in table.negators:
            left, last_was_negation = SCOPE_LENGTH, True
        else:
            last_was_negation = False
            if left:
                out.append(token)
                left -= 1
            else:
                clause.append(token)
    return out


def _negated_words_en(text: str) -> list[str]:
    out: list[str] = []
    left = 0
    for token in _SCOPE_TOKENS.findall(text.lower()):
        if (not token[0].isalnum() and token[0] != "_") or token in _SCOPE_BREAK:
            left = 0
        elif _is_negation(token):
            left = SCOPE_LENGTH
        elif left:
            out.append(token.replace("'", ""))
            left -= 1
    return out


def negated_terms(text: str) -> list[str]:
    """Analyzer for the negation-scope vectorizer: each scoped word as ``neg_<word>``.

    English scope only: the analyzer of models pickled before feature revision 3.
    """
    return [f"neg_{w}" for w in _negated_words_en(text)]


def negated_terms_by_language(text: str) -> list[str]:
    """Like ``negated_terms`` with the negation words and scope of the text's language,
    German and Spanish terms tagged with it (``neg_de_gut``)."""
    language = text_language(text)
    prefix = "neg_" if language == "en" else f"neg_{language}_"
    return [prefix + w for w in negated_words(text, language)]


def _negated_valence(text: str, language: str = "en", extended: bool = True) -> float:
    """Minus the summed valence of negated words, squashed to -1..1 (``extended``:
    English words valued by ``english()``, else by plain VADER as before revision 4)."""
    if language in LEXICON_LANGUAGES:
        table = lists(language)
        words_in_scope = negated_words(text, language)
        total = -sum(table.polarity.get(table.fold(w)) or 0.0 for w in words_in_scope)
    else:
        valence = (english() if extended else vader()).lexicon
        total = -sum(float(valence.get(w, 0.0)) for w in _negated_words_en(text))
    return float(np.tanh(total / 3.0))


# VADER's constants, so a German "gut" and an English "good" land on one scale.
_NEGATION_SCALAR: Final = -0.74
_NORMALISE_ALPHA: Final = 15.0
_EXCLAMATION_BOOST: Final = 0.292


def _list_valences(text: str, table: LanguageLists) -> list[float]:
    """One valence per word, VADER-style: intensifier added, negation flips."""
    valences: list[float] = []
    negated: set[int] = set()
    left = 0
    boost = 0.0
    clause: list[int] = []
    last_was_negation = False
    contrast_at: int | None = None
    for token in [*_SCOPE_TOKENS.findall(text.lower()), "."]:
        folded = table.fold(token)
        if not _is_word(token) or folded in table.scope_breaks:
            if last_was_negation and table.negates_backwards:
                negated.update(clause[-2:])
            if _is_word(token) and contrast_at is None and folded in table.contrast:
                contrast_at = len(valences)
            left, boost, clause, last_was_negation = 0, 0.0, [], False
            continue
        if folded in table.negators:
            left, last_was_negation = SCOPE_LENGTH, True
            valences.append(0.0)
            continue
        last_was_negation = False
        extra = table.intensifiers.get(folded)
        if extra is not None:
            boost += extra
            valences.append(0.0)
            continue
        value = table.polarity.get(folded) or 0.0
        if value and boost:
            value += math.copysign(boost, value)
        boost = 0.0
        if left:
            negated.add(len(valences))
            left -= 1
        else:
            clause.append(len(valences))
        valences.append(value)
    for i in negated:
        valences[i] *= _NEGATION_SCALAR
    if contrast_at is not None:
        # Like VADER's "but": what follows the contrast word counts more.
        valences = [v * (0.5 if i < contrast_at else 1.5) for i, v in enumerate(valences)]
    return valences


@lru_cache(maxsize=200_000)
def list_scores(text: str, language: str) -> tuple[float, float, float, float]:
    """(neg, neu, pos, compound) from the word lists of ``language``, like ``vader_scores``."""
    valences = _list_valences(text, lists(language))
    total = sum(valences)
    if total:
        total += math.copysign(min(text.count("!"), 4) * _EXCLAMATION_BOOST, total)
    compound = total / math.sqrt(total * total + _NORMALISE_ALPHA)
    pos = sum(v + 1 for v in valences if v > 0)
    neg = sum(1 - v for v in valences if v < 0)
    neu = sum(1 for v in valences if v == 0)
    mass = pos + neg + neu
    if not mass:
        return 0.0, 0.0, 0.0, 0.0
    return neg / mass, neu / mass, pos / mass, compound


def sentiment_scores(text: str, language: str) -> tuple[float, float, float, float]:
    """(neg, neu, pos, compound) with the lexicon of ``language`` (VADER for English)."""
    if language in LEXICON_LANGUAGES:
        return list_scores(text, language)
    return english_scores(text)


def compound_score(text: str, language: str) -> float:
    return sentiment_scores(text, language)[3]


def _list_row(text: str) -> list[float] | None:
    """Revision-3 row for a German or Spanish sentence (its own block); None for English."""
    language = text_language(text)
    if language not in LEXICON_LANGUAGES:
        return None
    table = lists(language)
    neg, neu, pos, compound = list_scores(text, language)
    tokens = [table.fold(t) for t in words(text) if t not in "!?"]
    n = max(len(tokens), 1)
    negations = sum(1 for t in tokens if t in table.negators)
    intensifiers = sum(1 for t in tokens if (table.intensifiers.get(t) or 0.0) > 0)
    row = _count_columns((neg, neu, pos, compound), negations, intensifiers, text, n)
    for name, english in CUES.items():
        own = table.cues.get(name)
        hits = sum(1 for t in tokens if t in english or (own is not None and t in own))
        row.append(min(hits, 3) / 3.0)
    row.append(_negated_valence(text, language))
    languages = [1.0 if language == other else 0.0 for other in LEXICON_LANGUAGES]
    return [0.0] * _ENGLISH_BLOCK + languages + row
    return row


def _count_columns(
    scores: tuple[float, float, float, float],
    negations: int,
    intensifiers: int,
    text: str,
    n: int,
) -> list[float]:
    """The lexicon block's first ten columns, shared by every language: the four
    lexicon scores, then counts capped at 3 (length at 30) and scaled to 0..1."""
    return [
        *scores,
        min(negations, 3) / 3.0,
        min(intensifiers, 3) / 3.0,
        min(text.count("!"), 3) / 3.0,
        min(text.count("?"), 3) / 3.0,
        min(len(_CAPS.findall(text)), 3) / 3.0,
        min(n, 30) / 30.0,
    ]


def lexicon_row(text: str, revision: int = LEXICON_REVISION) -> list[float]:
    if revision >= 3:
        row = _list_row(text)
        if row is not None:
            return row
    extended = revision >= 4
    neg, neu, pos, compound = english_scores(text) if extended else vader_scores(text)
    raw = words(text)
    tokens = [t.replace("'", "") for t in raw]
    n = max(len(tokens), 1)
    if revision >= 2:
        negations = sum(1 for t in raw if _is_negation(t))
    else:
        negations = sum(1 for t in tokens if t in _NEGATIONS or t.endswith("nt"))
    intensifiers = sum(1 for t in tokens if t in _INTENSIFIERS)
    row = _count_columns((neg, neu, pos, compound), negations, intensifiers, text, n)
    row.extend(min(sum(1 for t in tokens if t in cue), 3) / 3.0 for cue in CUES.values())
    if revision >= 2:
        row.append(_negated_valence(text, "en", extended))
    if revision >= 3:
        row.extend(0.0 for _ in range(len(LEXICON_LANGUAGES) + _ENGLISH_BLOCK))
    return row


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Lexicon scores, negation/intensifier counts and domain cues, as a sparse block.

    Stateless: it holds no reference to the analyzer, so a pickled model stays
    small and loads in any process whatever its cache dir. ``fit`` records the
    feature revision, so a model pickled before a revision keeps getting the
    columns it was trained on.
    """

    def fit(self, texts: Any, y: Any = None) -> LexiconFeatures:
        self.revision_ = LEXICON_REVISION
        return self

    def transform(self, texts: Any) -> sp.csr_matrix:
        revision = int(getattr(self, "revision_", 1))
        rows: NDArray[np.float64] = np.array(
            [lexicon_row(t, revision) for t in texts], dtype=np.float64
        )
        if rows.size == 0:
            rows = np.zeros((0, N_LEXICON_FEATURES_BY_REVISION[revision]))
        return sp.csr_matrix(rows)

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.str_]:
        names = [
            "vader_neg",
            "vader_neu",
            "vader_pos",
            "vader_compound",
            "negations",
            "intensifiers",
            "exclamations",
            "questions",
            "shouting",
            "length",
        ] + [f"cue_{name}" for name in CUES]
        revision = int(getattr(self, "revision_", 1))
        if revision >= 2:
            names.append("negated_valence")
        if revision >= 3:
            english_block = list(names)
            names.extend(f"language_{language}" for language in LEXICON_LANGUAGES)
            names.extend(f"lists_{name.removeprefix('vader_')}" for name in english_block)
        return np.array(names, dtype=str)
