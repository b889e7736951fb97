"""Build the seed CSVs from the hand-written fragment files in this folder.

English fragments sit in this folder and become ``sentences.csv``; German and
Spanish ones sit in ``de/`` and ``es/`` and become ``sentences_de.csv`` and
``sentences_es.csv``. Every base sentence was written by hand. The generator
only adds the surface noise real survey comments have (lower case, missing full
stops, typos, texting slang or its German/Spanish equivalent, a tone word in
front or an emoticon behind) so the model does not learn that tidy punctuation
means anything. It is deterministic: run it again and the CSVs are
byte-identical.

    python -m feedback_service.analysis.text.seed.generate [en de es]
"""

from __future__ import annotations

import csv
import random
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent
OUTPUT = SEED_DIR / "sentences.csv"
LANGUAGES = ("en", "de", "es")

_PREFIXES = {
    "negative": [
        "Honestly, ",
        "Seriously, ",
        "tbh ",
        "Also ",
        "And ",
        "On top of that, ",
        "To be honest ",
        "Once again ",
        "Again, ",
        "Plus ",
        "Sadly ",
        "Unfortunately ",
    ],
    "positive": [
        "Honestly, ",
        "Also ",
        "And ",
        "To be fair, ",
        "I have to say ",
        "Just want to say ",
        "tbh ",
        "Really, ",
        "Oh and ",
    ],
    "neutral": ["Just to say, ", "FYI ", "Also ", "Basically, ", "So ", "Btw "],
}
_SUFFIXES = {
    "negative": [
        " :(",
        "!!",
        "...",
        ", not good enough",
        ", really frustrating",
        " smh",
        ", unacceptable",
        "!!!",
        " to be honest",
        " again",
    ],
    "positive": [
        " :)",
        "!!",
        "!",
        ", thanks!",
        ", really appreciated",
        " 👍",
        " :D",
        ", thank you",
        "!!!",
    ],
    "neutral": ["", " thanks", ", just so you know", " fyi", "."],
}
_SLANG = [
    (r"\byou\b", "u"),
    (r"\byour\b", "ur"),
    (r"\bthanks\b", "thx"),
    (r"\bplease\b", "pls"),
    (r"\bbecause\b", "cuz"),
    (r"\bI'm\b", "im"),
    (r"\bdon't\b", "dont"),
    (r"\bdidn't\b", "didnt"),
    (r"\bcan't\b", "cant"),
    (r"\bisn't\b", "isnt"),
    (r"\band\b", "&"),
    (r"\bminutes\b", "mins"),
    (r"\bsomeone\b", "some1"),
]


# German: chat German drops endings and umlauts, Swiss German has no ß, southern
# and Austrian speakers write "net" for "nicht".
_PREFIXES_DE = {
    "negative": [
        "Ehrlich gesagt, ",
        "Mal ehrlich, ",
        "Ausserdem ",
        "Und ",
        "Leider ",
        "Schon wieder: ",
        "Zudem ",
        "Sorry, aber ",
        "Ganz ehrlich, ",
    ],
    "positive": [
        "Ehrlich gesagt, ",
        "Ausserdem ",
        "Und ",
        "Muss sagen, ",
        "Wollte nur sagen: ",
        "Übrigens ",
        "Also ",
    ],
    "neutral": ["Nur zur Info: ", "Übrigens ", "Also ", "Kurz: ", "Hallo, "],
}
_SUFFIXES_DE = {
    "negative": [
        " :(",
        "!!",
        "...",
        ", echt ärgerlich",
        ", unmöglich",
        ", so nicht",
        "!!!",
        " leider",
    ],
    "positive": [" :)", "!!", "!", ", danke!", ", vielen Dank", " 👍", ", super", "!!!"],
    # Factual texts end in "!" too ("Achtung, Gleiswechsel!"): not a verdict sign.
    "neutral": ["", " danke", ", nur zur Info", ".", " Gruss", "!"],
}
_SLANG_DE = [
    (r"\bnicht\b", "nich"),
    (r"\bnicht\b", "net"),
    (r"\bist\b", "is"),
    (r"\bhabe\b", "hab"),
    (r"\beine\b", "ne"),
    (r"\beinen\b", "nen"),
    (r"\bgibt es\b", "gibts"),
    (r"\bgeht es\b", "gehts"),
    (r"\bMinuten\b", "min"),
    (r"\bund\b", "u."),
    (r"\bdanke\b", "thx"),
    (r"\bwirklich\b", "echt"),
    (r"ß", "ss"),
]
_PREFIXES_ES = {
    "negative": [
        "La verdad, ",
        "Sinceramente, ",
        "Encima ",
        "Y ",
        "Además ",
        "Otra vez ",
        "Lamentablemente ",
        "Por desgracia ",
    ],
    "positive": [
        "La verdad, ",
        "Además ",
        "Y ",
        "Tengo que decir que ",
        "Solo quería decir que ",
        "Sinceramente ",
    ],
    "neutral": ["Solo para que sepan, ", "Por cierto, ", "Bueno, ", "Pues ", "Hola, "],
}
_SUFFIXES_ES = {
    "negative": [" :(", "!!", "...", ", qué rabia", ", inaceptable", ", una vergüenza", "!!!"],
    "positive": [" :)", "!!", "!", ", gracias!", ", muchas gracias", " 👍", ", genial", "!!!"],
    "neutral": ["", " gracias", ", para que sepan", ".", " saludos", "!"],
}
_SLANG_ES = [
    (r"\bque\b", "q"),
    (r"\bporque\b", "xq"),
    (r"\bpor favor\b", "porfa"),
    (r"\bpara\b", "pa"),
    (r"\btambién\b", "tmb"),
    (r"\bgracias\b", "grax"),
    (r"\bmuy\b", "mui"),
    (r"\bestá\b", "ta"),
    (r"\bminutos\b", "min"),
    (r"[¿¡]", ""),
]


