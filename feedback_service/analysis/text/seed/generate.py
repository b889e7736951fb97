"""Build ``sentences.csv`` from the hand-written fragment files in this folder.

Every base sentence was written by hand. The generator only adds the surface
noise real survey comments have (lower case, missing full stops, typos, texting
slang, a tone word in front or an emoticon behind) so the model does not learn
that tidy punctuation means anything. It is deterministic: run it again and the
CSV is byte-identical.

    python -m feedback_service.analysis.text.seed.generate
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent
OUTPUT = SEED_DIR / "sentences.csv"

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


def _read_blocks() -> Iterator[tuple[str, str, str, str]]:
    """Yield (text, sentiment, target, category) from every fragments_*.txt file."""
    for _source, *row in _read_blocks_with_source():
        yield row[0], row[1], row[2], row[3]


def _read_blocks_with_source() -> Iterator[tuple[str, str, str, str, str]]:
    for path in sorted(SEED_DIR.glob("fragments_*.txt")):
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


def _read_mixed() -> Iterator[tuple[str, str, str, str]]:
    path = SEED_DIR / "mixed_comments.txt"
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


def _casual(text: str, rng: random.Random) -> str:
    out = text.rstrip(".").lower() if rng.random() < 0.8 else text.rstrip(".")
    for pattern, repl in rng.sample(_SLANG, k=len(_SLANG)):
        if rng.random() < 0.5:
            out = re.sub(pattern, repl, out, flags=re.IGNORECASE)
    return out


def _toned(text: str, sentiment: str, rng: random.Random) -> str:
    body = text.rstrip(".!")
    if rng.random() < 0.5:
        prefix = rng.choice(_PREFIXES[sentiment])
        body = prefix + (body[0].lower() + body[1:] if body[:2] != "I " else body)
    else:
        body = body + rng.choice(_SUFFIXES[sentiment])
    return body


def build_rows(seed: int = 7) -> list[tuple[str, str, str, str]]:
    return [row for _source, row in build_rows_with_source(seed)]


def build_rows_with_source(seed: int = 7) -> list[tuple[str, tuple[str, str, str, str]]]:
    """Like ``build_rows``, each row paired with the file it grew from (for grouped CV)."""
    rng = random.Random(seed)
    rows: list[tuple[str, tuple[str, str, str, str]]] = []
    seen: set[str] = set()

    def add(source: str, text: str, label: tuple[str, str, str]) -> None:
        key = re.sub(r"\s+", " ", text.strip().lower())
        if key and key not in seen:
            seen.add(key)
            rows.append((source, (text.strip(), *label)))

    mixed = [("mixed_comments", *row) for row in _read_mixed()]
    for source, text, sentiment, target, category in [*_read_blocks_with_source(), *mixed]:
        label = (sentiment, target, category)
        add(source, text, label)
        for kind in rng.sample(["casual", "toned", "typo"], k=2):
            if kind == "casual":
                add(source, _casual(text, rng), label)
            elif kind == "toned":
                add(source, _toned(text, sentiment, rng), label)
            else:
                add(source, _typo(text, rng), label)
    return rows


def main() -> None:
    rows = build_rows()
    with OUTPUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["text", "sentiment", "target", "category"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUTPUT}")


if __name__ == "__main__":
    main()
