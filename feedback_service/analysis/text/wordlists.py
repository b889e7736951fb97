"""German and Spanish word lists: polarity, negation, intensity, contrast, cues.

English is scored with VADER and the lists in ``lexicon.py``; VADER knows no
other language, and blending its compound into a German sentence would pull it
toward neutral. For German and Spanish the lists are hand-written data files
next to this module (``lexicon_de.txt``, ``lexicon_es.txt``; the format is
described at the top of each). Words are compared after folding (lower case,
German umlauts spelled out, accents dropped) because customers type
"unhoeflich" and "atencion" as often as "unhöflich" and "atención"; an entry
ending in ``*`` matches any ending, which covers German and Spanish inflection
("freundlich*": freundliche, freundlichen) without a stemmer.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Final

from feedback_service.analysis.text.locale_text import german_lookup

LEXICON_LANGUAGES: Final = ("de", "es")
_DIR: Final = Path(__file__).resolve().parent
_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_MIN_STEM: Final = 3


def fold(word: str, language: str) -> str:
    """Lower case, umlauts spelled out (German), accents dropped."""
    lowered = word.lower()
    if language == "de":
        lowered = lowered.translate(_UMLAUTS)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFD", lowered)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@dataclass
class WordTable:
    """Folded words, and stems that match any ending; the longest match wins."""

    exact: dict[str, float] = field(default_factory=dict)
    stems: dict[str, float] = field(default_factory=dict)
    # German: compounds are looked up by their tail, stems only before an ending.
    compounds: bool = False
    _cache: dict[str, float | None] = field(default_factory=dict, repr=False)

    def add(self, entry: str, value: float, language: str) -> None:
        if entry.endswith("*"):
            stem = fold(entry[:-1], language)
            if len(stem) < _MIN_STEM:
                raise ValueError(f"stem too short to match safely: {entry!r}")
            self.stems[stem] = value
        else:
            self.exact[fold(entry, language)] = value

    def get(self, folded: str) -> float | None:
        try:
            return self._cache[folded]
        except KeyError:
            pass
        if self.compounds:
            value = german_lookup(folded, self.exact, self.stems)
        else:
            value = self._plain(folded)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[folded] = value
        return value

    def _plain(self, folded: str) -> float | None:
        value = self.exact.get(folded)
        if value is None and self.stems:
            for end in range(len(folded), _MIN_STEM - 1, -1):
                value = self.stems.get(folded[:end])
                if value is not None:
                    break
        return value

    def __contains__(self, folded: str) -> bool:
        return self.get(folded) is not None


@dataclass
class LanguageLists:
    language: str
    polarity: WordTable
    intensifiers: WordTable
    negators: WordTable
    scope_breaks: WordTable
    contrast: tuple[str, ...]
    function_words: frozenset[str]
    cues: dict[str, WordTable]
    # German puts "nicht" after the verb it negates ("das klappt nicht"); a
    # negation that ends its clause then reaches back to the words before it.
    negates_backwards: bool = False

    def fold(self, word: str) -> str:
        return fold(word, self.language)


_SECTION: Final = re.compile(r"^\[([a-z_:]+)\]$")


def _parse(language: str, text: str) -> LanguageLists:
    sections: dict[str, list[str]] = defaultdict(list)
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _SECTION.match(line)
        if match:
            current = match.group(1)
            continue
        if current is None:
            raise ValueError(f"lexicon_{language}.txt: line before any [section]: {line!r}")
        sections[current].append(line)

    compounds = language == "de"

    def valued(name: str) -> WordTable:
        table = WordTable(compounds=compounds and name == "polarity")
        for line in sections[name]:
            value, _, words = line.partition(":")
            for word in words.split():
                table.add(word, float(value), language)
        return table

    def plain(lines: list[str], compound_words: bool = False) -> WordTable:
        table = WordTable(compounds=compound_words)
        for line in lines:
            for word in line.split():
                table.add(word, 1.0, language)
        return table

    function_words = set()
    for line in sections["function"]:
        for word in line.split():
            function_words.update({word, fold(word, language)})
    cues = {
        name.split(":", 1)[1]: plain(lines, compounds)
        for name, lines in sections.items()
        if name.startswith("cue:")
    }
    return LanguageLists(
        language=language,
        polarity=valued("polarity"),
        intensifiers=valued("intensifiers"),
        negators=plain(sections["negators"]),
        scope_breaks=plain(sections["scope_breaks"]),
        contrast=tuple(line.lower() for line in sections["contrast"]),
        function_words=frozenset(function_words),
        cues=cues,
        negates_backwards=language == "de",
    )


@cache
def lists(language: str) -> LanguageLists:
    """The word lists of ``language`` ("de" or "es"), read once per process."""
    if language not in LEXICON_LANGUAGES:
        raise KeyError(f"no word lists for {language!r}")
    path = _DIR / f"lexicon_{language}.txt"
    return _parse(language, path.read_text(encoding="utf-8"))