@dataclass(frozen=True)
class _Noise:
    prefixes: dict[str, list[str]]
    suffixes: dict[str, list[str]]
    slang: list[tuple[str, str]]
    fold_letters: bool


_NOISE = {
    "en": _Noise(_PREFIXES, _SUFFIXES, _SLANG, fold_letters=False),
    "de": _Noise(_PREFIXES_DE, _SUFFIXES_DE, _SLANG_DE, fold_letters=True),
    "es": _Noise(_PREFIXES_ES, _SUFFIXES_ES, _SLANG_ES, fold_letters=True),
}
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def source_dir(language: str) -> Path:
    return SEED_DIR if language == "en" else SEED_DIR / language


def output_path(language: str) -> Path:
    return OUTPUT if language == "en" else SEED_DIR / f"sentences_{language}.csv"


def _fold_letters(text: str, language: str) -> str:
    """Type without special letters: "ae" for "ä" in German, no accents in Spanish."""
    if language == "de":
        return text.translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _read_blocks() -> Iterator[tuple[str, str, str, str]]:
    """Yield (text, sentiment, target, category) from every fragments_*.txt file."""
    for _source, *row in _read_blocks_with_source():
        yield row[0], row[1], row[2], row[3]


def _read_blocks_with_source(language: str = "en") -> Iterator[tuple[str, str, str, str, str]]:
    for path in sorted(source_dir(language).glob("fragments_*.txt")):
        label: tuple[str, str, str] | None = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("# "):
                continue
            if line.startswith("## "):
                head, sentiment = line[3:].split()
                target, category = head.split("/")
                label = (sentiment, target, category)
                continue
            if label is None:
                raise ValueError(f"{path.name}: sentence before any ## header: {line!r}")
            yield path.stem, line, *label


def _read_mixed(language: str = "en") -> Iterator[tuple[str, str, str, str]]:
    path = source_dir(language) / "mixed_comments.txt"
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sentiment, target, category, text = line.split("|", 3)
        yield text, sentiment, target, category


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def _casual(text: str, rng: random.Random, language: str = "en") -> str:
    noise = _NOISE[language]
    out = text.rstrip(".").lower() if rng.random() < 0.8 else text.rstrip(".")
    for pattern, repl in rng.sample(noise.slang, k=len(noise.slang)):
        if rng.random() < 0.5:
            out = re.sub(pattern, repl, out, flags=re.IGNORECASE)
    if noise.fold_letters and rng.random() < 0.5:
        out = _fold_letters(out, language)
    return out


def _toned(text: str, sentiment: str, rng: random.Random, language: str = "en") -> str:
    noise = _NOISE[language]
    body = text.rstrip(".!")
    if rng.random() < 0.5:
        prefix = rng.choice(noise.prefixes[sentiment])
        keep_case = body[:2] == "I " or language == "de"
        body = prefix + (body if keep_case else body[0].lower() + body[1:])
    else:
        body = body + rng.choice(noise.suffixes[sentiment])
    return body


def build_rows(seed: int = 7, language: str = "en") -> list[tuple[str, str, str, str]]:
    return [row for _source, row in build_rows_with_source(seed, language)]


def build_rows_with_source(
    seed: int = 7, language: str = "en"
) -> list[tuple[str, tuple[str, str, str, str]]]:
    """Like ``build_rows``, each row paired with the file it grew from (for grouped CV)."""
    # English keeps its historical seed so sentences.csv does not change.
    rng = random.Random(seed if language == "en" else f"{seed}:{language}")
    rows: list[tuple[str, tuple[str, str, str, str]]] = []
    seen: set[str] = set()

    def add(source: str, text: str, label: tuple[str, str, str]) -> None:
        key = re.sub(r"\s+", " ", text.strip().lower())
        if key and key not in seen:
            seen.add(key)
            rows.append((source, (text.strip(), *label)))

    mixed = [("mixed_comments", *row) for row in _read_mixed(language)]
    for source, text, sentiment, target, category in [
        *_read_blocks_with_source(language),
        *mixed,
    ]:
        label = (sentiment, target, category)
        add(source, text, label)
        for kind in rng.sample(["casual", "toned", "typo"], k=2):
            if kind == "casual":
                add(source, _casual(text, rng, language), label)
            elif kind == "toned":
                add(source, _toned(text, sentiment, rng, language), label)
            else:
                add(source, _typo(text, rng), label)
    return rows


def main(languages: list[str] | None = None) -> None:
    for language in languages or LANGUAGES:
        rows = build_rows(language=language)
        path = output_path(language)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["text", "sentiment", "target", "category"])
            writer.writerows(rows)
        print(f"wrote {len(rows)} rows to {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
