"""Split a comment into the units that carry one judgement each.

Sentences come from NLTK's ``RegexpTokenizer`` because it needs no downloaded
model (punkt data is not available offline). Customers often pack two verdicts
into one sentence ("the agent was lovely but the app still crashes"), so each
sentence is further cut at contrastive conjunctions ("but", German "aber",
Spanish "pero", ...); each piece is then scored on its own and keeps its text
as the evidence for a finding.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

from nltk.tokenize import RegexpTokenizer

from feedback_service.analysis.text.wordlists import LEXICON_LANGUAGES, lists

# A sentence runs until . ! ? or a line break; a full stop directly followed by a
# non-space ("v4.2.1", "example.com") does not end it.
_SENTENCES: Final = RegexpTokenizer(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+[.!?]*")
_WORDS: Final = RegexpTokenizer(r"[\w']+|[!?]")
_CONTRAST: Final = re.compile(
    r"\s*[,;]?\s*\b(?:but|however|although|though|whereas|except that|yet)\b[,]?\s*",
    re.IGNORECASE,
)
_MIN_CLAUSE_WORDS: Final = 2
MAX_SEGMENTS: Final = 20


@cache
def _contrast(language: str) -> re.Pattern[str]:
    if language not in LEXICON_LANGUAGES:
        return _CONTRAST
    words = sorted(lists(language).contrast, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"\s*[,;]?\s*\b(?:{alternatives})\b[,]?\s*", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.tokenize(text) if any(c.isalnum() for c in s)]


def words(text: str) -> list[str]:
    tokens: list[str] = _WORDS.tokenize(text.lower())
    return tokens


def segments(text: str, language: str = "en") -> list[str]:
    """Sentences, each cut at "but"/"however"/... (the contrast words of ``language``);
    pieces too short to judge stay joined."""
    contrast = _contrast(language)
    out: list[str] = []
    for sentence in sentences(text):
        pieces = [p.strip(" ,;-") for p in contrast.split(sentence)]
        merged: list[str] = []
        for piece in pieces:
            if not piece:
                continue
            too_short = min(len(piece.split()), len(merged[-1].split()) if merged else 99)
            if merged and too_short < _MIN_CLAUSE_WORDS:
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        out.extend(merged or [sentence])
    # A pasted essay should not cost the worker unbounded time; the first
    # sentences carry the verdict in practice.
    return out[:MAX_SEGMENTS]
