"""German and Spanish text helpers: social-media noise and German compounds.

Two things English does not need from us (VADER and the English seed handle
them their own way), kept here so the shared model code only calls a hook:

* ``model_text``: what the model reads of a German or Spanish comment. Web
  addresses, ``@mentions``, a retweet's ``RT @name:`` and a byte-order mark
  say nothing about how the writer feels and are dropped; a hashtag keeps its
  word ("#Verspätung" reads as "Verspätung"). English text is returned as it
  is, so English features do not move.
* ``german_lookup``: a German word's valence when the word list has only its
  parts. German writes compounds as one word and the last part carries the
  meaning ("Zugausfall" is an "Ausfall", "Kundenservice" a "Service"), so a
  word the list does not know is looked up by its longest known tail. An entry
  ending in ``*`` matches a longer word only when what follows is an ending
  ("freundlich*": "freundliche", "Freundlichkeit") - "schnell*" must not make
  "Schnellzug" praise, nor "schön*" the place name "Schönefeld" - unless the
  entry is so strong that it colours any compound it starts ("Katastrophen-").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

_URL: Final = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![@\w.-])[\w-]+(?:\.[\w-]+)*\.(?:de|at|ch|com|net|org|eu|info|es|mx|ar|cl|co|pe|io)(?:/\S*)?\b",
    re.IGNORECASE,
)
_RETWEET: Final = re.compile(r"^\s*RT\s+@\w+:?\s*")
_MENTION: Final = re.compile(r"(?<![\w.])@\w+:?")
_HASHTAG: Final = re.compile(r"#(?=\w)")
_SPACES: Final = re.compile(r"[ \t]{2,}")
# One cheap search first: most comments hold none of these, and language
# detection runs on every comment.
_MARKS: Final = frozenset("@#./\ufeff")
_MAYBE_SOCIAL: Final = re.compile(
    r"[@#\ufeff]|://|www\.|\.(?:de|at|ch|com|net|org|eu|info|es|mx|ar|cl|co|pe|io)\b",
    re.IGNORECASE,
)


def strip_social(text: str) -> str:
    """``text`` without web addresses, @mentions, retweet marks and hashtag signs."""
    if _MARKS.isdisjoint(text) or not _MAYBE_SOCIAL.search(text):
        return text
    out = _RETWEET.sub("", text.replace("\ufeff", ""))
    out = _URL.sub(" ", out)
    out = _MENTION.sub(" ", out)
    out = _HASHTAG.sub("", out)
    return _SPACES.sub(" ", out).strip()


def model_text(text: str, language: str) -> str:
    """What the model's features read of ``text`` in ``language`` (English: unchanged)."""
    if language in ("de", "es"):
        return strip_social(text)
    return text


def content_words(tokens: list[str], language: str) -> list[str]:
    """``tokens`` without the function words of ``language`` ("ist", "mal", "es").

    Alone they say nothing about a verdict, yet a model learns one for them from
    whichever sentences happened to use them (German "ist" came out a complaint
    word); in word pairs ("ist gut", "nicht mal") they stay.
    """
    from feedback_service.analysis.text.wordlists import lists

    function_words = lists(language).function_words
    return [t for t in tokens if t not in function_words]


# What may follow a "word*" entry's stem and still be the same word: endings of
# inflection ("-e", "-en", "-er", "-st"), comparison ("-er", "-sten") and the
# suffixes that make a noun or adjective of it ("-ung", "-keit", "-lich").
_BASES: Final = ("", "ung", "heit", "keit", "lich", "ig", "isch", "er", "st", "ler", "bar", "end")
_INFLECTIONS: Final = ("", "e", "en", "er", "es", "em", "n", "s", "t", "te", "ten", "ter", "tes")
ENDINGS: Final = frozenset(base + ending for base in _BASES for ending in _INFLECTIONS)
# A stem at least this strong colours any compound it begins ("Horrorfahrt").
STRONG_STEM: Final = 2.8
# Shortest part of a compound that is looked up, and shortest part left before it.
MIN_HEAD: Final = 5
MIN_MODIFIER: Final = 3
# Words that end like a word-list entry but are not compounds of it
# ("Abenteuer" and "Steuer" are not "teuer").
NOT_COMPOUNDS: Final = ("steuer", "abenteuer", "ungeheuer")


def _own(folded: str, exact: Mapping[str, float], stems: Mapping[str, float]) -> float | None:
    """The entry for ``folded`` itself: exact, or a stem followed by an ending."""
    value = exact.get(folded)
    if value is not None:
        return value
    for end in range(len(folded), 2, -1):
        value = stems.get(folded[:end])
        if value is not None:
            if folded[end:] in ENDINGS or abs(value) >= STRONG_STEM:
                return value
            return None
    return None


def german_lookup(
    folded: str, exact: Mapping[str, float], stems: Mapping[str, float]
) -> float | None:
    """The value of a folded German word: its own entry, else its longest known tail."""
    value = _own(folded, exact, stems)
    if value is not None or len(folded) < MIN_HEAD + MIN_MODIFIER:
        return value
    if folded.endswith(NOT_COMPOUNDS):
        return None
    for start in range(MIN_MODIFIER, len(folded) - MIN_HEAD + 1):
        value = _own(folded[start:], exact, stems)
        if value is not None:
            return value
    return None
