"""Theme names: each theme's most representative phrase.

Pure text code used by ``themes.find_product_gaps``. Candidates are 2-6 word
spans of a theme's sentences with no stop word at either end (stop words of
every language the detector knows); each is scored by the share of the theme's
comments whose stems contain it, times how specific it is to this theme against
the others. When no phrase covers ``MIN_NAME_COVERAGE`` of a theme, its most
typical sentence is shortened instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

_APOSTROPHES: Final = "'\u2019"
_WORD: Final = re.compile(rf"[^\W_]+(?:[{_APOSTROPHES}][^\W_]+)*")
# Clause breaks: a phrase never runs across punctuation or a spaced dash.
_CLAUSE: Final = re.compile(
    r"[,.;:!?()\[\]{}\"\u201c\u201d\u00ab\u00bb\u2026/|]+|\s[-\u2013\u2014]+\s"
)
_SUFFIXES: Final = ("ing", "ed", "es", "s")
MIN_NAME_COVERAGE: Final = 0.2  # a phrase must be in at least this share of the theme
MERGE_NAME_COVERAGE: Final = 0.4  # one theme's name in this share of another: one theme
MAX_NAME_WORDS: Final = 6
_Token = tuple[str, str, bool]  # (surface, stem, stop word)


@lru_cache(maxsize=1)
def theme_stop_words() -> frozenset[str]:
    """Function words of every language the detector knows, plus scikit-learn's English list.

    Themes are built over English, German and Spanish sentences alike, so a
    phrase never starts or ends with "the", "der" or "los", and the vectoriser
    drops all of them. Words are also split as the vectoriser splits them
    ("don't" -> "don"), so its stop list is consistent with its tokens.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from feedback_service.analysis.text.language import _STOPWORDS

    words = set(ENGLISH_STOP_WORDS)
    for listed in _STOPWORDS.values():
        words.update(listed.split())
    split = {part for w in words for part in re.findall(r"(?u)\b\w\w+\b", w)}
    return frozenset(words | split)


def _stem(word: str) -> str:
    """A lemma-ish key: "crashes", "crashing" and "crashed" all give "crash".

    Language-neutral on purpose (a common suffix off, then the first five
    letters), so "Rechnung"/"Rechnungen" and "factura"/"facturas" match too; a
    rare collision only makes two phrases count as one.
    """
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:5]


def _surface(word: str, initial: bool) -> str:
    """The word as a name shows it: as written ("PDF", "Rechnung", "iPhone"),
    except that the capital of a sentence's first word is dropped."""
    lower = word.lower()
    if lower == "i" or lower.startswith(("i'", "i\u2019")):
        return "I" + lower[1:]  # "I", "I'm", "I've"
    if initial and word[:1].isupper() and word[1:] == word[1:].lower():
        return lower
    return word


@dataclass(frozen=True, slots=True)
class ParsedSentence:
    clauses: tuple[tuple[_Token, ...], ...]
    stems: frozenset[str]  # of the content words


def _parse(text: str, stop: frozenset[str]) -> ParsedSentence:
    clauses: list[tuple[_Token, ...]] = []
    stems: set[str] = set()
    initial = True
    for clause in _CLAUSE.split(text):
        run: list[_Token] = []
        for word in _WORD.findall(clause):
            lower = word.lower().replace("\u2019", "'")
            if len(lower) >= 4 and any(ch.isdigit() for ch in lower):
                # An order or ticket number: nothing a theme is about, and a break.
                if run:
                    clauses.append(tuple(run))
                run = []
                continue
            is_stop = lower in stop or len(lower) < 2
            stem = _stem(lower)
            run.append((_surface(word, initial), stem, is_stop))
            initial = False
            if not is_stop:
                stems.add(stem)
        if run:
            clauses.append(tuple(run))
    return ParsedSentence(tuple(clauses), frozenset(stems))


