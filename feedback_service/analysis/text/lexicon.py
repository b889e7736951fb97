"""VADER lexicon scores and support-domain cue counts, as model features.

NLTK 3.10 reads the VADER lexicon only from an NLTK data directory and nothing
may be downloaded at run time, so the lexicon file shipped inside the
``vaderSentiment`` package is packed into ``<cache_dir>/sentiment/vader_lexicon.zip``
and that directory is put on ``nltk.data.path``.
"""

from __future__ import annotations

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

from feedback_service.analysis.text.segment import words

LEXICON_RESOURCE: Final = "sentiment/vader_lexicon.zip/vader_lexicon/vader_lexicon.txt"
_ENV_CACHE_DIR: Final = "FEEDBACK_NLTK_CACHE_DIR"

_lock = threading.Lock()
_analyzer: Any = None
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
    global _analyzer, _cache_dir
    with _lock:
        if cache_dir is None and _cache_dir is not None:
            # "No preference" must not undo a directory the process chose earlier.
            return
        new_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        if new_dir != _cache_dir:
            _cache_dir = new_dir
            _analyzer = None
            _vader_cached.cache_clear()


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


@lru_cache(maxsize=200_000)
def _vader_cached(text: str) -> tuple[float, float, float, float]:
    s = vader().polarity_scores(text)
    return s["neg"], s["neu"], s["pos"], s["compound"]


def vader_scores(text: str) -> tuple[float, float, float, float]:
    """(neg, neu, pos, compound); cached because survey comments repeat a lot ("thanks!")."""
    return _vader_cached(text)


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
LEXICON_REVISION: Final = 2
N_LEXICON_FEATURES_BY_REVISION: Final = {1: N_LEXICON_FEATURES, 2: N_LEXICON_FEATURES + 1}

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


def negated_words(text: str) -> list[str]:
    """Words inside a negation's scope, e.g. "no problem at all" -> ["problem", "at", "all"]."""
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
    """Analyzer for the negation-scope vectorizer: each scoped word as ``neg_<word>``."""
    return [f"neg_{w}" for w in negated_words(text)]


def _negated_valence(text: str) -> float:
    """Minus the summed VADER valence of negated words, squashed to -1..1."""
    valence = vader().lexicon
    total = -sum(float(valence.get(w, 0.0)) for w in negated_words(text))
    return float(np.tanh(total / 3.0))


def lexicon_row(text: str, revision: int = LEXICON_REVISION) -> list[float]:
    neg, neu, pos, compound = vader_scores(text)
    raw = words(text)
    tokens = [t.replace("'", "") for t in raw]
    n = max(len(tokens), 1)
    if revision >= 2:
        negations = sum(1 for t in raw if _is_negation(t))
    else:
        negations = sum(1 for t in tokens if t in _NEGATIONS or t.endswith("nt"))
    intensifiers = sum(1 for t in tokens if t in _INTENSIFIERS)
    row = [
        neg,
        neu,
        pos,
        compound,
        min(negations, 3) / 3.0,
        min(intensifiers, 3) / 3.0,
        min(text.count("!"), 3) / 3.0,
        min(text.count("?"), 3) / 3.0,
        min(len(_CAPS.findall(text)), 3) / 3.0,
        min(n, 30) / 30.0,
    ]
    row.extend(min(sum(1 for t in tokens if t in cue), 3) / 3.0 for cue in CUES.values())
    if revision >= 2:
        row.append(_negated_valence(text))
    return row


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """VADER scores, negation/intensifier counts and domain cues, as a sparse block.

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
        if int(getattr(self, "revision_", 1)) >= 2:
            names.append("negated_valence")
        return np.array(names, dtype=str)