def _spans(parsed: ParsedSentence) -> dict[frozenset[str], str]:
    """Every 2-6 word span with a content word at both ends: content stems -> words."""
    out: dict[frozenset[str], str] = {}
    for clause in parsed.clauses:
        for i, (_, _, stop_i) in enumerate(clause):
            if stop_i:
                continue
            for j in range(i + 1, min(i + MAX_NAME_WORDS, len(clause))):
                if clause[j][2]:
                    continue
                span = clause[i : j + 1]
                key = frozenset(s for _, s, st in span if not st)
                out.setdefault(key, " ".join(w for w, _, _ in span))
    return out


def _shorten(parsed: ParsedSentence, max_words: int = 8) -> str:
    """The first clause with two content words, without stop words at either end."""
    for clause in parsed.clauses:
        if sum(not st for _, _, st in clause) < 2:
            continue
        words = list(clause)
        while words and words[0][2]:
            words.pop(0)
        words = words[:max_words]
        while words and words[-1][2]:
            words.pop()
        return " ".join(w for w, _, _ in words)
    return ""


@dataclass(frozen=True, slots=True)
class ThemeLabel:
    name: str
    key: frozenset[str]  # content stems of the phrase; empty for a shortened sentence
    alternatives: tuple[tuple[str, frozenset[str]], ...]  # next best phrases, best first
    cover: tuple[float, ...] = ()  # share of each theme's comments the phrase covers


@dataclass(slots=True)
class _Candidates:
    """Candidate phrases of every theme, from the sampled sentences."""

    stem_index: dict[str, int] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)  # (draw, stem) pairs: a draw's stems
    cols: list[int] = field(default_factory=list)
    keys: list[frozenset[str]] = field(default_factory=list)
    index: dict[frozenset[str], int] = field(default_factory=dict)
    own: list[list[int]] = field(default_factory=list)  # per theme: its candidates
    surfaces: list[dict[frozenset[str], Counter[str]]] = field(default_factory=list)
    draws: int = 0


def _draw(
    members: Sequence[tuple[NDArray[np.int64], NDArray[np.float64]]],
    sample: int,
    rng: np.random.Generator,
) -> tuple[list[NDArray[np.int64]], list[float]]:
    """A bounded sample of each theme's comments (drawn by count), and its weight."""
    draws: list[NDArray[np.int64]] = []
    draw_weight: list[float] = []
    for codes_, counts in members:
        size = int(min(sample, counts.sum()))
        drawn = rng.choice(codes_, size=size, replace=True, p=counts / counts.sum())
        draws.append(drawn)
        draw_weight.append(float(counts.sum()) / size)
    return draws, draw_weight


def _gather(
    draws: Sequence[NDArray[np.int64]],
    parse: Callable[[int], ParsedSentence],
    max_candidates: int,
) -> _Candidates:
    found = _Candidates()
    spans: dict[int, dict[frozenset[str], str]] = {}
    for drawn in draws:
        seen: Counter[frozenset[str]] = Counter()
        forms: dict[frozenset[str], Counter[str]] = {}
        for code in drawn.tolist():
            p = parse(int(code))
            for stem in p.stems:
                found.rows.append(found.draws)
                found.cols.append(found.stem_index.setdefault(stem, len(found.stem_index)))
            if code not in spans:
                spans[code] = _spans(p)
            for key, words in spans[code].items():
                seen[key] += 1
                forms.setdefault(key, Counter())[words] += 1
            found.draws += 1
        floor = 2 if len(drawn) >= 10 else 1
        mine = []
        for key, n in seen.most_common(max_candidates):
            if n < floor:
                break
            mine.append(found.index.setdefault(key, len(found.index)))
            if len(found.keys) < len(found.index):
                found.keys.append(key)
        found.own.append(mine)
        found.surfaces.append(forms)
    return found


def _covered(
    found: _Candidates, draws: Sequence[NDArray[np.int64]], draw_weight: Sequence[float]
) -> NDArray[np.float64]:
    """Expected comments per (theme, candidate) whose content words hold the phrase's."""
    if not found.keys:
        return np.zeros((len(draws), 0))
    d = sp.csr_matrix(
        (np.ones(len(found.rows), dtype=np.float32), (found.rows, found.cols)),
        shape=(found.draws, len(found.stem_index)),
    )
    c_rows = [i for i, key in enumerate(found.keys) for _ in key]
    c_cols = [found.stem_index[s] for key in found.keys for s in key]
    c = sp.csr_matrix(
        (np.ones(len(c_rows), dtype=np.float32), (c_rows, c_cols)),
        shape=(len(found.keys), len(found.stem_index)),
    )
    need = np.array([len(key) for key in found.keys], dtype=np.float32)
    matched = sp.csr_matrix(d @ c.T)
    matched.data = (matched.data >= need[matched.indices]).astype(np.float32)
    owner = np.repeat(np.arange(len(draws)), [len(x) for x in draws])
    w = sp.csr_matrix(
        (np.asarray(draw_weight)[owner], (owner, np.arange(found.draws))),
        shape=(len(draws), found.draws),
    )
    return np.asarray((w @ matched).todense())


def _ranked(
    t: int, total: float, found: _Candidates, covered: NDArray[np.float64]
) -> list[tuple[float, str, frozenset[str]]]:
    """Theme ``t``'s phrases that cover enough of it, best first."""
    everywhere = covered.sum(axis=0)
    ranked: list[tuple[float, str, frozenset[str]]] = []
    for k in found.own[t]:
        coverage = covered[t, k] / total
        if coverage < MIN_NAME_COVERAGE:
            continue
        specificity = covered[t, k] / everywhere[k] if everywhere[k] else 0.0
        key = found.keys[k]
        score = coverage * specificity * (1.0 + 0.15 * (len(key) - 1))
        words = found.surfaces[t][key].most_common(1)[0][0]
        ranked.append((score, words, key))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return ranked


def label_themes(
    members: Sequence[tuple[NDArray[np.int64], NDArray[np.float64]]],
    typical: Sequence[int],
    texts: Sequence[str],
    parsed: dict[int, ParsedSentence],
    stop: frozenset[str],
    rng: np.random.Generator,
    *,
    sample: int,
    max_candidates: int = 40,
) -> list[ThemeLabel]:
    """Each theme's most representative phrase, scored against the other themes.

    ``members[t]`` is (distinct sentence codes, comment counts) of theme ``t``.
    A bounded sample of each theme's comments (drawn by count) gives the
    candidate phrases: contiguous 2-6 word spans with no stop word at either
    end. A phrase scores ``coverage x specificity``: the share of the theme's
    comments whose content words include the phrase's (by stem, in any order,
    so "PDF export" supports "export to PDF"), times the share of all comments
    containing it that are in this theme, so boilerplate every theme shares
    ("third time this month") scores low. Longer phrases get a small bonus, as
    they read better. Below ``MIN_NAME_COVERAGE`` the theme is named by its
    most typical sentence, shortened.
    """

    def parse(code: int) -> ParsedSentence:
        if code not in parsed:
            parsed[code] = _parse(texts[code], stop)
        return parsed[code]

    draws, draw_weight = _draw(members, sample, rng)
    found = _gather(draws, parse, max_candidates)
    covered = _covered(found, draws, draw_weight)
    sizes = np.array([float(counts.sum()) for _, counts in members])
    labels: list[ThemeLabel] = []
    for t, (_codes, counts) in enumerate(members):
        ranked = _ranked(t, float(counts.sum()), found, covered)
        options = [(n, key) for _, n, key in ranked]
        options.append((_shorten(parse(typical[t])), frozenset()))
        cover: tuple[float, ...] = ()
        if ranked:
            k = found.index[ranked[0][2]]
            cover = tuple((covered[:, k] / sizes).tolist())
        labels.append(ThemeLabel(options[0][0], options[0][1], tuple(options[1:]), cover))
    return labels
